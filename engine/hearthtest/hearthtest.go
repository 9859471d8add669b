// Package hearthtest runs rule unit tests written in HCL files named
// *.hearthtest.hcl: given timed events, the expected member state after
// them. It is `hearth test`, in the spirit of promtool's rule tests.
package hearthtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

// Failure is one expectation not met.
type Failure struct {
	// Where is the attribute (or list element) the expectation is
	// written at.
	Where    hcl.Range
	Subject  string // what was checked: "tier of ann"
	Expected string
	Got      string
	// ExpectedValue and GotValue are Expected and Got as values, for
	// JSON: a number, a string, a list of strings, true or false (in a
	// segment or not), or nil for none (no tier, an unset attribute).
	ExpectedValue, GotValue any
	// Block is the campaign block a campaign's failure is under (the
	// zero range for the others): its failures share DecidedBy and
	// Evaluated, which a report need give once.
	Block hcl.Range
	// At is when the state was looked at, and When says so as the test
	// file would ("8d1h, the test's last event"): an expect without at
	// looks after all the test's events, wherever it is written.
	At   time.Time
	When string
	// DecidedBy are the rules and incentives behind the outcome, each
	// with its file and line: "tier regular when at members.hcl:23:
	// member.points >= 100".
	DecidedBy []string
	// Evaluated are the member rules behind the outcome (a tier's,
	// segment's, badge's revoke_when or campaign's) run for the member
	// at At, as hearth member why runs them: each one's result and the
	// value of everything it read, so a failure shows why, not only
	// which rule.
	Evaluated []runtime.Explanation
	// Notes say what else the outcome rests on: that the member has no
	// state yet at At, or an event of theirs dated before At that is
	// received after it.
	Notes []string
	// explain are the addresses whose rules Evaluated holds, as member
	// why takes them: tier.regular, campaign.rsvp[#43].
	explain []string
}

// Result is the outcome of one test.
type Result struct {
	Name     string
	File     string
	Failures []Failure
	// Duration is how long the test took to run.
	Duration time.Duration
}

// Passed reports whether every expectation of the test was met.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Files lists the test files of a directory.
func Files(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*"+config.TestFileSuffix))
	sort.Strings(matches)
	return matches, err
}

// RunOptions choose the tests Run runs and tell of each as it goes.
type RunOptions struct {
	// Match selects the tests to run by name; nil runs them all.
	Match func(name string) bool
	// Started, when set, is called as a test starts, and Done with its
	// result as it ends: hearth test -v prints them as they happen.
	Started func(*Test)
	Done    func(Result)
}

// Selected counts the tests of the suite that opt.Match selects.
func (s *Suite) Selected(opt RunOptions) int {
	n := 0
	for _, t := range s.Tests {
		if opt.Match == nil || opt.Match(t.Name) {
			n++
		}
	}
	return n
}

// Run runs the tests opt selects of a suite that Parse and Check passed
// against cfg (a test whose file sets variables, against the
// configuration Load gave it). Each expectation replays the test's events up to its time
// in a fresh sandbox, so time-based rules run up to then.
func (s *Suite) Run(ctx context.Context, cfg *config.Config, opt RunOptions) ([]Result, hcl.Diagnostics) {
	var results []Result
	var diags hcl.Diagnostics
	for _, t := range s.Tests {
		if opt.Match != nil && !opt.Match(t.Name) {
			continue
		}
		if opt.Started != nil {
			opt.Started(t)
		}
		begin := time.Now()
		res, d := runTest(ctx, t.on(cfg), t)
		res.Duration = time.Since(begin)
		diags = append(diags, d...)
		results = append(results, res)
		if opt.Done != nil {
			opt.Done(res)
		}
	}
	return results, diags
}

// ruleErrors keeps, once per rule, the rules that failed at run time in
// a replay (the runtime logs each with its rule, place and error, and
// counts it as false), so that a failing expectation can say a rule it
// may rest on never ran: stop_when = "member.attrs.email" compiles, but
// gives a string, and the run ends "finished" for no visible reason.
// It keeps, once per step, the campaign sends whose message could not be
// made too, which are otherwise missing from sent for no visible reason.
type ruleErrors struct {
	base  string // what file names are relative to (pos)
	seen  map[string]bool
	lines []string
}

func (h *ruleErrors) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *ruleErrors) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *ruleErrors) WithGroup(string) slog.Handler                { return h }

func (h *ruleErrors) Handle(_ context.Context, r slog.Record) error {
	var rule, at, msg, campaign, step, member, event string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "member":
			member = a.Value.String()
		case "event":
			event = a.Value.String()
		case "rule":
			rule = a.Value.String()
		case "at":
			at = a.Value.String()
		case "err":
			msg = a.Value.String()
		case "campaign":
			campaign = a.Value.String()
		case "step":
			step = a.Value.String()
		}
		return true
	})
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if rule == "" && campaign != "" && step != "" && msg != "" {
		// A send whose template failed: the step is listed, yet its
		// message is in neither sent nor skipped.
		if key := "send " + campaign + "." + step; !h.seen[key] {
			h.seen[key] = true
			h.lines = append(h.lines, fmt.Sprintf("send error: campaign %s step %s made no message, so nothing was sent: %s", campaign, step, msg))
		}
		return nil
	}
	if r.Message == runtime.NoAddressBounce {
		// Check warns of it already; a failure it explains says so too.
		if key := "bounce " + member; !h.seen[key] {
			h.seen[key] = true
			h.lines = append(h.lines, fmt.Sprintf("no address: %s's email.bounced (event %s) recorded no bounce, as they have no email address: give them one in the test's member block, identities = { email = \"...\" }", member, event))
		}
		return nil
	}
	if rule == "" || msg == "" || h.seen[rule] {
		return nil
	}
	h.seen[rule] = true
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // expr's snippet lines: the rule is named already
	}
	if i := strings.Index(msg, "\": "); strings.HasPrefix(msg, "rule \"") && i > 0 {
		msg = msg[i+3:] // rule "SOURCE": the line above names it
	}
	h.lines = append(h.lines, fmt.Sprintf("rule error: %s at %s failed at run time and counted as false: %s", rule, config.RelPath(at, h.base), msg))
	return nil
}

// replayed is what a replay of a test's events did.
type replayed struct {
	sum *simulate.Summary
	// ruleErrs are the rules that failed at run time and the sends that
	// made no message (ruleErrors).
	ruleErrs []string
	// skips are the campaigns' skip outcomes: sends not made at their
	// step. The sandbox's outbox has those skipped at delivery.
	skips []state.Outcome
	// runs are the campaigns' outcomes and the sends they queued, in
	// order: the path each run took, as -outcomes lists it.
	runs []state.Outcome
}

