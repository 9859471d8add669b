package hearthtest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
)

// Suite is the tests of a directory's test files.
type Suite struct {
	Tests []*Test
	// Sources are the parsed files, for printing diagnostics.
	Sources config.Sources
	// base is what file names in failures and diagnostics are relative
	// to (pos): Load's base.
	base string
}

// Test is one test block.
type Test struct {
	Name      string
	File      string
	Start     time.Time
	Members   []*Member
	Events    []*Event
	Expects   []*Expect
	Alerts    []*ExpectAlert
	DeclRange hcl.Range
	// Pinned are the variables the test's file sets (its variables
	// attribute); the test runs on the configuration loaded with them.
	Pinned []config.PinnedVar
	// cfg is that configuration, set by Load; nil: the one given to
	// Check and Run.
	cfg *config.Config
	// stream is the test's events as JSON lines in time order, built by
	// Check once the configuration is known.
	stream []line
	// base is the suite's, for the file names of failures.
	base string
	// variants are the members' pinned variants Check found valid:
	// member id -> campaign -> variant, as runtime.PinVariants takes them.
	variants map[string]map[string]string
}

// Member is a member block: what a test sets for a member in place of
// the rules.
type Member struct {
	ID string
	// Variants pins the A/B variant each campaign's split gives the
	// member: campaign -> variant.
	Variants map[string]string
	// Name and Identities go with every event of the member, as
	// events' member objects carry them: {"id", "name", "identities"}.
	Name       string
	Identities map[string]string
	DeclRange  hcl.Range
	IDRange    hcl.Range
	attrs      attrs
}

// Event is one event block. At is resolved against the test's start.
type Event struct {
	Type   string
	Member string
	At     time.Time
	ID     string
	Attrs  cty.Value
	Repeat int
	Every  time.Duration
	// Received is when hearth receives the event, later than At; nil
	// for at its time.
	Received  *time.Time
	DeclRange hcl.Range
	TypeRange hcl.Range
	attrs     attrs
	// bad events are not checked further nor sent: their error is
	// already reported.
	bad bool
}

// Expect is one expect block; nil fields are not checked.
type Expect struct {
	Member      string
	MemberRange hcl.Range
	At          *time.Time // nil: the time of the test's last event
	// AtAbsolute says at is written as a time or a date, not an offset:
	// a failure shows that time, not only the offset.
	AtAbsolute    bool
	Points        *int
	Tier          *string
	Badges        *[]string
	InSegments    []string
	NotInSegments []string
	Attrs         cty.Value
	Strikes       *int
	Actions       *[]string
	Unsubscribed  *[]string
	Bounced       *[]string
	Campaigns     []*ExpectCampaign
	DeclRange     hcl.Range
	attrs         attrs
}

// ExpectCampaign is a campaign block inside expect.
type ExpectCampaign struct {
	Name      string
	Key       *string // the run's key, in a campaign with run_key
	Status    *string
	Step      *string
	Ended     *string
	Variant   *string
	Sent      *[]string
	Skipped   *[]string
	Runs      *int
	Held      *string    // heldQuietHours, heldFrequencyCap or heldNone
	HeldUntil *time.Time // when the hold ends
	Messages  []*ExpectMessage
	DeclRange hcl.Range
	NameRange hcl.Range
	attrs     attrs
}

// ExpectMessage is a message block inside an expect's campaign block:
// the latest message of a step that went out to the member.
type ExpectMessage struct {
	Step      string
	Text      *string
	Contains  *[]string
	Subject   *string
	At        *time.Time // when it went out
	NotBefore *time.Time // it went out at this time or later
	DeclRange hcl.Range
	NameRange hcl.Range
	attrs     attrs
}

// ExpectAlert is how often an alert must have fired (and been held back
// by its cool-down) over the test's events, summed over communities.
type ExpectAlert struct {
	Name       string
	Fired      *int
	Suppressed *int
	DeclRange  hcl.Range
	NameRange  hcl.Range
	attrs      attrs
}

