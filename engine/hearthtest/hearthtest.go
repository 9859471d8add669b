// Package hearthtest runs rule unit tests written in HCL files named
// *.hearthtest.hcl: given timed events, the expected member state after
// them. It is `hearth test`, in the spirit of promtool's rule tests.
package hearthtest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// File is one parsed test file.
type File struct {
	Tests []Test `hcl:"test,block"`
}

// Test is one test case.
type Test struct {
	Name    string   `hcl:"name,label"`
	Start   string   `hcl:"start,optional"`
	Events  []Event  `hcl:"event,block"`
	Expects []Expect `hcl:"expect,block"`
	// Alerts are expectations about alerts after every event.
	Alerts []ExpectAlert `hcl:"expect_alert,block"`
	Range  hcl.Range
}

// ExpectAlert is how often an alert must have fired (and been held back
// by its cool-down) over the test's events, summed over communities.
type ExpectAlert struct {
	Name       string    `hcl:"name,label"`
	Fired      *int      `hcl:"fired,optional"`
	Suppressed *int      `hcl:"suppressed,optional"`
	Range      hcl.Range `hcl:",def_range"`
}

// Event is one input event; at is an offset from start ("3d12h") or an
// RFC 3339 time.
type Event struct {
	Type   string    `hcl:"type,label"`
	Member string    `hcl:"member"`
	At     string    `hcl:"at"`
	ID     string    `hcl:"id,optional"`
	Attrs  cty.Value `hcl:"attrs,optional"`
	// Repeat sends the event this many times, Every apart (default 1m);
	// unset means once, 0 means not at all (handy in generated tests).
	Repeat *int      `hcl:"repeat,optional"`
	Every  string    `hcl:"every,optional"`
	Range  hcl.Range `hcl:",def_range"`
}

// Expect is the state one member must be in.
type Expect struct {
	Member        string    `hcl:"member,label"`
	At            string    `hcl:"at,optional"`
	Points        *int      `hcl:"points,optional"`
	Tier          *string   `hcl:"tier,optional"`
	Badges        *[]string `hcl:"badges,optional"`
	InSegments    []string  `hcl:"in_segments,optional"`
	NotInSegments []string  `hcl:"not_in_segments,optional"`
	Attrs         cty.Value `hcl:"attrs,optional"`
	// Strikes are the member's live moderation strikes; Actions the
	// moderation decisions taken about them, in order, such as
	// ["warn", "mute 1h", "flag"].
	Strikes *int      `hcl:"strikes,optional"`
	Actions *[]string `hcl:"actions,optional"`
	Range   hcl.Range `hcl:",def_range"`
}

// Failure is one expectation not met.
type Failure struct {
	Test     string
	Where    hcl.Range
	What     string
	Expected string
	Got      string
	Rule     string // where the deciding rule is, "members.hcl:23: member.points >= 100"
}

// Result is the outcome of one test.
type Result struct {
	Name     string
	File     string
	Failures []Failure
}

// Files lists the test files of a directory.
func Files(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*"+config.TestFileSuffix))
	sort.Strings(matches)
	return matches, err
}

// Run parses and runs every test in the files against cfg.
func Run(ctx context.Context, cfg *config.Config, files []string) ([]Result, config.Sources, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	var results []Result
	var diags hcl.Diagnostics
	for _, path := range files {
		f, d := parser.ParseHCLFile(path)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		var tf File
		d = gohcl.DecodeBody(f.Body, nil, &tf)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		for _, t := range tf.Tests {
			res, d := runTest(ctx, cfg, t)
			diags = append(diags, d...)
			res.File = path
			results = append(results, res)
		}
	}
	return results, parser.Files(), diags
}

func parseAt(start time.Time, s string, rng hcl.Range) (time.Time, *hcl.Diagnostic) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := durations.Parse(s)
	if err != nil {
		return time.Time{}, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid time", Detail: fmt.Sprintf("at = %q must be an offset from the test's start such as \"3d12h\", or an RFC 3339 time.", s), Subject: rng.Ptr()}
	}
	return start.Add(d), nil
}