// replay runs the test's events up to until, the last one included. The
// sandbox delivers what the rules queue as the outbox would, each action
// when it is due (simulate.Options.Store).
func replay(ctx context.Context, cfg *config.Config, t *Test, until time.Time) (*replayed, *hcl.Diagnostic) {
	var buf strings.Builder
	var sent []line
	var received map[string]time.Time
	for _, l := range t.stream {
		if !l.at.After(until) {
			buf.Write(l.json)
			buf.WriteByte('\n')
			sent = append(sent, l)
			if l.src.Received != nil {
				if received == nil {
					received = map[string]time.Time{}
				}
				received[l.id] = l.at
			}
		}
	}
	errs := &ruleErrors{base: t.base}
	var skips, runs []state.Outcome
	keep := func(o state.Outcome) error {
		if o.Change == "skip" && o.Kind == state.KindCampaign {
			skips = append(skips, o)
		}
		if o.Kind == state.KindCampaign || o.Kind == state.KindAction && strings.HasPrefix(o.Rule, "campaign.") {
			runs = append(runs, o)
		}
		return nil
	}
	// The members' pinned variants go to the runtime, whose split gives
	// them as its own choice.
	sum, err := simulate.Run(ctx, cfg, strings.NewReader(buf.String()), simulate.Options{To: until, Log: slog.New(errs), Outcome: keep, Variants: t.variants, Received: received})
	if err == nil {
		return &replayed{sum: sum, ruleErrs: errs.lines, skips: skips, runs: runs}, nil
	}
	// Check refuses what the event reader would; should one still be
	// refused, it is reported at its event block, not at a line of the
	// stream built here.
	rng := t.DeclRange
	var bad *events.Error
	if errors.As(err, &bad) && bad.Line >= 1 && bad.Line <= len(sent) {
		rng = sent[bad.Line-1].src.DeclRange
		err = bad.Err
	}
	return nil, errorAt(rng, "Test event rejected", "%s.", strings.TrimPrefix(err.Error(), events.ErrInvalid.Error()+": "))
}

func runTest(ctx context.Context, cfg *config.Config, t *Test) (Result, hcl.Diagnostics) {
	res := Result{Name: t.Name, File: t.File}
	var diags hcl.Diagnostics
	var rt *runtime.Runtime // to explain a failure's rules, made for the first
	last := t.Start
	if len(t.stream) > 0 {
		last = t.stream[len(t.stream)-1].at
	}
	for _, x := range t.Expects {
		until := last
		if x.At != nil {
			until = *x.At
		}
		r, d := replay(ctx, cfg, t, until)
		if d != nil {
			diags = append(diags, d)
			continue
		}
		var m *state.Member
		_ = r.sum.Store.Members(ctx, func(mm *state.Member) error {
			if mm.ID == x.Member {
				m = mm
			}
			return nil
		})
		notes := pending(t, x.Member, until)
		unknown := m == nil
		if unknown {
			m = state.NewMember(x.Member, until)
			if len(notes) == 0 { // else those say why
				notes = []string{noState(t, x.Member, until)}
			}
		}
		when := offset(until.Sub(t.Start))
		if x.AtAbsolute || until.Before(t.Start) {
			// "-214d" alone hides the date written, or mistyped.
			when = timeText(until, t.Start)
		}
		if x.At == nil {
			when += ", the test's last event"
		}
		for _, f := range check(cfg, t, x, m, r, until) {
			f.At, f.When, f.Notes = until, when, notes
			f.DecidedBy = append(slices.Clip(f.DecidedBy), r.ruleErrs...) // Clip: failures share their campaign's rule lines
			// The rules of a member with no state say nothing: every
			// one reads an empty member.
			if len(f.explain) > 0 && !unknown {
				if rt == nil {
					rt = runtime.New(cfg, nil)
				}
				f.Evaluated = evaluate(rt, m, f.explain, until)
			}
			res.Failures = append(res.Failures, f)
		}
	}
	if len(t.Alerts) > 0 {
		r, d := replay(ctx, cfg, t, last)
		if d != nil {
			return res, append(diags, d)
		}
		var comms []*state.Community
		if cr, ok := r.sum.Store.(state.CommunityReader); ok {
			comms, _ = cr.Communities()
		}
		for _, x := range t.Alerts {
			for _, f := range checkAlert(cfg, t.base, x, comms) {
				f.DecidedBy = append(slices.Clip(f.DecidedBy), r.ruleErrs...)
				res.Failures = append(res.Failures, f)
			}
		}
	}
	sortFailures(res.Failures)
	return res, diags
}

// sortFailures puts failures in the order their expectations are
// written, whatever time each looks at: an expect without at looks last,
// wherever it is.
func sortFailures(fs []Failure) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Where, fs[j].Where
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// noState says why a member has no state at at: no event of the test
// is about them or names them, or none has been received by then.
func noState(t *Test, member string, at time.Time) string {
	first, e, ok := firstHeard(t, member)
	if !ok {
		return fmt.Sprintf("%s has no events: no event of the test is about them or names them, so the state checked is an empty member's", member)
	}
	if first.After(at) {
		return fmt.Sprintf("%s has no events by then: their first, %s at %s, is received at %s", member, e.Type, pos(t.base, e.DeclRange), timeText(first, t.Start))
	}
	return fmt.Sprintf("%s has no state then: no event received by then made any", member)
}

// pending says which events about the member, or naming them, are dated
// at or before at but received after it: hearth has not applied them yet
// then.
func pending(t *Test, member string, at time.Time) []string {
	var out []string
	seen := map[*Event]bool{}
	for _, l := range t.stream {
		e := l.src
		if seen[e] || l.happened.After(at) || !l.at.After(at) {
			continue
		}
		if e.Member != member && !slices.Contains(attrMembers(&Test{Events: []*Event{e}}), member) {
			continue
		}
		seen[e] = true
		out = append(out, fmt.Sprintf("event %s at %s (%s) is received at %s, after this check: not applied yet", e.Type, offset(l.happened.Sub(t.Start)), pos(t.base, e.DeclRange), timeText(l.at, t.Start)))
	}
	return out
}