// defaultStart is when tests start unless they say otherwise.
func defaultStart() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// Parse reads test files and checks what needs no configuration: syntax,
// the schema, value types, times and durations, duplicate names and
// tests that check nothing. Every problem is reported, not just the
// first; tests with errors are still returned, as far as they decoded.
func Parse(files []string) (*Suite, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	s := &Suite{}
	var diags hcl.Diagnostics
	root := Schema()
	spec := root.Blocks[0]
	names := map[string]hcl.Range{}
	for _, path := range files {
		f, d := parser.ParseHCLFile(path)
		diags = append(diags, d...)
		if d.HasErrors() || f == nil {
			continue
		}
		content, d := f.Body.Content(root.HCLSchema())
		diags = append(diags, d...)
		pinned := decodeVariables(content.Attributes["variables"], path, &diags)
		for _, b := range content.Blocks {
			t := decodeTest(b, spec, &diags)
			t.File, t.Pinned = path, pinned
			if prev, ok := names[t.Name]; ok {
				diags = append(diags, errorAt(b.LabelRanges[0], "Duplicate test name",
					"A test named %q is already defined at %s:%d. Give each test of a directory its own name, so its result can be told apart.",
					t.Name, filepath.Base(prev.Filename), prev.Start.Line))
			} else {
				names[t.Name] = b.LabelRanges[0]
			}
			s.Tests = append(s.Tests, t)
		}
	}
	s.Sources = parser.Files()
	sortDiagnostics(diags)
	return s, diags
}

// decodeVariables reads a test file's variables: names and constant
// values, which config.Load checks against the variable blocks.
func decodeVariables(a *hcl.Attribute, path string, diags *hcl.Diagnostics) []config.PinnedVar {
	if a == nil {
		return nil
	}
	pairs, d := hcl.ExprMap(a.Expr)
	if d.HasErrors() {
		*diags = append(*diags, errorAt(a.Expr.Range(), "Invalid variables",
			"variables must be an object of variable names and values, such as variables = { topics_created_last_100_days = 300 }."))
		return nil
	}
	var out []config.PinnedVar
	seen := map[string]hcl.Range{}
	for _, p := range pairs {
		name := hcl.ExprAsKeyword(p.Key)
		if name == "" {
			if v, d := p.Key.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				name = v.AsString()
			}
		}
		if !hclsyntax.ValidIdentifier(name) {
			*diags = append(*diags, errorAt(p.Key.Range(), "Invalid variable name", "A key of variables is the name of a variable block of the configuration, such as topics_created_last_100_days."))
			continue
		}
		if prev, ok := seen[name]; ok {
			*diags = append(*diags, errorAt(p.Key.Range(), "Duplicate variable", "variables already sets %q at line %d.", name, prev.Start.Line))
			continue
		}
		seen[name] = p.Key.Range()
		if len(p.Value.Variables()) > 0 {
			*diags = append(*diags, errorAt(p.Value.Range(), "Variable value must be constant", "The value of %q cannot refer to anything: write it out, as in a -var-file.", name))
			continue
		}
		out = append(out, config.PinnedVar{Name: name, NameRange: p.Key.Range(), Expr: p.Value, Where: "test file " + filepath.Base(path)})
	}
	return out
}

func errorAt(rng hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()}
}