func runTest(ctx context.Context, cfg *config.Config, t Test) (Result, hcl.Diagnostics) {
	res := Result{Name: t.Name}
	var diags hcl.Diagnostics
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if t.Start != "" {
		s, err := time.Parse(time.RFC3339, t.Start)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid start", Detail: "start must be an RFC 3339 time.", Subject: t.Range.Ptr()})
			return res, diags
		}
		start = s
	}
	type timed struct {
		at   time.Time
		line []byte
	}
	var evs []timed
	for i, e := range t.Events {
		at, d := parseAt(start, e.At, e.Range)
		if d != nil {
			diags = append(diags, d)
			continue
		}
		every := time.Minute
		if e.Every != "" {
			d, err := durations.Parse(e.Every)
			if err != nil || d <= 0 {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid every", Detail: "every must be a duration such as \"1h\".", Subject: e.Range.Ptr()})
				continue
			}
			every = d
		}
		times := 1
		if e.Repeat != nil {
			times = *e.Repeat
			if times < 0 || times > 100000 {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid repeat", Detail: "repeat must be 0 to 100000.", Subject: e.Range.Ptr()})
				continue
			}
		}
		for n := range times {
			id := e.ID
			if id == "" {
				id = fmt.Sprintf("test-%d", i+1)
			}
			if n > 0 || times > 1 {
				id = fmt.Sprintf("%s-%d", id, n+1)
			}
			when := at.Add(time.Duration(n) * every)
			obj := map[string]any{"id": id, "type": e.Type, "member": e.Member, "at": when.Format(time.RFC3339Nano)}
			if !e.Attrs.IsNull() && e.Attrs.IsKnown() {
				b, err := ctyjson.Marshal(e.Attrs, e.Attrs.Type())
				if err == nil {
					obj["attrs"] = json.RawMessage(b)
				}
			}
			line, _ := json.Marshal(obj)
			evs = append(evs, timed{when, line})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	if diags.HasErrors() {
		return res, diags
	}
	for _, x := range t.Expects {
		until := start
		if len(evs) > 0 {
			until = evs[len(evs)-1].at
		}
		if x.At != "" {
			at, d := parseAt(start, x.At, x.Range)
			if d != nil {
				diags = append(diags, d)
				continue
			}
			until = at
		}
		var stream strings.Builder
		for _, e := range evs {
			if !e.at.After(until) {
				stream.Write(e.line)
				stream.WriteByte('\n')
			}
		}
		sum, err := simulate.Run(ctx, cfg, strings.NewReader(stream.String()), simulate.Options{To: until})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Test events rejected", Detail: err.Error(), Subject: t.Range.Ptr()})
			continue
		}
		var m *state.Member
		_ = sum.Store.Members(ctx, func(mm *state.Member) error {
			if mm.ID == x.Member {
				m = mm
			}
			return nil
		})
		if m == nil {
			m = state.NewMember(x.Member, until)
		}
		res.Failures = append(res.Failures, check(cfg, t.Name, x, m)...)
	}
	if len(t.Alerts) > 0 {
		var stream strings.Builder
		until := start
		for _, e := range evs {
			stream.Write(e.line)
			stream.WriteByte('\n')
			until = e.at
		}
		sum, err := simulate.Run(ctx, cfg, strings.NewReader(stream.String()), simulate.Options{To: until})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Test events rejected", Detail: err.Error(), Subject: t.Range.Ptr()})
			return res, diags
		}
		var comms []*state.Community
		if cr, ok := sum.Store.(state.CommunityReader); ok {
			comms, _ = cr.Communities()
		}
		for _, x := range t.Alerts {
			res.Failures = append(res.Failures, checkAlert(cfg, t.Name, x, comms)...)
		}
	}
	return res, diags
}

func checkAlert(cfg *config.Config, test string, x ExpectAlert, comms []*state.Community) []Failure {
	var out []Failure
	fired, suppressed := 0, 0
	for _, c := range comms {
		if st := c.Alerts[x.Name]; st != nil {
			fired += st.Fired
			suppressed += st.Suppressed
		}
	}
	rule := fmt.Sprintf("there is no alert %q", x.Name)
	for _, a := range cfg.Alerts {
		if a.Name == x.Name {
			rule = "alert " + a.Name + " when at " + where(a.When)
		}
	}
	if x.Fired != nil && *x.Fired != fired {
		out = append(out, Failure{Test: test, Where: x.Range, What: "alert " + x.Name + " fired", Expected: fmt.Sprint(*x.Fired), Got: fmt.Sprint(fired), Rule: rule})
	}
	if x.Suppressed != nil && *x.Suppressed != suppressed {
		out = append(out, Failure{Test: test, Where: x.Range, What: "alert " + x.Name + " suppressed", Expected: fmt.Sprint(*x.Suppressed), Got: fmt.Sprint(suppressed), Rule: rule})
	}
	return out
}