// evaluate runs the rules at addrs for the member at at, as hearth
// member why does: one runtime explains them all, and the member's state
// is the replay's then.
func evaluate(rt *runtime.Runtime, m *state.Member, addrs []string, at time.Time) []runtime.Explanation {
	var out []runtime.Explanation
	for _, addr := range addrs {
		// Check refused a name the configuration does not have, so an
		// error here is a rule without member state, which says nothing.
		if strings.HasPrefix(addr, "incentive.") {
			// Only the when rule: grant.to reads the member the grant
			// goes to, not why there was none.
			ex, err := rt.WhyAsIs(m, addr, at)
			if err == nil {
				for _, e := range ex {
					if strings.HasSuffix(e.Rule, ".when") {
						out = append(out, e)
					}
				}
			}
			continue
		}
		ex, err := rt.Why(m, addr, at)
		if err == nil {
			out = append(out, ex...)
		}
	}
	return out
}

// offset writes a time since the test's start as at does: "8d1h".
func offset(d time.Duration) string {
	if d < 0 {
		return "-" + offset(-d)
	}
	days, rest := d/durations.Day, d%durations.Day
	switch {
	case days == 0:
		return durations.Format(rest)
	case rest == 0:
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%s", days, durations.Format(rest))
}

func checkAlert(cfg *config.Config, base string, x *ExpectAlert, comms []*state.Community) []Failure {
	var out []Failure
	fired, suppressed := 0, 0
	for _, c := range comms {
		if st := c.Alerts[x.Name]; st != nil {
			fired += st.Fired
			suppressed += st.Suppressed
		}
	}
	var rule []string
	for _, a := range cfg.Alerts {
		if a.Name == x.Name {
			rule = []string{"alert " + a.Name + " when at " + where(base, a.When)}
		}
	}
	if x.Fired != nil && *x.Fired != fired {
		out = append(out, Failure{Where: x.attrs.rng("fired"), Subject: "alert " + x.Name + " fired", Expected: fmt.Sprint(*x.Fired), Got: fmt.Sprint(fired), ExpectedValue: *x.Fired, GotValue: fired, DecidedBy: rule})
	}
	if x.Suppressed != nil && *x.Suppressed != suppressed {
		out = append(out, Failure{Where: x.attrs.rng("suppressed"), Subject: "alert " + x.Name + " suppressed", Expected: fmt.Sprint(*x.Suppressed), Got: fmt.Sprint(suppressed), ExpectedValue: *x.Suppressed, GotValue: suppressed, DecidedBy: rule})
	}
	return out
}

func check(cfg *config.Config, t *Test, x *Expect, m *state.Member, r *replayed, at time.Time) []Failure {
	var out []Failure
	a := &x.attrs
	// explain are the addresses of the member rules behind a failure,
	// which runTest evaluates as member why does.
	fail := func(rng hcl.Range, what, want, got string, rule []string, explain ...string) *Failure {
		out = append(out, Failure{Where: rng, Subject: fmt.Sprintf("%s of %s", what, x.Member), Expected: want, Got: got, DecidedBy: rule, explain: explain})
		return &out[len(out)-1]
	}
	if x.Points != nil && *x.Points != m.Points {
		// Incentives read the event they grant on, which the state does
		// not keep: their when rules run on the state as it stands, as
		// member eval runs a rule, so what they read (the count behind a
		// count(...) >= 5) shows; a rule reading the event is not run.
		var explain []string
		for _, in := range cfg.Incentives {
			if in.Grant.Points != 0 && in.When != nil {
				explain = append(explain, "incentive."+in.Name)
			}
		}
		fail(a.rng("points"), "points", fmt.Sprint(*x.Points), fmt.Sprint(m.Points), pointsRule(cfg, t.base, m), explain...).is(*x.Points, m.Points)
	}
	if x.Tier != nil && *x.Tier != m.Tier.Name {
		// The rules of the tier expected and of the tier held.
		var explain []string
		for _, name := range []string{*x.Tier, m.Tier.Name} {
			if name != "" {
				explain = append(explain, "tier."+name)
			}
		}
		fail(a.rng("tier"), "tier", show(*x.Tier), show(m.Tier.Name), tierRule(cfg, t.base, m, *x.Tier, at, t.Start), explain...).is(orNil(*x.Tier), orNil(m.Tier.Name))
	}
	if x.Badges != nil {
		// A badge awarded more than once (repeat = true) is listed once
		// per award, so a test can say how often it was earned.
		got := []string{}
		for name, h := range m.Badges {
			for range h.Count {
				got = append(got, name)
			}
		}
		want := slices.Clone(*x.Badges)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			// The revoke_when of each badge miscounted (those without
			// one have no rule to evaluate).
			var explain []string
			for _, b := range cfg.Badges {
				if countOf(want, b.Name) == countOf(got, b.Name) {
					continue
				}
				// The when of each incentive awarding it, as for points.
				for _, in := range cfg.Incentives {
					if in.Grant.Badge == b && in.When != nil && !slices.Contains(explain, "incentive."+in.Name) {
						explain = append(explain, "incentive."+in.Name)
					}
				}
				if b.RevokeWhen != nil {
					explain = append(explain, "badge."+b.Name)
				}
			}
			fail(a.rng("badges"), "badges", fmt.Sprint(want), fmt.Sprint(got), badgeRule(cfg, t.base, m, want, got), explain...).is(want, got)
		}
	}
	for _, s := range x.InSegments {
		if _, ok := m.Segments[s]; !ok {
			fail(element(a.Attributes["in_segments"].Expr, s), "segment "+s, "in", "not in", segmentRule(cfg, t.base, s), "segment."+s).is(true, false)
		}
	}
	for _, s := range x.NotInSegments {
		if _, ok := m.Segments[s]; ok {
			fail(element(a.Attributes["not_in_segments"].Expr, s), "segment "+s, "not in", "in", segmentRule(cfg, t.base, s), "segment."+s).is(false, true)
		}
	}
	if x.Strikes != nil && *x.Strikes != m.Strikes {
		fail(a.rng("strikes"), "strikes", fmt.Sprint(*x.Strikes), fmt.Sprint(m.Strikes), nil).is(*x.Strikes, m.Strikes)
	}
	if x.Actions != nil {
		got := []string{}
		if m.Moderation != nil {
			for _, d := range m.Moderation.Decisions {
				act := d.Action
				if d.Duration != "" {
					act += " " + d.Duration
				}
				got = append(got, act)
			}
		}
		if !slices.Equal(got, *x.Actions) {
			fail(a.rng("actions"), "moderation actions", fmt.Sprint(*x.Actions), fmt.Sprint(got), nil).is(*x.Actions, got)
		}
	}
	if x.Bounced != nil {
		got := m.BouncedList()
		want := slices.Clone(*x.Bounced)
		sort.Strings(want)
		if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			fail(a.rng("bounced"), "email platforms the address bounced at", fmt.Sprint(want), fmt.Sprint(got), nil)
		}
	}
	if x.Unsubscribed != nil {
		got := m.UnsubscribedList()
		want := slices.Clone(*x.Unsubscribed)
		sort.Strings(want)
		if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			fail(a.rng("unsubscribed"), "email platforms unsubscribed from", fmt.Sprint(want), fmt.Sprint(got), nil).is(want, nonNil(got))
		}
	}
	if !x.Attrs.IsNull() {
		for _, k := range sortedKeys(x.Attrs.AsValueMap()) {
			wantV := x.Attrs.AsValueMap()[k]
			want := ctyString(wantV)
			got := fmt.Sprint(m.Attrs[k])
			if m.Attrs[k] == nil {
				got = "(unset)"
			}
			if want != got {
				fail(element(a.Attributes["attrs"].Expr, k), "attrs."+k, want, got, nil).is(ctyValue(wantV), m.Attrs[k])
			}
		}
	}
	for _, xc := range x.Campaigns {
		for _, f := range checkCampaign(cfg, t, xc, m, r, at) {
			f.Subject = fmt.Sprintf("%s of %s", f.Subject, x.Member)
			out = append(out, f)
		}
	}
	return out
}