func decodeTest(b *hcl.Block, spec *config.Block, diags *hcl.Diagnostics) *Test {
	t := &Test{Name: b.Labels[0], DeclRange: b.DefRange, Start: defaultStart()}
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	a := attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	if s := a.str("start"); s != nil {
		if start, ok := absTime(*s); ok {
			t.Start = start
		} else {
			a.errorf("start", "Invalid start", "start = %q must be an RFC 3339 time such as \"2026-01-01T00:00:00Z\", or a date such as \"2026-01-01\" (its start in UTC).", *s)
		}
	}
	members := map[string]hcl.Range{}
	for _, cb := range content.Blocks {
		cspec := child(spec, cb.Type)
		switch cb.Type {
		case "member":
			p := decodeMember(cb, cspec, diags)
			if prev, ok := members[p.ID]; ok {
				*diags = append(*diags, errorAt(p.IDRange, "Duplicate member block",
					"Member %q already has a member block at %s:%d in this test: put everything the test sets for them in that one.",
					p.ID, filepath.Base(prev.Filename), prev.Start.Line))
				continue
			}
			members[p.ID] = cb.DefRange
			t.Members = append(t.Members, p)
		case "event":
			t.Events = append(t.Events, decodeEvent(cb, cspec, t.Start, diags))
		case "expect":
			t.Expects = append(t.Expects, decodeExpect(cb, cspec, t.Start, diags))
		case "expect_alert":
			t.Alerts = append(t.Alerts, decodeAlert(cb, cspec, diags))
		}
	}
	unheard(t, diags)
	early(t, diags)
	if len(t.Expects)+len(t.Alerts) == 0 && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Test checks nothing",
			"Test %q has no expect or expect_alert block, so it would pass whatever the rules do. Say what the events must lead to.", t.Name))
	}
	return t
}

func child(b *config.Block, typ string) *config.Block {
	for _, c := range b.Blocks {
		if c.Type == typ {
			return c
		}
	}
	return nil
}

// decodeMember reads a member block; Check checks the campaigns and
// variants it names.
func decodeMember(b *hcl.Block, spec *config.Block, diags *hcl.Diagnostics) *Member {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	p := &Member{ID: b.Labels[0], DeclRange: b.DefRange, IDRange: b.LabelRanges[0]}
	p.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	switch {
	case p.ID == "":
		*diags = append(*diags, errorAt(p.IDRange, "Invalid member", "A member block's label must be a member's id, such as \"ann\"; it is empty."))
	case len(p.ID) > events.MaxIDLen:
		*diags = append(*diags, errorAt(p.IDRange, "Invalid member", "The member id is %d bytes long; an id has at most %d.", len(p.ID), events.MaxIDLen))
	}
	p.Variants = p.attrs.stringMap("variants")
	if n := p.attrs.str("name"); n != nil {
		p.Name = *n
	}
	p.Identities = p.attrs.stringMap("identities")
	checkMemberObject(p)
	if len(content.Attributes) == 0 && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Member block sets nothing",
			"member %q sets nothing: add identities (their addresses on platforms, such as their email), name, or variants, the A/B variant each campaign's split gives them (`hearth explain test.member`).", p.ID))
	}
	return p
}

// checkMemberObject refuses a name or identity that the event reader
// would refuse in an event's member object, at the attribute it is in.
func checkMemberObject(p *Member) {
	if p.Name != "" {
		ev := events.Event{ID: "x", Type: "member.joined", Member: events.Member{ID: "x", Name: p.Name}, At: defaultStart()}
		if err := ev.Check(); err != nil {
			p.attrs.errorf("name", "Invalid name", "%s.", strings.TrimPrefix(err.Error(), events.ErrInvalid.Error()+": "))
		}
	}
	expr := p.attrs.Attributes["identities"]
	for _, k := range sortedKeys(p.Identities) {
		v := p.Identities[k]
		ev := events.Event{ID: "x", Type: "member.joined", Member: events.Member{ID: "x", Identities: map[string]string{k: v}}, At: defaultStart()}
		err := ev.Check()
		switch {
		case k == "" || v == "":
			*p.attrs.diags = append(*p.attrs.diags, errorAt(element(expr.Expr, k), "Invalid identities",
				"identities maps a platform type to the member's id there, such as { email = \"ann@example.org\" }: neither may be empty."))
		case err != nil:
			*p.attrs.diags = append(*p.attrs.diags, errorAt(element(expr.Expr, k), "Invalid identities", "%s.", strings.TrimPrefix(err.Error(), events.ErrInvalid.Error()+": ")))
		}
	}
}

