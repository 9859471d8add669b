package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textdiff"
	"github.com/hearth-community/hearth/engine/textwidth"
)

// ANSI colors for the text plan on a terminal.
const (
	green   = "\x1b[32m"
	yellow  = "\x1b[33m"
	red     = "\x1b[31m"
	magenta = "\x1b[35m"
	cyan    = "\x1b[36m"
	bold    = "\x1b[1m"
	reset   = "\x1b[0m"
)

var symbols = map[Action]struct{ sym, color, verb string }{
	Create:  {"+", green, "will be created"},
	Update:  {"~", yellow, "will be updated in place"},
	Delete:  {"-", red, "will be destroyed"},
	Replace: {"-/+", magenta, "will be replaced"},
	// As Terraform marks what it stops managing: "." for nothing done
	// to the object itself.
	ForgetAction: {".", yellow, "will be forgotten"},
	// As Terraform marks what it reads rather than makes: the object is
	// there already, and the create only takes it.
	AdoptAction: {"<=", cyan, "will be adopted"},
}

// WriteText writes the plan the way Terraform does: one block per change
// with its symbol, the attributes, and a summary line, then the member
// impact when the plan has one. With color it uses ANSI colors, for
// terminals. A plan that changes no platform but moves members says
// both, never a bare "No changes." above the moves.
func (p *Plan) WriteText(w io.Writer, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	if p.RefreshOnly {
		return p.writeDrift(w, paint)
	}
	var b strings.Builder
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "%s %s\n\n", paint(yellow, "Warning:"), w)
	}
	if !p.HasChanges() && p.Destroy {
		b.WriteString("No changes. No objects need to be destroyed: state holds nothing hearth manages there.\n")
		return p.writeImpact(w, &b, color)
	}
	if !p.HasChanges() {
		if p.MovesMembers() {
			fmt.Fprintf(&b, "No changes to the platforms: they match the configuration. %s\n", p.membersLine())
		} else {
			b.WriteString("No changes. The platforms match the configuration.\n")
		}
		return p.writeImpact(w, &b, color)
	}
	switch {
	case p.Destroy && len(p.Targets) > 0:
		fmt.Fprintf(&b, "hearth will destroy %s (what its state holds there), with the following actions:\n", p.DestroyWhat())
	case p.Destroy:
		b.WriteString("hearth will destroy everything it manages (what its state holds), with the following actions:\n")
	default:
		b.WriteString("hearth will perform the following actions:\n")
	}
	for _, c := range p.Changes {
		s, ok := symbols[c.Action]
		if !ok {
			if c.MovedFrom != "" {
				fmt.Fprintf(&b, "\n  %s %s has moved to %s\n", paint(bold, "#"), paint(bold, c.MovedFrom), paint(bold, c.Address))
			}
			if c.ImportID != "" {
				fmt.Fprintf(&b, "\n  %s %s will be imported (id %s), matching its block\n", paint(bold, "#"), paint(bold, c.Address), c.ImportID)
			}
			continue
		}
		fmt.Fprintf(&b, "\n  %s %s %s", paint(bold, "#"), paint(bold, c.Address), s.verb)
		if c.Reason != "" {
			fmt.Fprintf(&b, " (%s)", c.Reason)
		}
		if c.MovedFrom != "" {
			fmt.Fprintf(&b, " (moved from %s)", c.MovedFrom)
		}
		if c.ImportID != "" {
			fmt.Fprintf(&b, " (imported, id %s)", c.ImportID)
		}
		b.WriteString("\n")
		head := string(c.Kind)
		if c.ID != "" {
			head += " " + c.ID
		}
		fmt.Fprintf(&b, "  %s %s {\n", paint(s.color, s.sym), head)
		switch c.Action {
		case Create:
			writeAttrs(&b, c.Kind, c.After, paint(green, "+"), c.Kind == platform.KindPin)
		case Delete:
			writeAttrs(&b, c.Kind, c.Before, paint(red, "-"), false)
		case AdoptAction:
			// What the block says; the platform's object is taken as it is.
			writeAttrs(&b, c.Kind, c.After, " ", c.Kind == platform.KindPin)
		case ForgetAction:
			// What stays on the platform, untouched.
			writeAttrs(&b, c.Kind, c.Before, " ", false)
		case Update, Replace:
			width := changedWidth(c)
			for _, k := range c.Changed {
				sym := paint(yellow, "~")
				if c.Action == Replace && k != "" && slices.Contains(forceNewOf(c), k) {
					sym = paint(magenta, "~")
				}
				b.WriteString(changedAttr(c, k, width, sym, paint))
			}
			if c.Action == Replace && len(c.Changed) == 0 {
				writeAttrs(&b, c.Kind, c.After, paint(green, "+"), c.Kind == platform.KindPin)
			}
		}
		b.WriteString("    }\n")
	}
	fmt.Fprintf(&b, "\n%s %s.", paint(bold, "Plan:"), p.Summary.counts())
	if p.MovesMembers() {
		b.WriteString(" " + p.membersLine())
	}
	b.WriteString("\n")
	for _, h := range p.Hints {
		lines := strings.Split(h.Message, "\n")
		fmt.Fprintf(&b, "\n%s %s\n", paint(bold, "Note:"), lines[0])
		for _, l := range lines[1:] {
			if l == "" {
				b.WriteString("\n")
			} else {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	return p.writeImpact(w, &b, color)
}

// writeImpact ends the text plan in b with the member impact, when the
// plan has one, and writes it all to w.
func (p *Plan) writeImpact(w io.Writer, b *strings.Builder, color bool) error {
	if p.MemberImpact != nil {
		b.WriteString("\n")
		if err := p.MemberImpact.WriteText(b, color); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SummaryLine is the plan's summary in one line, as the text plan has
// it ("Plan: 1 to add, 0 to change, 0 to destroy."), with the members
// the rules would move; for hearth apply -json's plan message.
func (p *Plan) SummaryLine() string {
	switch {
	case p.HasChanges() && p.MovesMembers():
		return fmt.Sprintf("Plan: %s. %s", p.Summary.counts(), p.membersLine())
	case p.HasChanges():
		return fmt.Sprintf("Plan: %s.", p.Summary.counts())
	case p.MovesMembers():
		return "Plan: no changes to the platforms. " + p.membersLine()
	}
	return "Plan: no changes."
}

// counts is the summary line's counts: "1 to adopt, 4 to add, 0 to
// change, 0 to destroy, 1 to import", adoptions first as Terraform puts
// imports, and only when there are any.
func (s Summary) counts() string {
	adopt := ""
	if s.Adopt > 0 {
		adopt = fmt.Sprintf("%d to adopt, ", s.Adopt)
	}
	return fmt.Sprintf("%s%d to add, %d to change, %d to destroy%s", adopt, s.Add, s.Change, s.Destroy, s.extra())
}

// extra is what the summary line adds after "N to destroy" when there is
// any: ", 1 to move, 2 to import, 1 to forget".
func (s Summary) extra() string {
	out := ""
	if s.Move > 0 {
		out = fmt.Sprintf(", %d to move", s.Move)
	}
	if s.Import > 0 {
		out += fmt.Sprintf(", %d to import", s.Import)
	}
	if s.Forget > 0 {
		out += fmt.Sprintf(", %d to forget", s.Forget)
	}
	return out
}

// membersLine says how many members the rules would move, and that the
// daemon, not apply, moves them: "Members: 3 would move when hearth run
// loads these rules."
func (p *Plan) membersLine() string {
	who := "some" // a plan saved before Impact.Moved was counted
	if n := p.MemberImpact.Moved; n > 0 {
		who = strconv.Itoa(n)
	}
	return "Members: " + who + " would move when hearth run loads these rules."
}

// changedAttr writes one changed attribute as Terraform does: one that
// gets a value is added, one that loses it goes to null, others change
// from one value to the other.
func changedAttr(c Change, k string, width int, sym string, paint func(c, s string) string) string {
	before, after := c.Before[k], c.After[k]
	name := ConfigName(c.Kind, k)
	switch {
	case before == "" && after != "" && multiline(c.Kind, k, after):
		return heredoc(width, name, paint(green, "+"), after, "")
	case before == "" && after != "":
		return fmt.Sprintf("      %s %-*s = %s\n", paint(green, "+"), width, name, show(c.Kind, k, after))
	case before != "" && after == "" && multiline(c.Kind, k, before):
		return heredoc(width, name, paint(red, "-"), before, " -> null")
	case before != "" && after == "":
		return fmt.Sprintf("      %s %-*s = %s -> null\n", paint(red, "-"), width, name, show(c.Kind, k, before))
	}
	if long(before) || long(after) {
		return textDiff(before, after, width, name, sym, paint)
	}
	return fmt.Sprintf("      %s %-*s = %s -> %s\n", sym, width, name, show(c.Kind, k, before), show(c.Kind, k, after))
}

// ConfigName is the name the configuration gives the platform attribute
// attr of kind, for text a person reads: a community's description is
// its block's purpose. The -json plan and state keep the platform's
// names (their documents are read back, and adapters take those).
// A channel's or role's name stays "name": it is the object's name on
// the platform, which the block's title sets or its label gives.
func ConfigName(kind platform.Kind, attr string) string {
	if kind == platform.KindCommunity && attr == "description" {
		return "purpose"
	}
	return attr
}

// changedWidth is how wide the names of c's changed attributes are, as
// the text shows them, to align their "=".
func changedWidth(c Change) int {
	width := 0
	for _, k := range c.Changed {
		width = max(width, len(ConfigName(c.Kind, k)))
	}
	return width
}

// quoteLimit is how many terminal cells of a text a change shows as
// "before -> after" on one line: 60 Latin letters, 30 Chinese
// characters (two cells each); a longer change is a line diff.
const quoteLimit = 60

// long says whether a text is too long or has too many lines to show as
// one quoted value.
func long(s string) bool {
	return strings.Contains(s, "\n") || textwidth.Width(s) > quoteLimit
}

// textDiff writes a change of a long or multi-line text as Terraform
// writes a heredoc's: a line diff, unchanged lines away from the change
// folded into a count, since quoting both texts cut at the same place
// would hide what changed.
func textDiff(before, after string, width int, k, sym string, paint func(c, s string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "      %s %-*s = <<-EOT\n", sym, width, k)
	for _, l := range textdiff.Lines(before, after, 2) {
		switch {
		case l.Hidden > 0:
			noun := "lines"
			if l.Hidden == 1 {
				noun = "line"
			}
			fmt.Fprintf(&b, "            # (%d unchanged %s hidden)\n", l.Hidden, noun)
		case l.Kind == '-':
			fmt.Fprintf(&b, "          %s %s\n", paint(red, "-"), termsafe.Field(l.Text))
		case l.Kind == '+':
			fmt.Fprintf(&b, "          %s %s\n", paint(green, "+"), termsafe.Field(l.Text))
		case l.Text == "":
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "            %s\n", termsafe.Field(l.Text))
		}
	}
	b.WriteString("        EOT\n")
	return b.String()
}

// forceNewOf names the attributes a replace's reason gives.
func forceNewOf(c Change) []string {
	list, _, _ := strings.Cut(c.Reason, " cannot change in place")
	return strings.Split(list, ", ")
}

// writeAttrs lists an object's attributes as Terraform does: the ones
// with a value (an empty text is none), numbers and booleans bare.
func writeAttrs(b *strings.Builder, kind platform.Kind, attrs map[string]string, sym string, pendingChannel bool) {
	var keys []string
	for k, v := range attrs {
		if v != "" {
			keys = append(keys, k)
		}
	}
	if pendingChannel {
		if _, ok := attrs["channel"]; !ok {
			keys = append(keys, "channel")
		}
	}
	// In the order of the names shown, as the configuration calls them.
	slices.SortFunc(keys, func(x, y string) int { return strings.Compare(ConfigName(kind, x), ConfigName(kind, y)) })
	width := 0
	for _, k := range keys {
		width = max(width, len(ConfigName(kind, k)))
	}
	for _, k := range keys {
		v, ok := attrs[k]
		if ok && multiline(kind, k, v) {
			b.WriteString(heredoc(width, k, sym, v, ""))
			continue
		}
		val := show(kind, k, v)
		if !ok {
			val = "(known after apply)"
		}
		fmt.Fprintf(b, "      %s %-*s = %s\n", sym, width, ConfigName(kind, k), val)
	}
}

// multiline says whether an attribute's value is a text of several
// lines (house rules, a welcome message), written whole as a heredoc.
func multiline(kind platform.Kind, attr, v string) bool {
	if !strings.Contains(v, "\n") {
		return false
	}
	if spec, ok := platform.SpecOf(kind); ok {
		if a, ok := spec.Attr(attr); ok && a.Format != platform.FormatText {
			return false
		}
	}
	return true
}

// heredoc writes a text of several lines whole, as Terraform writes a
// created one: between <<-EOT and EOT, a line each, each made safe for
// the terminal; tail follows EOT (" -> null" for one removed).
func heredoc(width int, k, sym, v, tail string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "      %s %-*s = <<-EOT\n", sym, width, k)
	for _, l := range strings.Split(strings.TrimSuffix(v, "\n"), "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "            %s\n", termsafe.Field(l))
	}
	fmt.Fprintf(&b, "        EOT%s\n", tail)
	return b.String()
}

// show writes an attribute's value by its format: numbers and booleans
// bare, a list (a role's permissions) as the configuration writes it,
// ["a", "b"] in sorted order, everything else quoted.
func show(kind platform.Kind, attr, v string) string {
	if spec, ok := platform.SpecOf(kind); ok && v != "" {
		if a, ok := spec.Attr(attr); ok {
			switch a.Format {
			case platform.FormatBool, platform.FormatInt:
				return v
			case platform.FormatList:
				return ListText(v)
			}
		}
	}
	return quote(v)
}

// ListText writes a list value (platform.FormatList: names joined by
// ",") as HCL writes a list of strings, sorted: ["a", "b"]. The names
// are quoted, so one from a plan file of elsewhere cannot pass for two.
func ListText(v string) string {
	items := slices.Clone(platform.SplitList(v))
	slices.Sort(items)
	for i, it := range items {
		items[i] = strconv.Quote(it)
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// quote shows a one-line value whole, quoted (a text of several lines
// is a heredoc: multiline).
func quote(s string) string {
	return strconv.Quote(s)
}

// WriteJSON writes the plan as its versioned JSON document.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a topic's "Q&A" reads as written
	return enc.Encode(p)
}

// Read reads a plan written by WriteJSON, refusing other major versions.
func Read(r io.Reader) (*Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&p); err != nil {
		// A configuration file or a text plan given by mistake: say what
		// a plan file is rather than only where the JSON broke.
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("not a hearth plan: it is not the JSON document hearth plan -out FILE saves (%w)", err)
		}
		return nil, fmt.Errorf("not a hearth plan: %w", err)
	}
	if p.FormatVersion == "" {
		// Some other JSON document, such as hearth state list -json.
		return nil, errors.New("not a hearth plan: it has no format_version (make one with hearth plan -out FILE)")
	}
	if major, _, _ := strings.Cut(p.FormatVersion, "."); major != "1" {
		return nil, fmt.Errorf("the plan has format version %q; this hearth reads 1.x", p.FormatVersion)
	}
	// Names, ids and reasons are printed as they are (values are quoted):
	// a plan file from elsewhere must not carry terminal control codes
	// into them. hearth never writes one.
	for i, c := range p.Changes {
		fields := append([]string{c.Address, string(c.Kind), string(c.Action), c.Platform, c.ID, c.Reason, c.MovedFrom, c.ImportID}, c.Changed...)
		for k := range c.Before {
			fields = append(fields, k)
		}
		for k := range c.After {
			fields = append(fields, k)
		}
		for _, f := range fields {
			if strings.IndexFunc(f, unicode.IsControl) >= 0 {
				return nil, fmt.Errorf("not a hearth plan: change %d (%q) has a control character in a name, id or reason", i+1, c.Address)
			}
		}
	}
	for i, u := range p.Unmanaged {
		if strings.IndexFunc(string(u.Kind)+u.Platform+u.Community+u.ID+u.Name+u.To, unicode.IsControl) >= 0 {
			return nil, fmt.Errorf("not a hearth plan: unmanaged %s %q has a control character in a name or id", u.Kind, u.To)
		}
		// The import block is printed as it is: made again from what
		// was just checked, not taken from the file.
		p.Unmanaged[i].Import = ""
		if u.To != "" {
			p.Unmanaged[i].Import = ImportBlock(u.To, u.ID)
		}
	}
	for _, t := range p.Targets {
		if strings.IndexFunc(t, unicode.IsControl) >= 0 {
			return nil, fmt.Errorf("not a hearth plan: target %q has a control character", t)
		}
	}
	return &p, nil
}

// DestroyWhat names what a destroy plan destroys, for its header and
// apply's question: the targets when it has them, joined with "and",
// else what hearth manages.
func (p *Plan) DestroyWhat() string {
	switch n := len(p.Targets); n {
	case 0:
		return "what hearth manages"
	case 1:
		return p.Targets[0]
	default:
		return strings.Join(p.Targets[:n-1], ", ") + " and " + p.Targets[n-1]
	}
}

// writeDrift writes a drift report: what changed outside hearth, from
// the values hearth applied to the live ones.
func (p *Plan) writeDrift(w io.Writer, paint func(c, s string) string) error {
	var b strings.Builder
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "%s %s\n\n", paint(yellow, "Warning:"), w)
	}
	if !p.HasChanges() {
		if len(p.Unadopted) > 0 {
			b.WriteString("Nothing checked: state holds nothing hearth applied to compare the platforms with (see the warning above).\n")
			_, err := io.WriteString(w, b.String())
			return err
		}
		if len(p.Unmanaged) == 0 {
			b.WriteString("No drift: the platforms are as hearth left them.\n")
		} else {
			b.WriteString("No drift: what hearth manages is as it left it.\n")
			p.writeUnmanaged(&b, paint)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("Objects changed outside hearth since the last apply:\n")
	roles := 0 // role assignments hearth gave, removed
	for _, c := range p.Changes {
		switch {
		case c.Action == Delete && c.Kind == platform.KindRoleAssignment:
			roles++
			fmt.Fprintf(&b, "\n  %s %s was removed outside hearth, which had given it\n  %s %s {\n", paint(bold, "#"), paint(bold, c.Address), paint(red, "-"), c.Kind)
			writeAttrs(&b, c.Kind, c.Before, paint(red, "-"), false)
			b.WriteString("    }\n")
		case c.Action == Delete:
			fmt.Fprintf(&b, "\n  %s %s was deleted outside hearth\n  %s %s %s\n", paint(bold, "#"), paint(bold, c.Address), paint(red, "-"), c.Kind, c.ID)
		case c.Action == Update:
			fmt.Fprintf(&b, "\n  %s %s changed outside hearth\n  %s %s %s {\n", paint(bold, "#"), paint(bold, c.Address), paint(yellow, "~"), c.Kind, c.ID)
			width := changedWidth(c)
			for _, k := range c.Changed {
				b.WriteString(changedAttr(c, k, width, paint(yellow, "~"), paint))
			}
			b.WriteString("    }\n")
		}
	}
	of := ""
	switch {
	case roles == 1:
		of = " (1 of them a role assignment hearth gave)"
	case roles > 1:
		of = fmt.Sprintf(" (%d of them role assignments hearth gave)", roles)
	}
	fmt.Fprintf(&b, "\n%s %d changed, %d deleted outside hearth%s. Run hearth plan to see what apply would do about it.\n", paint(bold, "Drift:"), p.Summary.Change, p.Summary.Destroy, of)
	p.writeUnmanaged(&b, paint)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeUnmanaged ends a drift report with the channels and roles in
// managed communities that no block manages, each with the block and
// import block that adopt it. They are not drift: plan leaves them be.
func (p *Plan) writeUnmanaged(b *strings.Builder, paint func(c, s string) string) {
	if len(p.Unmanaged) == 0 {
		return
	}
	b.WriteString("\nNot managed by hearth: objects in communities it manages that no block manages, made outside it.\nhearth plan leaves them alone. To adopt one, add its block to its community's block and its\nimport block, then run hearth plan:\n")
	for _, u := range p.Unmanaged {
		fmt.Fprintf(b, "\n  %s %s %s %q in %s\n", paint(bold, "#"), u.Kind, u.ID, u.Name, u.Community)
		if u.To == "" {
			fmt.Fprintf(b, "    no block can adopt it: the configuration has no block for %s\n", u.Community)
			continue
		}
		label := u.To[strings.LastIndexByte(u.To, '.')+1:]
		if label != u.Name {
			fmt.Fprintf(b, "    %s %q { title = %q }\n", u.Kind, label, u.Name)
		} else {
			fmt.Fprintf(b, "    %s %q {}\n", u.Kind, label)
		}
		fmt.Fprintf(b, "    %s\n", strings.ReplaceAll(u.Import, "\n", "\n    "))
	}
	what := "objects are not managed by hearth; they are"
	if len(p.Unmanaged) == 1 {
		what = "object is not managed by hearth; it is"
	}
	fmt.Fprintf(b, "\n%s %d %s not drift.\n", paint(bold, "Unmanaged:"), len(p.Unmanaged), what)
}

// changeJSON is Change as written: before and after with their JSON
// types (a position a number, private a boolean), as a reader of the
// document expects.
type changeJSON struct {
	changeFields
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
}

// changeFields has Change's fields without its methods, so the
// methods below can encode them without calling themselves.
type changeFields Change

// MarshalJSON writes the change with typed attribute values.
func (c Change) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // json.Marshal would escape, and WriteJSON cannot undo it
	if err := enc.Encode(changeJSON{changeFields(c), platform.JSONAttrs(c.Kind, c.Before), platform.JSONAttrs(c.Kind, c.After)}); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads a change written by MarshalJSON, or by a hearth
// that wrote every value as a string.
func (c *Change) UnmarshalJSON(data []byte) error {
	var raw struct {
		changeFields
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*c = Change(raw.changeFields)
	var err error
	if c.Before, err = attrsOf(raw.Before); err != nil {
		return fmt.Errorf("%s: before: %w", c.Address, err)
	}
	if c.After, err = attrsOf(raw.After); err != nil {
		return fmt.Errorf("%s: after: %w", c.Address, err)
	}
	return nil
}

func attrsOf(m json.RawMessage) (platform.Attrs, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return platform.JSONAttrsOf(m)
}