// checkCampaign compares the member's run of a campaign, and the
// messages the campaign sent them, with a campaign block. Subjects are
// left without the member, which check adds.
func checkCampaign(cfg *config.Config, t *Test, x *ExpectCampaign, m *state.Member, r *replayed, at time.Time) []Failure {
	c := campaign(cfg, x.Name)
	if c == nil { // Check reported it
		return nil
	}
	var out []Failure
	a := &x.attrs
	start := t.Start
	rule := campaignRule(cfg, t.base, c)
	key := ""
	if x.Key != nil {
		key = *x.Key
	}
	if pin := t.pinned(m.ID, c.Name, key); pin != "" {
		rule = append(rule, pin)
	}
	if p := runPath(r, m.ID, c.Name, x.Key, start); p != "" {
		rule = append(rule, p)
	}
	id := state.RunID(c.Name, key) // the run with the key: rsvp[Go Night #43]
	fail := func(attr, want, got string, wantV, gotV any) {
		// Its stop_when and exit_when, and the rules of the step the
		// run is on, as member why explains the run.
		out = append(out, Failure{Where: a.rng(attr), Subject: "campaign " + id + " " + attr, Expected: want, Got: got, ExpectedValue: wantV, GotValue: gotV,
			DecidedBy: rule, Block: x.DeclRange, explain: []string{"campaign." + id}})
	}
	run := m.Campaigns[id]
	status, step, ended, variant, runs := statusNone, "", "", "", 0
	if run != nil {
		status, variant, runs = run.Status, run.Variant, run.Runs
		// No recorded step order: a test runs one configuration from an
		// empty store, so every run is on a step that configuration has.
		if i := c.StepIndex(run.Step, run.StepName, nil); run.Active() && i >= 0 && i < len(c.Steps) {
			step = c.Steps[i].Name
		}
		if !run.Active() {
			ended = run.Reason
		}
	} else if e, ok := m.KeyEnded(c.Name, key); ok && key != "" {
		// Ended and made compact under retention (reentry = "never"):
		// done as before, its number and variant no longer kept.
		status, ended = statusDone, e.Reason
	}
	if x.Status != nil && *x.Status != status {
		fail("status", *x.Status, status, *x.Status, status)
	}
	if x.Step != nil && *x.Step != step {
		fail("step", show(*x.Step), show(step), orNil(*x.Step), orNil(step))
	}
	if x.Ended != nil && *x.Ended != ended {
		fail("ended", *x.Ended, show(ended), orNil(*x.Ended), orNil(ended))
	}
	if x.Variant != nil && *x.Variant != variant {
		fail("variant", show(*x.Variant), show(variant), orNil(*x.Variant), orNil(variant))
	}
	var skips []skipped
	if x.Sent != nil || x.Skipped != nil {
		skips = skippedSteps(r, m.ID, c.Name, x.Key)
	}
	if x.Sent != nil {
		got := sentSteps(r.sum.Store, m.ID, c.Name, x.Key)
		if !slices.Equal(got, *x.Sent) {
			// The sends not made say why a step expected is not there.
			gotText := fmt.Sprint(got)
			if len(skips) > 0 {
				gotText += " (skipped: " + skipsText(skips, start) + ")"
			}
			// So do those queued and held at delivery, not sent yet.
			if h, step := deliveryHold(r, m, id, at); h != nil {
				gotText += fmt.Sprintf(" (held at delivery: %s by quiet hours until %s)", step, offset(h.Until.Sub(start)))
			}
			fail("sent", fmt.Sprint(*x.Sent), gotText, *x.Sent, got)
		}
	}
	if x.Skipped != nil {
		got := []string{}
		for _, s := range skips {
			got = append(got, s.step)
		}
		if !slices.Equal(got, *x.Skipped) {
			gotText := fmt.Sprint(got)
			if len(skips) > 0 {
				gotText += " (" + skipsText(skips, start) + ")"
			}
			fail("skipped", fmt.Sprint(*x.Skipped), gotText, *x.Skipped, got)
		}
	}
	if x.Runs != nil && *x.Runs != runs {
		fail("runs", fmt.Sprint(*x.Runs), fmt.Sprint(runs), *x.Runs, runs)
	}
	for _, xm := range x.Messages {
		for _, f := range checkMessage(c, xm, id, rule, m, r, x.Key, start, at) {
			f.Block = x.DeclRange
			out = append(out, f)
		}
	}
	if x.Held != nil || x.HeldUntil != nil {
		// What holds the send now, as member why reads it: a hold
		// whose time has come no longer does.
		var hold *state.RunHold
		if run.Active() && run.Hold != nil && at.Before(run.Hold.Until) {
			hold = run.Hold
		}
		// Else a send of the run's the outbox holds at delivery, as
		// member why tells it.
		step := ""
		if hold == nil {
			hold, step = deliveryHold(r, m, id, at)
		}
		got := heldNone
		if hold != nil {
			got = hold.Reason
		}
		// Nothing holds a run that is not under way: say which, or
		// "none" reads as a hold that should have been.
		why := ""
		switch {
		case status == statusNone:
			why = "no run: never entered"
		case !run.Active():
			why = "the run ended: " + ended
		}
		if x.Held != nil && *x.Held != got {
			gotText := heldText(hold, start)
			if step != "" {
				gotText += " (step " + step + "'s send, queued, at delivery)"
			}
			if hold == nil && why != "" {
				gotText += " (" + why + ")"
			}
			fail("held", *x.Held, gotText, *x.Held, got)
		}
		if x.HeldUntil != nil && (hold == nil || !hold.Until.Equal(*x.HeldUntil)) {
			want, gotUntil := timeText(*x.HeldUntil, start), "(not held)"
			if why != "" {
				gotUntil = "(not held: " + why + ")"
			}
			var gotV any
			if hold != nil {
				gotUntil = timeText(hold.Until, start)
				gotV = stampOf(hold.Until)
			}
			fail("held_until", want, gotUntil, stampOf(*x.HeldUntil), gotV)
		}
	}
	return out
}