// unheard warns of a member block for a member no event of the test
// names: what it sets is never used, and the id may be a typo. An expect
// block on such a member is an error: it checks a member hearth never
// heard of, whose state is empty whatever the rules do. A member an
// event names in its attributes only (a referrer a grant goes to) is
// heard: grant.to can give them points.
func unheard(t *Test, diags *hcl.Diagnostics) {
	var ids []string
	for _, e := range t.Events {
		if e.Member != "" && !slices.Contains(ids, e.Member) {
			ids = append(ids, e.Member)
		}
	}
	named := attrMembers(t)
	for _, p := range t.Members {
		if p.ID == "" || slices.Contains(ids, p.ID) {
			continue
		}
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Member in no event",
			Detail:  fmt.Sprintf("No event of test %q is about member %q, so what its member block sets is never used.%s", t.Name, p.ID, suggest(p.ID, ids)),
			Subject: p.IDRange.Ptr()})
	}
	known := slices.Clone(ids)
	for _, id := range named {
		if !slices.Contains(known, id) {
			known = append(known, id)
		}
	}
	for _, x := range t.Expects {
		if x.Member == "" || slices.Contains(known, x.Member) {
			continue
		}
		hint := suggest(x.Member, known)
		if hint == "" && len(known) > 0 {
			hint = " The test's events are about " + quoteList(known) + "."
		}
		*diags = append(*diags, errorAt(x.MemberRange, "Member in no event",
			"No event of test %q is about member %q or names them, so this expect checks a member hearth never heard of, whose state is empty whatever the rules do.%s", t.Name, x.Member, hint))
	}
}

// attrMembers are the strings an event of the test has among its
// attributes, as a referrer = "bo" names a member a grant may go to, in
// the order they come.
func attrMembers(t *Test) []string {
	var out []string
	add := func(v cty.Value) {
		if v.IsKnown() && !v.IsNull() && v.Type() == cty.String && v.AsString() != "" && !slices.Contains(out, v.AsString()) {
			out = append(out, v.AsString())
		}
	}
	for _, e := range t.Events {
		if e.Attrs == cty.NilVal || e.Attrs.IsNull() || !e.Attrs.CanIterateElements() {
			continue
		}
		for _, v := range e.Attrs.AsValueMap() {
			add(v)
			if v.IsKnown() && !v.IsNull() && (v.Type().IsTupleType() || v.Type().IsListType()) {
				for _, el := range v.AsValueSlice() {
					add(el)
				}
			}
		}
	}
	return out
}

// firstHeard is when the test's stream first brings an event about the
// member or naming them in its attributes (received, when later than
// its time); false when none does.
func firstHeard(t *Test, member string) (time.Time, *Event, bool) {
	var first time.Time
	var by *Event
	for _, e := range t.Events {
		if e.At.IsZero() || e.Repeat < 1 || (e.Member != member && !slices.Contains(attrMembers(&Test{Events: []*Event{e}}), member)) {
			continue
		}
		at := e.At
		if e.Received != nil && e.Received.After(at) {
			// Its repetitions are all received then, the first too.
			at = *e.Received
		}
		if by == nil || at.Before(first) {
			first, by = at, e
		}
	}
	return first, by, by != nil
}