func check(cfg *config.Config, test string, x Expect, m *state.Member) []Failure {
	var out []Failure
	fail := func(what, want, got, rule string) {
		out = append(out, Failure{Test: test, Where: x.Range, What: fmt.Sprintf("%s of %s", what, x.Member), Expected: want, Got: got, Rule: rule})
	}
	if x.Points != nil && *x.Points != m.Points {
		fail("points", fmt.Sprint(*x.Points), fmt.Sprint(m.Points), pointsRule(cfg, m))
	}
	if x.Tier != nil && *x.Tier != m.Tier.Name {
		fail("tier", show(*x.Tier), show(m.Tier.Name), tierRule(cfg, *x.Tier, m.Tier.Name))
	}
	if x.Badges != nil {
		var got []string
		for name, h := range m.Badges {
			if h.Count > 0 {
				got = append(got, name)
			}
		}
		want := slices.Clone(*x.Badges)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			fail("badges", fmt.Sprint(want), fmt.Sprint(got), badgeRule(cfg, m, want, got))
		}
	}
	for _, s := range x.InSegments {
		if _, ok := m.Segments[s]; !ok {
			fail("segment "+s, "in", "not in", segmentRule(cfg, s))
		}
	}
	for _, s := range x.NotInSegments {
		if _, ok := m.Segments[s]; ok {
			fail("segment "+s, "not in", "in", segmentRule(cfg, s))
		}
	}
	if x.Strikes != nil && *x.Strikes != m.Strikes {
		fail("strikes", fmt.Sprint(*x.Strikes), fmt.Sprint(m.Strikes), "")
	}
	if x.Actions != nil {
		got := []string{}
		if m.Moderation != nil {
			for _, d := range m.Moderation.Decisions {
				a := d.Action
				if d.Duration != "" {
					a += " " + d.Duration
				}
				got = append(got, a)
			}
		}
		if !slices.Equal(got, *x.Actions) {
			fail("moderation actions", fmt.Sprint(*x.Actions), fmt.Sprint(got), "")
		}
	}
	if !x.Attrs.IsNull() && x.Attrs.IsKnown() && x.Attrs.CanIterateElements() {
		for k, v := range x.Attrs.AsValueMap() {
			want := ctyString(v)
			got := fmt.Sprint(m.Attrs[k])
			if m.Attrs[k] == nil {
				got = "(unset)"
			}
			if want != got {
				fail("attrs."+k, want, got, "")
			}
		}
	}
	return out
}

func ctyString(v cty.Value) string {
	if v.Type() == cty.String {
		return v.AsString()
	}
	b, _ := ctyjson.Marshal(v, v.Type())
	return string(b)
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func where(r *config.Rule) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d: %s", filepath.Base(r.Range.Filename), r.Range.Start.Line, r.Source)
}

func tierRule(cfg *config.Config, want, got string) string {
	var parts []string
	for _, t := range cfg.Tiers {
		if t.Name == want || t.Name == got {
			parts = append(parts, "tier "+t.Name+" when at "+where(t.When))
			if t.Keep != nil {
				parts = append(parts, "tier "+t.Name+" keep at "+where(t.Keep))
			}
		}
	}
	return strings.Join(parts, "\n")
}

func segmentRule(cfg *config.Config, name string) string {
	for _, s := range cfg.Segments {
		if s.Name == name {
			return "segment " + name + " at " + where(s.When)
		}
	}
	return fmt.Sprintf("there is no segment %q", name)
}

// incentiveAt names an incentive and where it is: its when rule, or its
// block when it has none.
func incentiveAt(in *config.Incentive) string {
	if in.When != nil {
		return "incentive " + in.Name + " when at " + where(in.When)
	}
	return fmt.Sprintf("incentive %s at %s:%d (on %s)", in.Name, filepath.Base(in.DeclRange.Filename), in.DeclRange.Start.Line, strings.Join(in.On, ", "))
}

// grants says how often an incentive granted to the member.
func grants(m *state.Member, in *config.Incentive) int {
	if log := m.Log(in.Name); log != nil {
		return log.Count
	}
	return 0
}

// pointsRule lists the incentives that grant points and what each gave
// the member, and what the member spent or lost.
func pointsRule(cfg *config.Config, m *state.Member) string {
	var parts []string
	for _, in := range cfg.Incentives {
		if in.Grant.Points == 0 {
			continue
		}
		n := grants(m, in)
		points := n * in.Grant.Points
		if log := m.Log(in.Name); log != nil && in.PointsCap != nil {
			points = log.Points.Sum(state.DayOf(log.Last), state.Horizon)
		}
		parts = append(parts, fmt.Sprintf("%s: %s, %s", incentiveAt(in), plural(n, "grant", "grants"), plural(points, "point", "points")))
	}
	if lost := m.PointsEarned - m.Points; lost != 0 {
		parts = append(parts, fmt.Sprintf("earned %d; %d spent or expired", m.PointsEarned, lost))
	}
	if len(parts) == 0 {
		return "no incentive grants points"
	}
	return strings.Join(parts, "\n")
}

// badgeRule lists, for each badge expected and not held or held and not
// expected, the incentives that award it and how often they did.
func badgeRule(cfg *config.Config, m *state.Member, want, got []string) string {
	var parts []string
	for _, b := range cfg.Badges {
		if slices.Contains(want, b.Name) == slices.Contains(got, b.Name) {
			continue
		}
		found := false
		for _, in := range cfg.Incentives {
			if in.Grant.Badge == b {
				parts = append(parts, fmt.Sprintf("badge %s from %s: %s", b.Name, incentiveAt(in), plural(grants(m, in), "grant", "grants")))
				found = true
			}
		}
		if b.RevokeWhen != nil {
			parts = append(parts, "badge "+b.Name+" revoke_when at "+where(b.RevokeWhen))
		} else if !found {
			parts = append(parts, "no incentive awards badge "+b.Name)
		}
	}
	return strings.Join(parts, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