// checkMessage compares the latest message of a step that went out to
// the member with a message block: its text and when it went out.
func checkMessage(c *config.Campaign, xm *ExpectMessage, id string, rule []string, m *state.Member, r *replayed, key *string, start, at time.Time) []Failure {
	var out []Failure
	a := &xm.attrs
	campaign := state.RunCampaign(id)
	fail := func(attr, want, got string, wantV, gotV any) {
		out = append(out, Failure{Where: a.rng(attr), Subject: "campaign " + id + " message " + xm.Step + " " + attr, Expected: want, Got: got, ExpectedValue: wantV, GotValue: gotV,
			DecidedBy: rule, explain: []string{"campaign." + id}})
	}
	e, ok := sentMessage(r.sum.Store, m.ID, campaign, xm.Step, key, at)
	if !ok {
		// Say why there is none: never queued, skipped, held, or not due
		// yet (when it is).
		why := "none: the step's message never went out"
		on := c.StepVariants()[xm.Step]
		if run := m.Campaigns[id]; run == nil {
			why += " (no run: never entered)"
		} else if run.Variant != "" && len(on) > 0 && !slices.Contains(on, run.Variant) {
			// The arm, not how the run ended, is why: the step is
			// another variant's.
			why += fmt.Sprintf(" (the run was assigned variant %s; %s is on variant %s)", run.Variant, xm.Step, strings.Join(on, " and "))
		} else if !run.Active() {
			why += " (the run ended: " + run.Reason + ")"
		} else {
			why = "none yet: the step's message has not gone out (" + waitingText(run, xm.Step, start) + ")"
		}
		if skips := skippedSteps(r, m.ID, campaign, key); len(skips) > 0 {
			why += " (skipped: " + skipsText(skips, start) + ")"
		}
		if h, step := deliveryHold(r, m, id, at); h != nil {
			why += fmt.Sprintf(" (held at delivery: %s by quiet hours until %s)", step, offset(h.Until.Sub(start)))
		}
		for _, attr := range []string{"text", "contains", "subject", "at", "not_before"} {
			if _, set := a.Attributes[attr]; set {
				fail(attr, messageWant(xm, attr, start), why, messageWantValue(xm, attr), nil)
				break
			}
		}
		return out
	}
	if xm.Text != nil && *xm.Text != e.Text {
		fail("text", strconv.Quote(*xm.Text), strconv.Quote(e.Text), *xm.Text, e.Text)
	}
	if xm.Contains != nil {
		for _, piece := range *xm.Contains {
			if !strings.Contains(e.Text, piece) {
				fail("contains", "a text holding "+strconv.Quote(piece), strconv.Quote(e.Text), piece, e.Text)
			}
		}
	}
	if xm.Subject != nil && *xm.Subject != e.Subject {
		fail("subject", strconv.Quote(*xm.Subject), strconv.Quote(e.Subject), *xm.Subject, e.Subject)
	}
	if xm.At != nil && !e.SentAt.Equal(*xm.At) {
		fail("at", timeText(*xm.At, start), timeText(e.SentAt, start), stampOf(*xm.At), stampOf(e.SentAt))
	}
	if xm.NotBefore != nil && e.SentAt.Before(*xm.NotBefore) {
		fail("not_before", "at "+timeText(*xm.NotBefore, start)+" or later", timeText(e.SentAt, start), stampOf(*xm.NotBefore), stampOf(e.SentAt))
	}
	return out
}

// waitingText says where a run under way is, for a message of step that
// has not gone out yet: waiting at that step or at another, until when,
// and what holds it if quiet hours or a frequency cap do.
func waitingText(run *state.CampaignRun, step string, start time.Time) string {
	where := "the run waits at step " + step
	if run.StepName != step {
		where = "the run is at step " + run.StepName
	}
	if run.Hold != nil {
		return where + ", held by " + strings.ReplaceAll(run.Hold.Reason, "_", " ") + " until " + timeText(run.Due, start)
	}
	return where + ", due " + timeText(run.Due, start)
}

// messageWantValue is messageWant as a value, for JSON.
func messageWantValue(xm *ExpectMessage, attr string) any {
	switch {
	case attr == "text" && xm.Text != nil:
		return *xm.Text
	case attr == "contains" && xm.Contains != nil:
		return *xm.Contains
	case attr == "subject" && xm.Subject != nil:
		return *xm.Subject
	case attr == "at" && xm.At != nil:
		return stampOf(*xm.At)
	case attr == "not_before" && xm.NotBefore != nil:
		return stampOf(*xm.NotBefore)
	}
	return nil
}

// messageWant is what a message block expects of attr, for a failure
// where no message went out.
func messageWant(xm *ExpectMessage, attr string, start time.Time) string {
	switch {
	case attr == "text" && xm.Text != nil:
		return strconv.Quote(*xm.Text)
	case attr == "contains" && xm.Contains != nil:
		return "a text holding " + fmt.Sprint(*xm.Contains)
	case attr == "subject" && xm.Subject != nil:
		return strconv.Quote(*xm.Subject)
	case attr == "at" && xm.At != nil:
		return "sent at " + timeText(*xm.At, start)
	case attr == "not_before" && xm.NotBefore != nil:
		return "sent at " + timeText(*xm.NotBefore, start) + " or later"
	}
	return "a message"
}