// early warns of an event dated before the test's start, and of an
// expect looking before the start or before its member's first event:
// an offset is counted from start, so one such time is likely a start or
// a date mistyped, and a member has no state before their first event.
func early(t *Test, diags *hcl.Diagnostics) {
	for _, e := range t.Events {
		if e.bad || e.At.IsZero() || !e.At.Before(t.Start) {
			continue
		}
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Event before the test's start",
			Detail:  fmt.Sprintf("The event is at %s, before the test's start (%s). It is applied all the same, at its time; offsets count from start, so give the test an earlier start, or the event a later time, if this is not meant.", timeText(e.At, t.Start), t.Start.UTC().Format(time.RFC3339)),
			Subject: e.attrs.rng("at").Ptr()})
	}
	for _, x := range t.Expects {
		if x.At == nil {
			continue
		}
		rng := x.attrs.rng("at").Ptr()
		if x.At.Before(t.Start) {
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Expectation before the test's start",
				Detail:  fmt.Sprintf("at is %s, before the test's start (%s): the state is looked at before anything the test starts with.", timeText(*x.At, t.Start), t.Start.UTC().Format(time.RFC3339)),
				Subject: rng})
			continue
		}
		if first, e, ok := firstHeard(t, x.Member); ok && x.At.Before(first) {
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Expectation before the member's first event",
				Detail: fmt.Sprintf("at is %s, before the first event of %q is received (%s at %s, line %d): the member has no state yet then, so the test checks an empty member.",
					timeText(*x.At, t.Start), x.Member, e.Type, timeText(first, t.Start), e.DeclRange.Start.Line),
				Subject: rng})
		}
	}
}

func decodeEvent(b *hcl.Block, spec *config.Block, start time.Time, diags *hcl.Diagnostics) *Event {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	e := &Event{Type: b.Labels[0], DeclRange: b.DefRange, TypeRange: b.LabelRanges[0], Repeat: 1, Every: time.Minute, Attrs: cty.NilVal}
	e.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	a := &e.attrs
	n := len(*diags)
	e.bad = d.HasErrors()
	if m := a.str("member"); m != nil {
		e.Member = *m
		switch {
		case e.Member == "":
			a.errorf("member", "Invalid member", "member must be a member's id, such as \"ann\"; it is empty.")
		case len(e.Member) > events.MaxIDLen:
			a.errorf("member", "Invalid member", "member is %d bytes long; an id has at most %d.", len(e.Member), events.MaxIDLen)
		}
	}
	if at := a.at("at", start); at != nil {
		e.At = *at
	}
	if id := a.str("id"); id != nil {
		e.ID = *id
		// Repeated events get "-N" after the id; leave room for it.
		if limit := events.MaxIDLen - 8; e.ID == "" || len(e.ID) > limit {
			a.errorf("id", "Invalid id", "id must have 1 to %d bytes.", limit)
		}
	}
	if r := a.num("repeat"); r != nil {
		e.Repeat = *r
		if e.Repeat < 0 || e.Repeat > 100000 {
			a.errorf("repeat", "Invalid repeat", "repeat must be 0 to 100000; it is %d.", e.Repeat)
		}
	}
	if s := a.str("every"); s != nil {
		every, err := durations.Parse(*s)
		switch {
		case err != nil:
			a.errorf("every", "Invalid every", "%v.", err)
		case every <= 0:
			a.errorf("every", "Invalid every", "every must be longer than zero, such as \"1m\"; repeated events all at one time would be one event.")
		default:
			e.Every = every
		}
	}
	e.Received = a.at("received", start)
	if last := e.At.Add(time.Duration(max(e.Repeat-1, 0)) * e.Every); e.Received != nil && len(*diags) == n && e.Received.Before(last) {
		what := "its time"
		if e.Repeat > 1 {
			what = "its last repetition's time"
		}
		a.errorf("received", "Invalid received", "received is when hearth receives the event, so it cannot be before %s (%s); it is %s.", what, last.UTC().Format(time.RFC3339), e.Received.UTC().Format(time.RFC3339))
	}
	e.Attrs = a.object("attrs")
	e.bad = e.bad || len(*diags) > n
	return e
}

