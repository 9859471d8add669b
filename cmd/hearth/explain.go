package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const explainUsage = `Usage: hearth explain [-json] [TOPIC]

Prints the reference of the hearth language, generated from the same schema
the decoder uses, so it always matches this binary.

Topics:
  (none)             every block type and topic, one line each
  BLOCK              a block: community, segment, tier, badge, incentive,
                     campaign, template, event, variable, locals, hearth
  BLOCK.CHILD        a nested block: campaign.step, campaign.step.send,
                     community.channel, hearth.state ...
  BLOCK.ATTRIBUTE    one attribute: campaign.stop_when,
                     test.expect.campaign.held ...
  ATTRIBUTE          an attribute by its name alone, in every block that
                     has it: frequency_cap (hearth and campaign)
  platform.TYPE      the settings of a platform type, such as platform.local,
                     and what it refuses, ignores and adopts (a Slack
                     workspace is adopted, not created: "<= community")
  rules              how rules are written: names, operators, quoting
  functions          rule functions and HCL functions
  FUNCTION           one rule function, such as count or days_since
  member, community  the fields rules and templates can read
  member.FIELD, community.FIELD, event.ATTR
                     one name a rule reads, as alert and moderation rules
                     write it: community.negative_1h, member.strikes
  events             the standard event types and their attributes
  EVENT_TYPE         one event type, such as message.posted
  durations          how durations, rates and times of day are written
  templates          how message templates are written
  test, test.BLOCK   rule test files (*.hearthtest.hcl), which hearth test runs
  outcomes           the JSON lines of what the rules did (hearth simulate
                     -outcomes, GET /v1/members/ID/history): each kind, its
                     changes and fields

Related: hearth init writes a starter configuration to edit; hearth
validate checks one against this reference; hearth member eval tries a
rule expression on a stored member.

Examples:
  hearth explain tier
  hearth explain campaign.step
  hearth explain campaign.stop_when
  hearth explain frequency_cap
  hearth explain count
  hearth explain outcomes
  hearth explain -json > hearth-schema.json
  hearth explain -json campaign.step     # one topic's part of the schema
`