// sentMessage is the latest message of the campaign's step that the
// sandbox's outbox delivered to the member by at (of the run with key,
// when given), with its text and when it went out.
func sentMessage(store state.Store, member, campaign, step string, key *string, at time.Time) (state.OutboxEntry, bool) {
	ob, ok := store.(sandboxOutbox)
	if !ok {
		return state.OutboxEntry{}, false
	}
	// The memory store's list cannot fail; a test queues far fewer.
	sent, _ := ob.ListOutbox(context.Background(), state.OutboxSent, math.MaxInt)
	var best state.OutboxEntry
	found := false
	for _, e := range sent {
		if e.Member != member || e.Campaign != campaign || e.Step != step || key != nil && e.RunKey != *key || e.SentAt.After(at) {
			continue
		}
		if !found || !e.SentAt.Before(best.SentAt) {
			best, found = e, true
		}
	}
	return best, found
}

// deliveryHold is the quiet hours that hold a send of the member's run
// id in the sandbox's outbox at at, and the send's step: queued, it was
// to go out inside them (runtime.DeliveryHolds). nil when none does.
func deliveryHold(r *replayed, m *state.Member, id string, at time.Time) (*state.RunHold, string) {
	ob, ok := r.sum.Store.(sandboxOutbox)
	if !ok {
		return nil, ""
	}
	// The memory store's list cannot fail; a test queues far fewer.
	pending, _ := ob.ListOutbox(context.Background(), state.OutboxPending, math.MaxInt)
	hs := runtime.DeliveryHolds(m, "campaign."+id, pending, at)
	if len(hs) == 0 {
		return nil, ""
	}
	h := hs[0]
	return &state.RunHold{Reason: h.Reason, Until: h.Until, QuietHours: h.QuietHours, TimeZone: h.TimeZone}, h.Step
}

// pinned says where the test pins the member's variant of a campaign's
// run with the key ("" without run_key): "variant b pinned for ann at
// ab.hearthtest.hcl:3", or, pinned for that run alone, "variant b pinned
// for ann's run rsvp[#43] at ...". "" when it does not.
func (t *Test) pinned(member, campaign, key string) string {
	names := []string{campaign}
	if key != "" {
		names = []string{state.RunID(campaign, key), campaign}
	}
	for _, name := range names {
		v, ok := t.variants[member][name]
		if !ok {
			continue
		}
		whose := member
		if name != campaign {
			whose += "'s run " + name
		}
		for _, p := range t.Members {
			if at, ok := p.attrs.Attributes["variants"]; ok && p.ID == member {
				rng, _ := keyAndValue(at.Expr, name)
				return fmt.Sprintf("variant %s pinned for %s at %s", v, whose, pos(t.base, rng))
			}
		}
	}
	return ""
}

// heldText says what holds a send, and until when: "quiet_hours
// (22:00–08:00 in the member's time zone) until 1d8h
// (2026-01-02T08:00:00Z)", or "none".
func heldText(h *state.RunHold, start time.Time) string {
	if h == nil {
		return heldNone
	}
	what := h.Reason
	switch {
	case h.Reason == state.HoldQuietHours:
		zone := "the member's time zone"
		if h.TimeZone != "member" {
			zone = h.TimeZone
		}
		what += fmt.Sprintf(" (%s in %s)", h.QuietHours, zone)
	case len(h.Caps) > 0:
		var caps []string
		for _, c := range h.Caps {
			scope := "the campaign's"
			if c.Scope == "global" {
				scope = "the hearth block's"
			}
			caps = append(caps, scope+" "+c.Rate)
		}
		what += " (" + strings.Join(caps, " and ") + ")"
	}
	return what + " until " + timeText(h.Until, start)
}

// timeText writes a time as an offset from the test's start, as at
// takes it, and as the time it is: "1d8h (2026-01-02T08:00:00Z)".
func timeText(t, start time.Time) string {
	return fmt.Sprintf("%s (%s)", offset(t.Sub(start)), t.UTC().Format(time.RFC3339))
}

// sentSteps are the steps of a campaign whose messages went to the
// member's outbox, in order, less those the outbox skipped at delivery
// and those it still holds (quiet hours at delivery): the sandbox
// decides each as a daemon's outbox would when it is due.
func sentSteps(store state.Store, member, campaign string, key *string) []string {
	got := []string{}
	ob, ok := store.(sandboxOutbox)
	if !ok {
		return got
	}
	skipped := map[string]bool{}
	for _, e := range skippedEntries(ob) {
		skipped[e.Key] = true
	}
	// The memory store's list cannot fail.
	pending, _ := ob.ListOutbox(context.Background(), state.OutboxPending, math.MaxInt)
	for _, e := range pending {
		skipped[e.Key] = true
	}
	for _, act := range ob.Outbox() {
		if act.Member == member && act.Campaign == campaign && (key == nil || act.RunKey == *key) && !skipped[act.Key] {
			got = append(got, act.Step)
		}
	}
	return got
}