func decodeExpect(b *hcl.Block, spec *config.Block, start time.Time, diags *hcl.Diagnostics) *Expect {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	x := &Expect{Member: b.Labels[0], MemberRange: b.LabelRanges[0], DeclRange: b.DefRange, Attrs: cty.NilVal}
	x.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	a := &x.attrs
	x.At = a.at("at", start)
	x.AtAbsolute = a.absolute["at"]
	x.Points = a.num("points")
	x.Tier = a.str("tier")
	x.Badges = a.list("badges")
	if l := a.list("in_segments"); l != nil {
		x.InSegments = *l
		a.emptyList("in_segments", *l, "name the segments the member must be in, or remove it")
	}
	if l := a.list("not_in_segments"); l != nil {
		x.NotInSegments = *l
		a.emptyList("not_in_segments", *l, "name the segments the member must not be in, or remove it")
	}
	x.Attrs = a.object("attrs")
	x.Strikes = a.num("strikes")
	x.Actions = a.list("actions")
	x.Unsubscribed = a.list("unsubscribed")
	x.Bounced = a.list("bounced")
	cspec := child(spec, "campaign")
	for _, cb := range content.Blocks {
		x.Campaigns = append(x.Campaigns, decodeCampaign(cb, cspec, start, diags))
	}
	checks := len(content.Blocks)
	for name := range content.Attributes {
		if name != "at" && !a.empty[name] {
			checks++
		}
	}
	if checks == 0 && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Expectation checks nothing",
			"expect %q gives nothing to check: add points, tier, badges, segments, attrs, strikes, actions, unsubscribed, bounced or a campaign block (`hearth explain test.expect`).", x.Member))
	}
	return x
}

func decodeCampaign(b *hcl.Block, spec *config.Block, start time.Time, diags *hcl.Diagnostics) *ExpectCampaign {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	c := &ExpectCampaign{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	c.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	a := &c.attrs
	c.Key = a.str("key")
	c.Status = a.str("status")
	c.Step = a.str("step")
	c.Ended = a.str("ended")
	c.Variant = a.str("variant")
	c.Sent = a.list("sent")
	c.Skipped = a.list("skipped")
	c.Runs = a.num("runs")
	c.Held = a.str("held")
	c.HeldUntil = a.at("held_until", start)
	if c.Held != nil && *c.Held == heldNone && c.HeldUntil != nil {
		a.errorf("held_until", "Held until, but not held", "held = \"none\" says nothing holds the send, so it has no end: remove held_until, or say what holds it (held = \"quiet_hours\" or \"frequency_cap\").")
	}
	mspec := child(spec, "message")
	for _, mb := range content.Blocks {
		c.Messages = append(c.Messages, decodeMessage(mb, mspec, start, diags))
	}
	checks := len(content.Attributes) + len(content.Blocks)
	if checks == 0 && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Expectation checks nothing",
			"campaign %q gives nothing to check: add status, step, ended, variant, sent, skipped, runs, held or a message block.", c.Name))
	} else if checks == 1 && c.Key != nil && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Expectation checks nothing",
			"campaign %q names a run by its key and checks nothing of it: add status, step, ended, variant, sent, skipped, runs, held or a message block.", c.Name))
	}
	return c
}

func decodeMessage(b *hcl.Block, spec *config.Block, start time.Time, diags *hcl.Diagnostics) *ExpectMessage {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	x := &ExpectMessage{Step: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	x.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	a := &x.attrs
	x.Text = a.str("text")
	x.Contains = a.list("contains")
	if x.Contains != nil {
		a.emptyList("contains", *x.Contains, "name the pieces of text the message must hold, or remove it")
	}
	x.Subject = a.str("subject")
	x.At = a.at("at", start)
	x.NotBefore = a.at("not_before", start)
	if len(content.Attributes) == len(a.empty) && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Expectation checks nothing",
			"message %q gives nothing to check: add text, contains, subject, at or not_before.", x.Step))
	}
	return x
}