func runExplain(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "explain", explainUsage)
	asJSON := fs.Bool("json", false, "Print the schema as JSON, for editors and tools: the whole schema, or the TOPIC's part of it.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return argError(s, "explain", "give one topic")
	}
	if *asJSON {
		doc := schemaJSON()
		if len(pos) == 1 {
			if doc, ok = topicJSON(doc, pos[0]); !ok {
				unknownTopic(s, pos[0])
				return 1
			}
		}
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
		return 0
	}
	if len(pos) == 0 {
		explainOverview(s.out)
		return 0
	}
	topic := pos[0]
	w := s.out
	switch topic {
	case "rules":
		fmt.Fprint(w, rulesText)
		return 0
	case "functions":
		explainFunctions(w)
		return 0
	case "member":
		explainFields(w, "member", rules.MemberFields())
		return 0
	case "community" + ".fields":
		explainFields(w, "community", rules.CommunityFields())
		return 0
	case "events":
		explainEvents(w)
		return 0
	case "durations":
		fmt.Fprint(w, durationsText)
		return 0
	case "templates":
		fmt.Fprint(w, templatesText)
		return 0
	case "outcomes":
		explainOutcomes(w)
		return 0
	}
	if strings.HasPrefix(topic, "platform.") {
		typ := strings.TrimPrefix(topic, "platform.")
		spec, ok := platformSpecs()[typ]
		if !ok {
			unknownTopic(s, topic)
			return 1
		}
		explainBlock(w, &config.Block{Type: "platform", Labels: []string{`"` + spec.Type + `"`, "name"}, Doc: spec.Doc, Example: spec.Example, Attrs: spec.Attrs}, "platform")
		if len(spec.Unsupported) > 0 {
			fmt.Fprintln(w, "\nChannel and role settings validate refuses on this platform:")
			for _, k := range slices.Sorted(maps.Keys(spec.Unsupported)) {
				fmt.Fprintf(w, "  %-24s %s\n", k, spec.Unsupported[k])
			}
		}
		if len(spec.Ignored) > 0 {
			fmt.Fprintln(w, "\nChannel and role settings this platform ignores (validate warns):")
			for _, k := range slices.Sorted(maps.Keys(spec.Ignored)) {
				fmt.Fprintf(w, "  %-24s %s\n", k, spec.Ignored[k])
			}
		}
		if lines := spec.Moderation.Lines(); len(lines) > 0 {
			fmt.Fprintln(w, "\nModeration actions validate refuses on this platform (in a ladder rung or a moderation rule):")
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		if len(spec.Adopts) > 0 {
			// A plan shows these as "<= KIND" adoptions, not creates: say
			// so here, before anyone reads that hearth makes a workspace.
			fmt.Fprintln(w, "\nAdopted, not created: plan shows these as \"<= KIND\" (\"will be adopted\"), and apply takes the object the platform has rather than making one:")
			for _, k := range slices.Sorted(maps.Keys(spec.Adopts)) {
				fmt.Fprintf(w, "  %-24s %s\n", k, spec.Adopts[k])
			}
		}
		if spec.OneChannel != "" {
			fmt.Fprintf(w, "\nOne channel block per community: %s.\n", spec.OneChannel)
		}
		if n := spec.ChannelNames; n != nil {
			// A channel's title (else its block name) is its name there.
			fmt.Fprintln(w, "\nChannel names (a channel's title, else its block name; validate refuses others):")
			if n.What != "" {
				fmt.Fprintf(w, "  %s.\n", n.What)
			}
			if n.Max > 0 {
				fmt.Fprintf(w, "  At most %d characters.\n", n.Max)
			}
		}
		return 0
	}
	// campaign.stop_when, test.expect.campaign.held: one attribute, with
	// its block named for the rest.
	if a, path := findAttr(topic); a != nil {
		fmt.Fprintf(w, "%s: an attribute of %s (hearth explain %s for the whole block)\n\n", topic, path, path)
		explainAttr(w, a, 16)
		return 0
	}
	// community.negative_1h, member.strikes, event.channel: a name a rule
	// reads, as alert and moderation rules name them.
	if explainRuleName(w, topic) {
		return 0
	}
	if topic == "test" || strings.HasPrefix(topic, "test.") {
		b := findIn(hearthtest.Schema(), topic)
		if b == nil && unknownChild(s, topic) {
			return 1
		}
		if b == nil {
			fmt.Fprintf(s.err, "hearth explain: no topic %q.%s Run 'hearth explain test' for the blocks of a test file.\n", topic, didYouMean(topic, blockPaths(hearthtest.Schema(), "")))
			return 1
		}
		explainBlock(w, b, topic)
		if topic == "test" {
			fmt.Fprintln(w, "\nTests live in files named *.hearthtest.hcl beside the configuration; `hearth test DIR` runs them (hearth test -h).")
			fmt.Fprintf(w, "\nA test file may set variables = { name = value } at its top, outside the test blocks: %s\n", hearthtest.VariablesDoc)
		}
		return 0
	}
	if b := findBlock(topic); b != nil {
		explainBlock(w, b, topic)
		if topic == "community" {
			fmt.Fprintln(w, "\nRules and templates read a community's figures as community.FIELD; see `hearth explain community.fields`.")
		}
		if topic == "platform" {
			fmt.Fprintf(w, "\nPlatform types in this binary: %s. See `hearth explain platform.TYPE`.\n", strings.Join(keys(platformSpecs()), ", "))
		}
		return 0
	}
	for _, f := range rules.Functions() {
		if f.Name == topic {
			fmt.Fprintf(w, "%s\n\n  %s\n\nExample:\n  %s\n", f.Signature, f.Doc, f.Example)
			if f.TimeDependent {
				fmt.Fprintln(w, "\nIts value can change as time passes, with no event; hearth re-checks rules that use it when they can next change.")
			}
			return 0
		}
	}
	for _, e := range rules.StandardEvents() {
		if e.Name == topic {
			explainEvent(w, e)
			return 0
		}
	}
	// "moderation", "ladder", "step", "question": a block that only
	// lives inside another is explained under its path, named first.
	if path := nestedPath(topic); path != "" {
		parent := strings.TrimSuffix(path, "."+topic)
		article := "a"
		if strings.ContainsRune("aeiou", rune(parent[0])) {
			article = "an" // inside an alert block
		}
		fmt.Fprintf(w, "%s blocks go inside %s %s block: this is `hearth explain %s`.\n\n", topic, article, parent, path)
		explainBlock(w, findBlock(path), path)
		return 0
	}
	// "frequency_cap", "stop_when": an attribute named alone is explained
	// in every block that has it, each under its path.
	if paths := attrPaths(config.Root, "", topic); len(paths) > 0 {
		if len(paths) == 1 {
			a, _ := findAttr(paths[0] + "." + topic)
			fmt.Fprintf(w, "%s is an attribute of %s: this is `hearth explain %s.%s`.\n\n", topic, paths[0], paths[0], topic)
			explainAttr(w, a, 16)
			return 0
		}
		fmt.Fprintf(w, "%s is an attribute of %d blocks: %s.\n", topic, len(paths), strings.Join(paths, ", "))
		for _, path := range paths {
			a, _ := findAttr(path + "." + topic)
			fmt.Fprintf(w, "\n%s.%s (hearth explain %s for the whole block)\n", path, topic, path)
			explainAttr(w, a, 16)
		}
		return 0
	}
	unknownTopic(s, topic)
	return 1
}