// runPath is the path the member's runs of a campaign took up to the
// time looked at, as -outcomes lists it: "path: entered at 10h (run 1),
// variant a at 10h, welcome queued at 10h, ended finished at 2d10h". ""
// when the member never entered it.
func runPath(r *replayed, member, campaign string, key *string, start time.Time) string {
	// A queued send's outcome has the action's key: the outbox says
	// which run and step it is of.
	acts := map[string]state.Action{}
	if ob, ok := r.sum.Store.(sandboxOutbox); ok {
		for _, a := range ob.Outbox() {
			acts[a.Key] = a
		}
	}
	var parts []string
	for _, o := range r.runs {
		if o.Member != member {
			continue
		}
		at := offset(o.At.Sub(start))
		if o.Kind == state.KindAction {
			a, ok := acts[o.Detail]
			if ok && a.Campaign == campaign && (key == nil || a.RunKey == *key) && o.Change == "queue" {
				parts = append(parts, fmt.Sprintf("%s queued at %s", a.Step, at))
			}
			continue
		}
		if o.Name != campaign || key != nil && state.DetailKey(o.Detail) != *key {
			continue
		}
		detail := state.DetailReason(o.Detail)
		switch o.Change {
		case "enter":
			parts = append(parts, fmt.Sprintf("entered at %s (%s)", at, detail))
		case "variant":
			parts = append(parts, fmt.Sprintf("variant %s at %s", detail, at))
		case "convert":
			parts = append(parts, "ended goal at "+at)
		case "exit":
			parts = append(parts, fmt.Sprintf("ended %s at %s", detail, at))
		case "timeout":
			parts = append(parts, fmt.Sprintf("timed out at step %s at %s", detail, at))
		case "refused":
			parts = append(parts, fmt.Sprintf("entry refused at %s (%s)", at, detail))
		default: // skip, defer, failed: "STEP: why"
			verb := map[string]string{"skip": "skipped", "defer": "deferred"}[o.Change]
			if verb == "" {
				verb = o.Change
			}
			step, why, _ := strings.Cut(detail, ": ")
			parts = append(parts, fmt.Sprintf("%s %s at %s (%s)", step, verb, at, why))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "path: " + strings.Join(parts, ", ")
}

// sandboxOutbox is the outbox of the sandbox's store: what was queued, in
// order, and each entry's delivery.
type sandboxOutbox interface {
	Outbox() []state.Action
	ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
}

func skippedEntries(ob sandboxOutbox) []state.OutboxEntry {
	// The memory store's list cannot fail; a test queues far fewer.
	es, _ := ob.ListOutbox(context.Background(), state.OutboxSkipped, math.MaxInt)
	return es
}

// skipped is a campaign's send not made: skipped at its step by the
// runtime, or at delivery by the outbox.
type skipped struct {
	step, reason string
	at           time.Time
	delivery     bool
}

// skippedSteps are the sends of a campaign not made to the member, in the
// order they were not, with why.
func skippedSteps(r *replayed, member, campaign string, key *string) []skipped {
	var out []skipped
	for _, o := range r.skips {
		if o.Member == member && o.Name == campaign && (key == nil || state.DetailKey(o.Detail) == *key) {
			// Detail is "STEP: why", with the run's key after it.
			step, why, _ := strings.Cut(state.DetailReason(o.Detail), ": ")
			out = append(out, skipped{step: step, reason: why, at: o.At})
		}
	}
	if ob, ok := r.sum.Store.(sandboxOutbox); ok {
		entries := map[string]state.OutboxEntry{}
		for _, e := range skippedEntries(ob) {
			entries[e.Key] = e
		}
		for _, act := range ob.Outbox() { // in the order they were queued
			e, ok := entries[act.Key]
			if ok && act.Member == member && act.Campaign == campaign && (key == nil || act.RunKey == *key) {
				out = append(out, skipped{step: act.Step, reason: e.LastError, at: e.FinishedAt, delivery: true})
				delete(entries, act.Key) // one entry per key
			}
		}
	}
	// At one instant, a step skipped goes before a send queued then and
	// skipped at delivery, decided after every event of the instant.
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		return !out[i].delivery && out[j].delivery
	})
	return out
}

// skipsText says which sends were not made, when and why: "second at
// 1d9h, at delivery: member unsubscribed from email.news before it was
// sent".
func skipsText(skips []skipped, start time.Time) string {
	parts := make([]string, len(skips))
	for i, s := range skips {
		where := "at its step"
		if s.delivery {
			where = "at delivery"
		}
		parts[i] = fmt.Sprintf("%s at %s, %s: %s", s.step, offset(s.at.Sub(start)), where, s.reason)
	}
	return strings.Join(parts, "; ")
}

// campaignRule is where a campaign and its steps are, with the rules
// that move a member through them.
func campaignRule(cfg *config.Config, base string, c *config.Campaign) []string {
	head := fmt.Sprintf("campaign %s at %s", c.Name, pos(base, c.DeclRange))
	// Quiet hours and caps defer sends: a step still waiting may be why.
	var limits []string
	if q := c.QuietHours; q != nil {
		limits = append(limits, fmt.Sprintf("quiet hours %s to %s", q.From, q.To))
	}
	if c.FrequencyCap != nil {
		limits = append(limits, "frequency cap "+c.FrequencyCap.String())
	}
	if g := cfg.Settings.FrequencyCap; g != nil {
		// The hearth block's cap counts every campaign's sends: another
		// campaign may have used it up.
		limits = append(limits, "frequency cap of all campaigns "+g.String())
	}
	if c.Paused {
		limits = append(limits, "paused")
	}
	if len(limits) > 0 {
		head += " (" + strings.Join(limits, ", ") + ")"
	}
	out := []string{head}
	if c.Members != config.MembersCurrent {
		out = append(out, fmt.Sprintf("members = %q", c.Members))
	}
	if c.StopWhen != nil {
		out = append(out, "stop_when at "+where(base, c.StopWhen))
	}
	if c.ExitWhen != nil {
		out = append(out, "exit_when at "+where(base, c.ExitWhen))
	}
	for _, st := range c.Steps {
		s := fmt.Sprintf("step %s at %s", st.Name, pos(base, st.DeclRange))
		var how []string
		if st.Wait > 0 {
			how = append(how, "wait "+durations.Format(st.Wait))
		}
		if st.At != nil {
			how = append(how, "at "+st.At.String())
		}
		// A step's rules are listed with the rest of it, on its line:
		// one written on several lines is put on one.
		if st.Until != nil {
			how = append(how, "until "+oneLine(st.Until.Source))
		}
		if st.WaitUntil != nil {
			how = append(how, "wait_until "+oneLine(st.WaitUntil.Source))
		}
		if st.When != nil {
			how = append(how, "when "+oneLine(st.When.Source))
		}
		if len(st.Split) > 0 {
			var vs []string
			for _, v := range st.Split {
				vs = append(vs, v.Name)
			}
			how = append(how, "split "+strings.Join(vs, ", "))
		} else if st.Send == nil {
			how = append(how, "sends nothing")
		}
		if len(how) > 0 {
			s += ": " + strings.Join(how, ", ")
		}
		out = append(out, s)
	}
	return out
}

// oneLine is a rule's source with each run of white space, line breaks
// included, one space.
func oneLine(src string) string { return strings.Join(strings.Fields(src), " ") }

func ctyString(v cty.Value) string {
	if v.Type() == cty.String {
		return v.AsString()
	}
	if v.Type() == cty.Number && v.IsKnown() && !v.IsNull() {
		return config.NumberText(v.AsBigFloat())
	}
	b, _ := ctyjson.Marshal(v, v.Type())
	return string(b)
}

// is sets the values of a failure's expected and got, for JSON.
func (f *Failure) is(want, got any) {
	f.ExpectedValue, f.GotValue = want, got
}