func decodeAlert(b *hcl.Block, spec *config.Block, diags *hcl.Diagnostics) *ExpectAlert {
	content, d := b.Body.Content(spec.HCLSchema())
	*diags = append(*diags, d...)
	x := &ExpectAlert{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	x.attrs = attrs{Attributes: content.Attributes, spec: spec, def: b.DefRange, diags: diags}
	x.Fired = x.attrs.num("fired")
	x.Suppressed = x.attrs.num("suppressed")
	if len(content.Attributes) == 0 && !d.HasErrors() {
		*diags = append(*diags, errorAt(b.DefRange, "Expectation checks nothing",
			"expect_alert %q gives nothing to check: add fired or suppressed.", x.Name))
	}
	return x
}

// attrs reads a block's attributes, reporting each problem at the value
// it is about. Test files have no variables or functions: values are
// literals.
type attrs struct {
	hcl.Attributes
	spec  *config.Block
	def   hcl.Range
	diags *hcl.Diagnostics
	// empty are the list attributes set to [] that assert nothing.
	empty map[string]bool
	// absolute are the time attributes written as a time or a date.
	absolute map[string]bool
}

// rng is where an attribute's value is written, or the block's header
// when it is not.
func (a *attrs) rng(name string) hcl.Range {
	if at, ok := a.Attributes[name]; ok {
		return at.Expr.Range()
	}
	return a.def
}

// emptyList warns of a list attribute that is empty where an empty list
// asserts nothing (in_segments = [] checks no segment), unlike badges = []
// or sent = [], which say there are none: the test would pass whatever
// the rules do. The attribute then counts as no check.
func (a *attrs) emptyList(name string, l []string, fix string) {
	if len(l) > 0 {
		return
	}
	if a.empty == nil {
		a.empty = map[string]bool{}
	}
	a.empty[name] = true
	*a.diags = append(*a.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Empty " + name + " checks nothing",
		Detail:  fmt.Sprintf("%s = [] asserts nothing: the test passes whatever the rules do. %s.", name, upperFirst(fix)),
		Subject: a.rng(name).Ptr()})
}

func (a *attrs) errorf(name, summary, format string, args ...any) {
	*a.diags = append(*a.diags, errorAt(a.rng(name), summary, format, args...))
}

// value evaluates an attribute, converted to ty; ok is false when it is
// not set, null, or wrong (reported).
func (a *attrs) value(name string, ty cty.Type, want string) (cty.Value, bool) {
	at, ok := a.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, d := at.Expr.Value(nil)
	*a.diags = append(*a.diags, d...)
	if d.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	if ty == cty.DynamicPseudoType {
		return v, true
	}
	c, err := convert.Convert(v, ty)
	if err != nil {
		a.errorf(name, "Invalid "+name, "%s must be %s, not %s.", name, want, friendly(v.Type()))
		return cty.NilVal, false
	}
	return c, true
}

func (a *attrs) str(name string) *string {
	v, ok := a.value(name, cty.String, "a string")
	if !ok {
		return nil
	}
	s := v.AsString()
	if spec := a.attrSpec(name); spec != nil && spec.Kind == config.KindEnum && !slices.Contains(spec.Enum, s) {
		hint := suggest(s, spec.Enum)
		if other := a.enumWith(s, name); other != "" {
			// status = "finished": the value of a neighbour attribute.
			hint = fmt.Sprintf(" %q is a value of %s: did you mean %s = %q?", s, other, other, s)
		}
		a.errorf(name, "Invalid "+name, "%s = %q is not one of %s.%s", name, s, quoteList(spec.Enum), hint)
		return nil
	}
	return &s
}

// enumWith is the block's other enum attribute that takes value, or "".
func (a *attrs) enumWith(value, except string) string {
	for _, at := range a.spec.Attrs {
		if at.Name != except && at.Kind == config.KindEnum && slices.Contains(at.Enum, value) {
			return at.Name
		}
	}
	return ""
}

func (a *attrs) num(name string) *int {
	v, ok := a.value(name, cty.Number, "a whole number")
	if !ok {
		return nil
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		a.errorf(name, "Invalid "+name, "%s must be a whole number, not %s.", name, config.NumberText(v.AsBigFloat()))
		return nil
	}
	return &n
}

func (a *attrs) list(name string) *[]string {
	v, ok := a.value(name, cty.List(cty.String), "a list of strings, such as [\"a\", \"b\"]")
	if !ok {
		return nil
	}
	out := []string{}
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			a.errorf(name, "Invalid "+name, "%s must not hold null.", name)
			return nil
		}
		out = append(out, e.AsString())
	}
	return &out
}