// attrNames are the names of every attribute of the blocks under root,
// for suggestions (explain explains one named alone).
func attrNames(root *config.Block) []string {
	var out []string
	for _, b := range root.Blocks {
		for _, a := range b.Attrs {
			if !slices.Contains(out, a.Name) {
				out = append(out, a.Name)
			}
		}
		for _, n := range attrNames(b) {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// attrPaths are the dotted paths of the blocks under root that have an
// attribute of that name, in schema order.
func attrPaths(root *config.Block, prefix, name string) []string {
	var out []string
	for _, b := range root.Blocks {
		p := prefix + b.Type
		for _, a := range b.Attrs {
			if a.Name == name {
				out = append(out, p)
				break
			}
		}
		out = append(out, attrPaths(b, p+".", name)...)
	}
	return out
}

// nestedPath is the one dotted path of a nested block of that type, ""
// when there is none or several.
func nestedPath(typ string) string {
	var found []string
	for _, p := range blockPaths(config.Root, "") {
		if strings.HasSuffix(p, "."+typ) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// unknownChild reports a topic naming a block that exists and a part of
// it that does not (campaign.stop_whn), with the parts it has; false
// when the block does not exist either.
func unknownChild(s *stdio, topic string) bool {
	i := strings.LastIndex(topic, ".")
	if i < 0 {
		return false
	}
	path, name := topic[:i], topic[i+1:]
	var b *config.Block
	if path == "test" || strings.HasPrefix(path, "test.") {
		b = findIn(hearthtest.Schema(), path)
	} else {
		b = findBlock(path)
	}
	if b == nil {
		return false
	}
	var parts []string
	for _, a := range b.Attrs {
		parts = append(parts, a.Name)
	}
	for _, c := range b.Blocks {
		parts = append(parts, c.Type)
	}
	hint := ""
	if m := didYouMean(name, parts); m != "" {
		hint = fmt.Sprintf(" Did you mean %q?", path+"."+strings.TrimSuffix(strings.TrimPrefix(m, ` Did you mean "`), `"?`))
	}
	fmt.Fprintf(s.err, "hearth explain: %s has no attribute or block %q.%s Run 'hearth explain %s' for what it has.\n", path, name, hint, path)
	return true
}

func unknownTopic(s *stdio, topic string) {
	if !strings.HasPrefix(topic, "platform.") && unknownChild(s, topic) {
		return
	}
	if typ, ok := strings.CutPrefix(topic, "platform."); ok {
		fmt.Fprintf(s.err, "hearth explain: no platform type %q.%s Known: %s.\n", typ, didYouMean(typ, keys(platformSpecs())), strings.Join(keys(platformSpecs()), ", "))
		return
	}
	var all []string
	for _, b := range config.Root.Blocks {
		all = append(all, b.Type)
	}
	for _, f := range rules.Functions() {
		all = append(all, f.Name)
	}
	all = append(all, "rules", "functions", "member", "events", "durations", "templates", "test", "outcomes")
	all = append(all, attrNames(config.Root)...)
	for _, c := range commands() {
		if c.name == topic {
			// "hearth explain report": the language has no such topic,
			// but the command has its help.
			fmt.Fprintf(s.err, "hearth explain: no topic %q in the language; %q is a command: run 'hearth %s -h'.\n", topic, topic, topic)
			return
		}
	}
	fmt.Fprintf(s.err, "hearth explain: no topic %q.%s Run 'hearth explain' for the list.\n", topic, didYouMean(topic, all))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func findBlock(path string) *config.Block { return findIn(config.Root, path) }

// blockPaths are the dotted paths of the blocks under root.
func blockPaths(root *config.Block, prefix string) []string {
	var out []string
	for _, b := range root.Blocks {
		p := prefix + b.Type
		out = append(out, p)
		out = append(out, blockPaths(b, p+".")...)
	}
	return out
}

// findIn finds the block a dotted path names under root.
func findIn(root *config.Block, path string) *config.Block {
	cur := root
	for _, part := range strings.Split(path, ".") {
		var next *config.Block
		for _, b := range cur.Blocks {
			if b.Type == part {
				next = b
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

func explainOverview(w io.Writer) {
	fmt.Fprintln(w, "The hearth language: every *.hcl file of a directory, read as one.")
	fmt.Fprintln(w, "\nBlocks:")
	for _, b := range config.Root.Blocks {
		fmt.Fprintf(w, "  %-11s %s\n", b.Type, firstSentence(b.Doc))
	}
	fmt.Fprintln(w, "\nTopics:")
	for _, t := range [][2]string{
		{"rules", "How rules are written."},
		{"functions", "Rule functions (count, active_days, in_segment ...) and HCL functions."},
		{"member", "Fields of member in rules and templates."},
		{"events", "Standard event types and their attributes."},
		{"durations", "Durations, rates and times of day."},
		{"templates", "Message templates."},
		{"test", "Rule unit test files (*.hearthtest.hcl), run by hearth test."},
		{"outcomes", "The JSON lines of what the rules did (hearth simulate and hearth replay -outcomes)."},
	} {
		fmt.Fprintf(w, "  %-11s %s\n", t[0], t[1])
	}
	fmt.Fprintf(w, "\nPlatform types: %s.\n\nRun 'hearth explain TOPIC' for one of them, such as 'hearth explain tier'.\n", strings.Join(keys(platformSpecs()), ", "))
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// explainAttr writes one attribute of a block: its name, kind and doc.
func explainAttr(w io.Writer, a *config.Attr, width int) {
	kind := a.Kind.String()
	switch {
	case a.Kind == config.KindEnum:
		kind = "one of " + strings.Join(quoteAll(a.Enum), ", ")
	case a.Kind == config.KindRef:
		kind = "reference to " + strings.Join(a.Refs, " or ")
	}
	flags := ""
	if a.Required {
		flags += ", required"
	}
	if a.Secret {
		flags += ", secret"
	}
	fmt.Fprintf(w, "  %-*s %s%s\n", width, a.Name, kind, flags)
	doc := a.Doc
	if a.Default != "" {
		doc += " Default: " + a.Default + "."
	}
	if a.Example != "" {
		doc += " Example: " + a.Example
	}
	fmt.Fprintln(w, wrap(doc, 72, "      "))
}

// findAttr finds the attribute a dotted path names, campaign.stop_when
// or test.expect.campaign.held, with the path of its block; nil when the
// path names none.
func findAttr(topic string) (*config.Attr, string) {
	i := strings.LastIndex(topic, ".")
	if i < 0 {
		return nil, ""
	}
	path, name := topic[:i], topic[i+1:]
	var b *config.Block
	if path == "test" || strings.HasPrefix(path, "test.") {
		b = findIn(hearthtest.Schema(), path)
	} else {
		b = findBlock(path)
	}
	if b == nil {
		return nil, ""
	}
	for i := range b.Attrs {
		if b.Attrs[i].Name == name {
			return &b.Attrs[i], path
		}
	}
	return nil, ""
}

func explainBlock(w io.Writer, b *config.Block, path string) {
	header := path
	if i := strings.LastIndex(path, "."); i >= 0 && b.Type != "platform" {
		header = path[i+1:]
	}
	for _, l := range b.Labels {
		if strings.HasPrefix(l, `"`) {
			header += " " + l
		} else {
			header += fmt.Sprintf(" %q", strings.ToUpper(l))
		}
	}
	fmt.Fprintf(w, "%s {}\n\n%s\n", header, wrap(b.Doc, 76, ""))
	if b.Single {
		fmt.Fprintln(w, "\nAt most one per parent block.")
	}
	if b.FreeAttrs {
		fmt.Fprintln(w, "\nTakes any attribute names.")
	}
	if len(b.Attrs) > 0 {
		fmt.Fprintln(w, "\nAttributes:")
		// Names line up in a column as wide as the longest one needs.
		width := 16
		for _, a := range b.Attrs {
			width = max(width, len(a.Name))
		}
		for i := range b.Attrs {
			explainAttr(w, &b.Attrs[i], width)
		}
	}
	if len(b.Blocks) > 0 {
		fmt.Fprintln(w, "\nBlocks:")
		for _, c := range b.Blocks {
			fmt.Fprintf(w, "  %-16s %s\n", c.Type, firstSentence(c.Doc))
		}
		fmt.Fprintf(w, "\nRun 'hearth explain %s.BLOCK' for a nested block.\n", path)
	}
	if b.Example != "" {
		fmt.Fprintf(w, "\nExample:\n%s\n", indent(b.Example, "  "))
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text into lines of at most width characters.
// wrap fills text into lines of at most width terminal cells after
// prefix (textwidth: a Chinese, Japanese or Korean character takes two),
// breaking at spaces and between such characters, which are written
// without spaces; a piece longer than width gets a line of its own.
func wrap(text string, width int, prefix string) string {
	var lines []string
	var line strings.Builder
	w := 0 // cells on line after prefix
	for _, p := range wrapPieces(text) {
		pw := textwidth.Width(p.text)
		sep := 0
		if p.space && w > 0 {
			sep = 1
		}
		if w > 0 && w+sep+pw > width {
			lines = append(lines, prefix+line.String())
			line.Reset()
			w, sep = 0, 0
		}
		if sep == 1 {
			line.WriteByte(' ')
		}
		line.WriteString(p.text)
		w += sep + pw
	}
	if w > 0 {
		lines = append(lines, prefix+line.String())
	}
	return strings.Join(lines, "\n")
}

// wrapPiece is a part of a text a line may end after; space says a space
// goes before it when it follows another on the line.
type wrapPiece struct {
	text  string
	space bool
}

// wrapPieces splits text at spaces and between wide characters, keeping
// closing punctuation (，。」) with what it closes and opening
// punctuation (「（) with what it opens, as CJK line breaking does.
func wrapPieces(text string) []wrapPiece {
	var out []wrapPiece
	for _, word := range strings.Fields(text) {
		start := len(out)
		cur := wrapPiece{space: true}
		open := false // cur ends with an opening mark: the next rune joins it
		for _, r := range word {
			wide := textwidth.RuneWidth(r) == 2
			switch {
			case strings.ContainsRune(closingMarks, r) || open:
				cur.text += string(r)
			case wide || (cur.text != "" && textwidth.RuneWidth(lastRune(cur.text)) == 2):
				// A break may come before a wide character, and after one.
				if cur.text != "" {
					out = append(out, cur)
					cur = wrapPiece{}
				}
				cur.text = string(r)
			default:
				cur.text += string(r)
			}
			open = strings.ContainsRune(openingMarks, r)
		}
		if cur.text != "" {
			out = append(out, cur)
		}
		if len(out) > start {
			out[start].space = true
		}
	}
	return out
}

// CJK punctuation no line starts with, and none ends with.
const (
	closingMarks = "，。、；：！？）」』】》〉”’,.;:!?)"
	openingMarks = "（「『【《〈“‘("
)

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func explainFunctions(w io.Writer) {
	fmt.Fprintln(w, "Rule functions (in rules, the strings of when, keep, exit_when ...):")
	for _, f := range rules.Functions() {
		fmt.Fprintf(w, "\n  %s\n%s\n      e.g. %s\n", f.Signature, wrap(f.Doc, 72, "      "), f.Example)
	}
	fmt.Fprintln(w, "\nRules also have expr-lang's built-ins: len, all, any, filter, map, sum, max, min,")
	fmt.Fprintln(w, "lower, upper, contains (the in operator), matches, duration(\"24h\"), date(\"2026-01-31\") ...")
	fmt.Fprintln(w, "\nHCL functions (in attribute values, variables and locals, not in rules):")
	for _, f := range config.HCLFunctionDocs() {
		doc := f.Doc
		if doc == "" {
			doc = "See go-cty's standard library."
		}
		fmt.Fprintf(w, "  %-34s %s\n", f.Name, firstSentence(doc))
	}
}

func explainFields(w io.Writer, name string, fields []rules.Field) {
	fmt.Fprintf(w, "%s: what rules and templates read as %s.FIELD.\n\n", name, name)
	for _, f := range fields {
		fmt.Fprintf(w, "  %-18s %-6s %s\n", f.Name, f.Type, f.Doc)
	}
}

// explainRuleName explains member.FIELD, community.FIELD or event.ATTR
// as a rule reads it, and reports whether topic was one: these are not
// attributes of the blocks of the same names, but what people copy out of
// a rule (community.negative_1h from an alert's when).
func explainRuleName(w io.Writer, topic string) bool {
	root, name, ok := strings.Cut(topic, ".")
	if !ok {
		return false
	}
	var fields []rules.Field
	all := ""
	switch root {
	case "member":
		fields, all = rules.MemberFields(), "member"
	case "community":
		fields, all = rules.CommunityFields(), "community.fields"
	case "event":
		return explainEventAttr(w, name)
	default:
		return false
	}
	for _, f := range fields {
		if f.Name == name {
			fmt.Fprintf(w, "%s (%s), as rules and templates read it:\n\n%s\n\n", topic, f.Type, wrap(f.Doc, 72, "  "))
			if root == "community" {
				fmt.Fprintln(w, "A figure hearth keeps per community, not an attribute of the community block.")
			}
			fmt.Fprintf(w, "Every %s.FIELD: hearth explain %s. How rules are written: hearth explain rules.\n", root, all)
			return true
		}
	}
	return false
}

// explainEventAttr explains event.NAME: the standard event types with an
// attribute of that name.
func explainEventAttr(w io.Writer, name string) bool {
	var has []string
	for _, e := range rules.StandardEvents() {
		if t, ok := e.Attrs[name]; ok {
			has = append(has, fmt.Sprintf("%s (%s)", e.Name, t))
		}
	}
	common := slices.Contains([]string{"id", "type", "at", "member", "source"}, name)
	if len(has) == 0 && !common {
		return false
	}
	fmt.Fprintf(w, "event.%s: an attribute of the event being handled, as rules read it.\n\n", name)
	if common {
		fmt.Fprintln(w, "  Every event has it.")
	} else {
		fmt.Fprintln(w, wrap("The standard event types with it: "+strings.Join(has, ", ")+".", 72, "  "))
	}
	fmt.Fprintln(w, "\nEvent types you declare have the attributes their event block gives. Every event type: hearth explain events.")
	return true
}

func explainEvents(w io.Writer) {
	fmt.Fprintln(w, "Standard event types. Every event also has id, type, at, member and source.")
	fmt.Fprintln(w, "Declare your own with an event block (hearth explain event).")
	fmt.Fprintln(w, "Rules and templates read an attribute as event.NAME; events files and test files")
	fmt.Fprintln(w, "write it under \"attrs\".")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "The community an event happened in is its top-level \"community\" field, beside")
	fmt.Fprintln(w, "id and type: {\"type\": \"member.joined\", \"community\": \"makers\", ...}. It scopes")
	fmt.Fprintln(w, "the event: incentives, campaigns and segments with community = community.NAME")
	fmt.Fprintln(w, "take only their community's events and members; an event without it is for")
	fmt.Fprintln(w, "every community. A string attrs.community (listed below on joins and leaves,")
	fmt.Fprintln(w, "as platforms send it) is taken as the field when the event has none.")
	for _, e := range rules.StandardEvents() {
		fmt.Fprintf(w, "\n  %-22s %s\n", e.Name, e.Doc)
		if e.Activity {
			fmt.Fprintf(w, "  %-22s counts as activity (member.last_active_at, active_days)\n", "")
		}
		if len(e.Attrs) > 0 {
			fmt.Fprintf(w, "  %-22s attributes: %s\n", "", attrList(e.Name, e.Attrs))
		}
	}
}

func explainEvent(w io.Writer, e rules.EventType) {
	fmt.Fprintf(w, "%s\n\n  %s\n\nAttributes (read in rules as event.NAME):\n", e.Name, e.Doc)
	choices := rules.EventChoices([]string{e.Name})
	for _, k := range keys(e.Attrs) {
		fmt.Fprintf(w, "  %-14s %s%s\n", k, e.Attrs[k], oneOf(choices[k]))
	}
	if e.Activity {
		fmt.Fprintln(w, "\nCounts as activity (last_active_at, active_days).")
	}
}

func attrList(eventType string, m map[string]rules.AttrType) string {
	choices := rules.EventChoices([]string{eventType})
	var parts []string
	for _, k := range keys(m) {
		parts = append(parts, k+" "+string(m[k])+oneOf(choices[k]))
	}
	return strings.Join(parts, ", ")
}

// oneOf describes an attribute's fixed set of values: ` ("down" or "up")`.
func oneOf(values []string) string {
	if len(values) == 0 {
		return ""
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	if len(quoted) == 2 {
		return " (" + quoted[0] + " or " + quoted[1] + ")"
	}
	return " (one of " + strings.Join(quoted, ", ") + ")"
}

const rulesText = `Rules

A rule is an expr-lang expression written in a string. hearth compiles every
rule when it validates, against the names the rule may read, so a typo is an
error with its line and column, never a surprise at run time.

Names:
  member      the member the rule is about (hearth explain member)
  event       the event being handled, in incentive when/to and moderation
              rules; in a campaign entered with enter_on, the event that
              enrolled the member, in all its rules for the whole run
              (hearth explain events)
  community   the event's community, or the only one, with its figures over
              rolling windows: members, messages_24h, negative_1h,
              active_ratio_7d ... (hearth explain community.fields)
  now         the time of the event being handled (not the wall clock, so
              replays and simulations give the same answers)

Functions: count, total, active_days, days, days_since, in_segment,
has_badge, badge_count, tier_rank, rank_of, points_in, streak (hearth
explain functions).

Operators: == != < <= > >= && || ! and or not, + - * / % **, in, matches,
contains, startsWith, endsWith, ?: and ?? (nil coalescing).

Quoting: use single quotes inside rules to avoid escaping,
  when = "count('message.posted', '30d') >= 10"

Variables and locals are not names in a rule; interpolate them into the
string, which HCL fills in when the file is read (a string within quotes):
  when = "member.points >= ${var.threshold} && event.channel == '${var.help}'"

Windows such as '30d' are whole days, counted in per-day buckets, and must
be literals so hearth can check them. Segment, badge and tier names in
in_segment, has_badge and rank_of are checked too, and so are the names
compared with member.tier, segment.entered's and segment.left's segment,
tier.changed's from and to, and badge.awarded's badge
(event.segment == 'lurkers').

Profile attributes (member.attrs.NAME) have no type hearth can check: they
hold what member.profile_updated events, imports and grants' set put there,
and nil for a member without one. Give a default before ordering or
arithmetic, and compare with true to use one as a condition:
  when = "(member.attrs.reputation ?? 0) > 10"
  when = "member.attrs.vip == true && member.points > 100"
  when = "member.attrs.muted != true"
member.attrs.vip == true is false when vip is missing or anything but true.
A bare member.attrs.vip fails at run time when it is a string or a number;
with !, beside && or ||, or before ?: it fails when it is missing too. The
rule then counts as false. validate warns about each, with the comparison
to write. Event attributes declared "any" are the same.
Inside a predicate it is the same: any, all, filter and the rest fail on a
missing list, and a field of an element may be missing too; a predicate's
# over such a list has no type either:
  when = "any(member.attrs.tags ?? [], {# == 'mentor'})"
  when = "all(member.attrs.items ?? [], {(.score ?? 0) >= 2})"
member.attrs?.x is no different from member.attrs.x, nor is a default of no
type (member.attrs.a ?? member.attrs.b). An operator cannot follow a ??
unbracketed: write (member.attrs.level ?? 0) > 2.

Segment, tier and badge-revocation rules read member state only; they have
no event, and neither have the rules of a campaign entered by audience.
duration('1d12h') is a duration in hearth's units (s, m, h, d, w) to add to
or take from a time: a step's until gives a time, such as
until = "event.starts_at - duration('24h')". Incentive and moderation rules have the event, with
the attributes of the event types they listen to. Alert rules read community
and now only: they run for a community, with no member or event.

Order: for each event, the incentives listening to it run first, with the
event already counted (a first post sees member.messages == 1) and tier
and segments as they were; then each member the event touched has its badges
revoked, tier and segments brought up to date, and what that changed (a
new tier, a segment entered) is read again by the rules over it, so a
segment over member.tier follows a promotion in the same event. Entering a
segment, changing tier and earning a badge are events too (segment.entered,
tier.changed, badge.awarded) for incentives and campaigns to hear.
`

const durationsText = `Durations, rates and times of day

Duration: a number and a unit, or several: "90s", "15m", "72h", "14d", "2w",
"1d12h", written with no space. Units: ms, s, m, h, d (24 hours) and w (7
days); there are no months or years, whose length varies: write days
("180d").

Rate: a count and a window. For limit and frequency_cap the window slides:
"5/30d" means at most 5 in any 30 days, the 30 days up to now. points_cap
counts whole UTC days instead: "100/1d" is at most 100 points on the
current UTC day (it starts again at 00:00 UTC), and "100/7d" on the current
UTC day and the 6 days before it. A points_cap window must be a whole
number of days: "1d", "24h", "48h" or "1w", not "36h".

Calendar periods: an incentive's limit and points_cap also take "5/day",
"5/week" and "5/month": at most 5 in the current calendar day, week (from
Monday) or month, which starts again from 0 at its first midnight, where
"5/30d" counts any 30 days. A limit's periods go by hearth.timezone (UTC
unless set; not the member's zone, so every member's period turns at the
same time): with "Europe/Berlin", "5/month" resets at 00:00 Berlin time on
the 1st, summer time or not. points_cap's go by UTC, as its days do.

Time of day: "HH:MM" on a 24-hour clock, "22:00". Used by quiet_hours and a
step's at. Times are in the member's time zone, or hearth.timezone.

In HCL values, duration("14d") gives the seconds in a duration.
`

const templatesText = `Templates

A template holds text per locale. Each text is an HCL template: ${...}
interpolations and %{ if } / %{ for } directives, rendered when a message is
sent with these names in scope:

  member      the recipient (hearth explain member)
  event       in a campaign's send, the event that enrolled the member
              (a campaign entered with enter_on; one entered by
              audience has none); in a moderation ladder's or an
              alert's message, the decision or the alert
  community   the member's community
  now         the time of the send, RFC 3339 text in UTC: the event time
              the step came due (or the quiet hours or cap holding it
              ended), so ${localdate("EEE D MMM hh:mm", now)} shows it on
              the member's clock, in a replay as in hearth run. There is
              no timestamp() function: validate refuses one with a hint at now.
  var, local  variables and locals (never sensitive ones)

A member gets their own locale's text, then their language's ("zh" for
"zh-TW"), then the template's default_locale, then hearth.default_locale.

  template "welcome" {
    text = {
      en    = "Welcome, ${member.name}!"
      zh-CN = "欢迎，${member.name}！"
    }
  }

validate checks every name a template reads and renders it once with
placeholder values, so type errors show up before anything is sent. An
event attribute is checked against the event types of each campaign that
sends the template: ${event.titel} in an invitation entered on an event
with a title is an error with "Did you mean", as in a rule, and so is any
event.NAME in a campaign entered by audience. A profile attribute,
${member.attrs.first_name}, is missing for members without it, and the
send to them fails (logged, a "failed" outcome): validate warns, and
${lookup(member.attrs, "first_name", "there")} gives a default.

hearth template render NAME DIR shows a template's message as a member
would get it, before anything is sent, made as the campaign's send
makes it, or a ladder's or an alert's with a sample decision or alert
made from the configuration (hearth template render -h); hearth
template list DIR names what sends each template.
`

// schemaJSON is the schema for -json.
// attrJSON, blockJSON and functionJSON are the schema's JSON form.
type attrJSON struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Required bool     `json:"required,omitempty"`
	Secret   bool     `json:"secret,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Refs     []string `json:"refs,omitempty"`
	Default  string   `json:"default,omitempty"`
	Doc      string   `json:"doc"`
}

type blockJSONType struct {
	Type    string          `json:"type"`
	Labels  []string        `json:"labels,omitempty"`
	Doc     string          `json:"doc"`
	Single  bool            `json:"single,omitempty"`
	Attrs   []attrJSON      `json:"attributes,omitempty"`
	Blocks  []blockJSONType `json:"blocks,omitempty"`
	Example string          `json:"example,omitempty"`
}

type functionJSON struct {
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
	Example   string `json:"example"`
}

func blockJSON(b *config.Block) blockJSONType {
	out := blockJSONType{Type: b.Type, Labels: b.Labels, Doc: b.Doc, Single: b.Single, Example: b.Example}
	for _, a := range b.Attrs {
		out.Attrs = append(out.Attrs, attrJSON{a.Name, a.Kind.String(), a.Required, a.Secret, a.Enum, a.Refs, a.Default, a.Doc})
	}
	for _, c := range b.Blocks {
		out.Blocks = append(out.Blocks, blockJSON(c))
	}
	return out
}

func schemaJSON() map[string]any {
	root := blockJSON(config.Root)
	var platforms []blockJSONType
	for _, k := range keys(platformSpecs()) {
		sp := platformSpecs()[k]
		platforms = append(platforms, blockJSON(&config.Block{Type: sp.Type, Doc: sp.Doc, Attrs: sp.Attrs, Example: sp.Example}))
	}
	var fns []functionJSON
	for _, f := range rules.Functions() {
		fns = append(fns, functionJSON{f.Signature, f.Doc, f.Example})
	}
	return map[string]any{
		"format_version": "1.0",
		"blocks":         root.Blocks,
		"platforms":      platforms,
		"rule_functions": fns,
		"member_fields":  rules.MemberFields(),
		"events":         rules.StandardEvents(),
		"test_blocks":    blockJSON(hearthtest.Schema()).Blocks,
	}
}

// topicJSON is the part of the schema (as schemaJSON makes it) that one
// topic covers, under the same keys, with the topic named: a block under
// "blocks", a platform type under "platforms", a function under
// "rule_functions", an event type under "events", a part of a test file
// under "test_blocks"; the topics that are
// prose (rules, durations, templates) as "text".
func topicJSON(whole map[string]any, topic string) (map[string]any, bool) {
	out := map[string]any{"format_version": whole["format_version"], "topic": topic}
	switch topic {
	case "rules":
		out["text"] = rulesText
		return out, true
	case "durations":
		out["text"] = durationsText
		return out, true
	case "templates":
		out["text"] = templatesText
		return out, true
	case "functions":
		out["rule_functions"] = whole["rule_functions"]
		return out, true
	case "member":
		out["member_fields"] = whole["member_fields"]
		return out, true
	case "community.fields":
		out["community_fields"] = rules.CommunityFields()
		return out, true
	case "events":
		out["events"] = whole["events"]
		return out, true
	case "outcomes":
		out["outcomes"] = outcomesJSON()
		return out, true
	}
	if a, path := findAttr(topic); a != nil {
		out["block"] = path
		out["attributes"] = []attrJSON{{a.Name, a.Kind.String(), a.Required, a.Secret, a.Enum, a.Refs, a.Default, a.Doc}}
		return out, true
	}
	if topic == "test" || strings.HasPrefix(topic, "test.") {
		b := findIn(hearthtest.Schema(), topic)
		if b == nil {
			return nil, false
		}
		out["test_blocks"] = []any{blockJSON(b)}
		return out, true
	}
	if typ, ok := strings.CutPrefix(topic, "platform."); ok {
		spec, ok := platformSpecs()[typ]
		if !ok {
			return nil, false
		}
		out["platforms"] = []any{blockJSON(&config.Block{Type: spec.Type, Doc: spec.Doc, Attrs: spec.Attrs, Example: spec.Example})}
		return out, true
	}
	if b := findBlock(topic); b != nil {
		out["blocks"] = []any{blockJSON(b)}
		return out, true
	}
	for _, f := range rules.Functions() {
		if f.Name == topic {
			out["rule_functions"] = []functionJSON{{f.Signature, f.Doc, f.Example}}
			return out, true
		}
	}
	for _, e := range rules.StandardEvents() {
		if e.Name == topic {
			out["events"] = []rules.EventType{e}
			return out, true
		}
	}
	return nil, false
}