// orNil is s, or nil for "": no tier, step or variant.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nonNil is l, or an empty list for nil: JSON's [] rather than null.
func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// stampOf is a time as JSON gives times, RFC 3339 in UTC.
func stampOf(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ctyValue is a test file's value as a JSON value.
func ctyValue(v cty.Value) any {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return ctyString(v)
	}
	return json.RawMessage(b)
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// where is a rule's file and line, then its source: after them on a
// one-line rule, and under them for a rule on several lines (a heredoc),
// each line indented by two, and as written relative to the first.
func where(base string, r *config.Rule) string {
	if r == nil {
		return ""
	}
	return pos(base, r.Range) + ":" + ruleText(r.Source)
}

// pos is the file and line a range starts at, the file named as validate
// names it: relative to base (the directory the command runs in) when it
// is inside it, else as given, so that an editor or a CI annotation
// opens it.
func pos(base string, r hcl.Range) string {
	return fmt.Sprintf("%s:%d", config.RelPath(r.Filename, base), r.Start.Line)
}

// ruleText is where's source: " SOURCE" for a one-line rule, else a
// line break and the rule's lines (rules.SourceLines), each indented by
// two.
func ruleText(src string) string {
	lines := rules.SourceLines(src)
	if len(lines) == 1 {
		return " " + lines[0]
	}
	return "\n  " + strings.Join(lines, "\n  ")
}

// tierRule lists the rules of the tier expected and the tier held, and
// what else moves a member between them: a grace period or demote_after
// can hold a member on a tier the rules no longer give, a window can
// hold a promotion back, and a locked member stays whatever the rules say.
// Where one of them is under way at at, it says since and until when,
// as offsets from the test's start.
func tierRule(cfg *config.Config, base string, m *state.Member, want string, at, start time.Time) []string {
	got := m.Tier.Name
	var parts []string
	for _, t := range cfg.Tiers {
		if t.Name != want && t.Name != got {
			continue
		}
		parts = append(parts, "tier "+t.Name+" when at "+where(base, t.When))
		if t.Keep != nil {
			parts = append(parts, "tier "+t.Name+" keep at "+where(base, t.Keep))
		}
		if slices.Contains(t.Locked, m.ID) {
			parts = append(parts, fmt.Sprintf("tier %s locked: %s is held on it whatever the rules say", t.Name, m.ID))
		}
		if t.Window > 0 {
			s := fmt.Sprintf("tier %s window %s: when must hold that long without a break before a promotion", t.Name, offset(t.Window))
			if since, ok := m.Tier.QualifyingSince(t.Name); ok && !since.IsZero() {
				s += fmt.Sprintf(" (when holding since %s: promotion at %s if it still holds)", timeText(since, start), timeText(since.Add(t.Window), start))
			}
			parts = append(parts, s)
		}
		if t.Grace > 0 {
			s := fmt.Sprintf("tier %s grace %s: no demotion for that long after reaching it", t.Name, offset(t.Grace))
			if t.Name == got && !m.Tier.Since.IsZero() {
				end := m.Tier.Since.Add(t.Grace)
				until := "in grace until"
				if !at.Before(end) {
					until = "grace over at"
				}
				s += fmt.Sprintf(" (on it since %s; %s %s)", timeText(m.Tier.Since, start), until, timeText(end, start))
			}
			parts = append(parts, s)
		}
		if t.DemoteAfter > 0 {
			s := fmt.Sprintf("tier %s demote_after %s: keep must fail that long before a demotion, counted from its first failure, grace or not", t.Name, offset(t.DemoteAfter))
			if t.Name == got && !m.Tier.FailingSince.IsZero() {
				end, when := m.Tier.FailingSince.Add(t.DemoteAfter), ""
				if grace := m.Tier.Since.Add(t.Grace); grace.After(end) {
					end, when = grace, ", when the grace ends,"
				}
				s += fmt.Sprintf(" (keep failing since %s: demotion at %s%s if it still fails)", timeText(m.Tier.FailingSince, start), timeText(end, start), when)
			}
			parts = append(parts, s)
		}
	}
	return parts
}

func segmentRule(cfg *config.Config, base, name string) []string {
	for _, s := range cfg.Segments {
		if s.Name == name {
			return []string{"segment " + name + " at " + where(base, s.When)}
		}
	}
	return nil
}

// incentiveAt names an incentive and where it is: its when rule, or its
// block when it has none.
func incentiveAt(base string, in *config.Incentive) string {
	if in.When != nil {
		return "incentive " + in.Name + " when at " + where(base, in.When)
	}
	return fmt.Sprintf("incentive %s at %s (on %s)", in.Name, pos(base, in.DeclRange), strings.Join(in.On, ", "))
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
func pointsRule(cfg *config.Config, base string, m *state.Member) []string {
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
		parts = append(parts, fmt.Sprintf("%s: %s, %s%s", incentiveAt(base, in), plural(n, "grant", "grants"), plural(points, "point", "points"), gatesOf(in)))
	}
	if lost := m.PointsEarned - m.Points; lost != 0 {
		parts = append(parts, fmt.Sprintf("earned %d; %d spent or expired", m.PointsEarned, lost))
	}
	if len(parts) == 0 {
		return []string{"no incentive grants points"}
	}
	return parts
}

// gatesOf names what can hold an incentive's grants below the events
// it hears ("(points_cap 20/1d, cooldown 1h)"), so a test expecting
// points per event sees why it got fewer.
func gatesOf(in *config.Incentive) string {
	var gates []string
	if in.Once {
		gates = append(gates, "once")
	}
	if in.Limit != nil {
		gates = append(gates, "limit "+in.Limit.String())
	}
	if in.Cooldown > 0 {
		gates = append(gates, "cooldown "+durations.Format(in.Cooldown))
	}
	if in.PointsCap != nil {
		gates = append(gates, "points_cap "+in.PointsCap.String())
	}
	if len(gates) == 0 {
		return ""
	}
	return " (" + strings.Join(gates, ", ") + ")"
}

// badgeRule lists, for each badge expected and not held or held and not
// expected, the incentives that award it and how often they did.
func badgeRule(cfg *config.Config, base string, m *state.Member, want, got []string) []string {
	var parts []string
	for _, b := range cfg.Badges {
		if countOf(want, b.Name) == countOf(got, b.Name) {
			continue
		}
		found := false
		for _, in := range cfg.Incentives {
			if in.Grant.Badge == b {
				parts = append(parts, fmt.Sprintf("badge %s from %s: %s", b.Name, incentiveAt(base, in), plural(grants(m, in), "grant", "grants")))
				found = true
			}
		}
		if b.RevokeWhen != nil {
			parts = append(parts, "badge "+b.Name+" revoke_when at "+where(base, b.RevokeWhen))
		} else if !found {
			parts = append(parts, "no incentive awards badge "+b.Name)
		}
	}
	return parts
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