// object reads an attribute written as an object, such as
// { channel = "help" }; cty.NilVal when unset.
func (a *attrs) object(name string) cty.Value {
	v, ok := a.value(name, cty.DynamicPseudoType, "")
	if !ok {
		return cty.NilVal
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		example := `{ channel = "help" }`
		if spec := a.attrSpec(name); spec != nil && spec.Example != "" {
			example = spec.Example
		}
		a.errorf(name, "Invalid "+name, "%s must be an object such as %s, not %s.", name, example, friendly(v.Type()))
		return cty.NilVal
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal
	}
	return v
}

// stringMap reads an attribute written as an object of strings, such as
// { onboarding = "short" }; nil when unset, and without the entries that
// are not strings (reported at each).
func (a *attrs) stringMap(name string) map[string]string {
	v := a.object(name)
	if v.IsNull() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if e.IsNull() || e.Type() != cty.String {
			what := "null"
			if !e.IsNull() {
				what = friendly(e.Type())
			}
			*a.diags = append(*a.diags, errorAt(element(a.Attributes[name].Expr, k), "Invalid "+name,
				"%s.%s must be a string, not %s.", name, k, what))
			continue
		}
		out[k] = e.AsString()
	}
	return out
}

// at reads a time: an offset from start ("3d12h", or "0" for start
// itself), an RFC 3339 time, or a date (its start in UTC, as hearth
// simulate -from reads one).
func (a *attrs) at(name string, start time.Time) *time.Time {
	s := a.str(name)
	if s == nil {
		return nil
	}
	if t, ok := absTime(*s); ok {
		if a.absolute == nil {
			a.absolute = map[string]bool{}
		}
		a.absolute[name] = true
		return &t
	}
	if strings.TrimSpace(*s) == "0" {
		// "0s" is an offset; a bare 0 needs no unit.
		return &start
	}
	d, err := durations.Parse(*s)
	if err != nil {
		a.errorf(name, "Invalid time", "%s = %q must be an offset from the test's start such as \"3d12h\" (\"0\" for the start), an RFC 3339 time such as \"2026-01-02T15:04:05Z\", or a date such as \"2026-01-02\" (its start in UTC).", name, *s)
		return nil
	}
	t := start.Add(d)
	return &t
}

// absTime reads a time written as a time, not an offset: RFC 3339, or a
// date, the start of that day in UTC, as hearth simulate -from takes one.
func absTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (a *attrs) attrSpec(name string) *config.Attr {
	for i := range a.spec.Attrs {
		if a.spec.Attrs[i].Name == name {
			return &a.spec.Attrs[i]
		}
	}
	return nil
}

// element is where a list element or object key is written in e, or e's
// range when it cannot tell.
func element(e hcl.Expression, value string) hcl.Range {
	switch x := e.(type) {
	case *hclsyntax.TupleConsExpr:
		for _, el := range x.Exprs {
			if v, d := el.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == value {
				return el.Range()
			}
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range x.Items {
			if key(item.KeyExpr) == value {
				return hcl.RangeBetween(item.KeyExpr.Range(), item.ValueExpr.Range())
			}
		}
	}
	return e.Range()
}

// keyAndValue are where an object's key and its value are written in e,
// or e's range for both when it cannot tell.
func keyAndValue(e hcl.Expression, k string) (hcl.Range, hcl.Range) {
	if x, ok := e.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range x.Items {
			if key(item.KeyExpr) == k {
				return item.KeyExpr.Range(), item.ValueExpr.Range()
			}
		}
	}
	return e.Range(), e.Range()
}

// key is the name an object key stands for: a bare word or a string.
func key(e hcl.Expression) string {
	if k := hcl.ExprAsKeyword(e); k != "" {
		return k
	}
	if v, d := e.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
		return v.AsString()
	}
	return ""
}

// friendly names a value's type the way people write values.
func friendly(t cty.Type) string {
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "an object"
	}
	return t.FriendlyName()
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
