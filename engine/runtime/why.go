package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Explanation says how one rule decides for one member now: its source,
// where it is, its result, and the value of everything it reads.
type Explanation struct {
	Rule   string `json:"rule"` // segment.lurkers.when
	Source string `json:"source"`
	At     string `json:"at"` // file:line
	Result any    `json:"result"`
	Error  string `json:"error,omitempty"`
	// EventReads, for a rule not evaluated, are the event's fields it
	// reads ("event.channel", or "event" for the whole event): member
	// state does not keep an event, so an incentive's rules are
	// evaluated only on one given (hearth member why -event). Values then
	// has what the rule reads of the member, and Result is nil.
	EventReads []string `json:"event_reads,omitempty"`
	Values     []Value  `json:"values"`
	// Op and Clauses split a rule joined by && or || into its parts
	// (rules.Program.Clauses), each run alone on the same member, event
	// and time: which of them gave the rule its value. Absent for a rule
	// without && or || at its top, or not run.
	Op      string   `json:"op,omitempty"`
	Clauses []Clause `json:"clauses,omitempty"`
}

// Clause is one part of a rule that && or || join to the others, run
// alone.
type Clause struct {
	Source string `json:"source"`
	Result any    `json:"result"` // true or false; nil with Error
	Error  string `json:"error,omitempty"`
	// Decided says the part alone gives the rule its value (or its
	// group's, itself decided): of a && that is false, the parts that are
	// false; of a || that is true, those that are true. Of a && that is
	// true (a || that is false) no part does: each one had to be.
	Decided bool    `json:"decided"`
	Values  []Value `json:"values"`
	// Op and Clauses split a bracketed group of the other operator:
	// a && (b || c).
	Op      string   `json:"op,omitempty"`
	Clauses []Clause `json:"clauses,omitempty"`
}

// Value is one input of a rule.
type Value struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Why explains the rules of a segment, tier, badge, campaign or
// incentive for a member at now: "why is she in lurkers?".
func (r *Runtime) Why(m *state.Member, addr string, now time.Time) ([]Explanation, error) {
	return r.WhyOn(m, addr, nil, nil, now)
}

// WhyOn is Why with an event for an incentive's rules, which read the
// event they fire on: ev is bound as the event (nil: none, and a rule
// reading it is not evaluated, its EventReads set), and by as its member
// (nil: m), who is another than m when the question is a grant.to's
// ("why did she get nothing for the member she referred?"). Other
// addresses leave ev aside.
func (r *Runtime) WhyOn(m *state.Member, addr string, ev *events.Event, by *state.Member, now time.Time) ([]Explanation, error) {
	return r.why(m, addr, ev, by, now, true)
}

// WhyAsIs is Why on the member's state as it stands: an incentive's
// rules read the counts as they are, with no event assumed (Why counts
// one of its first type, asking whether the next would fire it), and a
// rule reading the event is not run. hearth test shows so what an
// incentive's rules read when the grants expected did not come.
func (r *Runtime) WhyAsIs(m *state.Member, addr string, now time.Time) ([]Explanation, error) {
	return r.why(m, addr, nil, nil, now, false)
}

// why is WhyOn; assume says to count an assumed event for an incentive's
// rules when ev is nil.
func (r *Runtime) why(m *state.Member, addr string, ev *events.Event, by *state.Member, now time.Time, assume bool) ([]Explanation, error) {
	if addr == "moderation" || strings.HasPrefix(addr, "moderation.") || strings.Contains(addr, ".moderation.") {
		return r.whyModeration(m, addr, now)
	}
	kind, name, ok := strings.Cut(addr, ".")
	if !ok {
		if named := r.addressesOf(addr); len(named) > 0 {
			return nil, fmt.Errorf("%q: give the address, %s", addr, strings.Join(named, " or "))
		}
		return nil, fmt.Errorf("%q: give an address such as segment.lurkers, tier.core or moderation.spam", addr)
	}
	type named struct {
		attr string
		rule *config.Rule
	}
	var rs []named
	var view map[string]any // a campaign run's entering event, or an incentive's
	// eventGone: the campaign run asked about had an entering event, and
	// it is no longer kept, so a rule reading event is not run on none.
	eventGone := false
	// bound is the event an incentive is asked about on, and counting the
	// one counted on the member for its rules: bound, or the one assumed.
	var bound, counting *events.Event
	found := false
	switch kind {
	case "segment":
		for _, s := range r.cfg.Segments {
			if s.Name == name {
				found, rs = true, []named{{"when", s.When}}
			}
		}
	case "tier":
		for _, t := range r.cfg.Tiers {
			if t.Name == name {
				found, rs = true, []named{{"when", t.When}, {"keep", t.Keep}}
			}
		}
	case "badge":
		for _, b := range r.cfg.Badges {
			if b.Name == name {
				found, rs = true, []named{{"revoke_when", b.RevokeWhen}}
			}
		}
	case "campaign":
		// campaign.NAME[KEY] is the member's run with that key, of a
		// campaign with run_key; campaign.NAME the run without one.
		id := name
		name = state.RunCampaign(id)
		for _, c := range r.cfg.Campaigns {
			if c.Name != name {
				continue
			}
			// stop_when first, as the runtime asks it: it wins when
			// both hold.
			found, rs = true, []named{{"stop_when", c.StopWhen}, {"exit_when", c.ExitWhen}}
			run := m.Campaigns[id]
			if run != nil && run.Event != nil {
				// Kept while the run goes on, and after it within its
				// conversion window.
				view = r.runEvent(run)
			} else if len(c.EnterOn) > 0 {
				// An ended run keeps no entering event (nor does a keyed
				// run dropped whole): its rules cannot read one.
				eventGone = true
			}
			// A run held at a step is held by that step's rules: "why is
			// she not moving on?"
			if run.Active() {
				if i := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name]); i >= 0 && i < len(c.Steps) {
					st := c.Steps[i]
					p := "step." + st.Name + "."
					rs = append(rs, named{p + "until", st.Until}, named{p + "wait_until", st.WaitUntil}, named{p + "when", st.When})
					if st.Send != nil {
						rs = append(rs, named{p + "send.not_after", st.Send.NotAfter})
					}
					for j, b := range st.Branches {
						rs = append(rs, named{fmt.Sprintf("%sbranch[%d].when", p, j), b.When})
					}
				}
			}
		}
		// A campaign removed from the configuration has no rules left,
		// but the member's document still holds what it did with them:
		// member why tells of that rather than refuse.
		if !found && r.campaigns[name] == nil && hasRunsOf(m, name) {
			return nil, nil
		}
	case "incentive":
		in := r.incentiveNamed(name)
		if in == nil {
			break
		}
		found, rs = true, []named{{"when", in.When}, {"grant.to", in.Grant.To}, {"once_per", in.OncePer}}
		if ev == nil {
			if assume {
				counting = assumedEvent(in, m, now)
			}
			break
		}
		if !slices.Contains(in.On, ev.Type) {
			return nil, fmt.Errorf("incentive %s fires on %s, not on a %s event", name, strings.Join(in.On, ", "), ev.Type)
		}
		var err error
		if view, err = r.EventView(ev); err != nil {
			return nil, err
		}
		bound, counting = ev, ev
	default:
		return nil, fmt.Errorf("%q: only segments, tiers, badges, campaigns and incentives have member rules (and moderation its decisions)", addr)
	}
	if !found {
		hint := rules.DidYouMean(name, r.namesOf(kind))
		if hint != "" {
			hint = ". " + hint
		}
		return nil, fmt.Errorf("there is no %s named %q in the configuration%s", kind, name, hint)
	}
	w := r.newWork(context.Background(), nil)
	if counting != nil {
		if bound != nil && by != nil {
			m = by // the event's member, whom its rules read
		}
		var err error
		if m, err = r.counted(w, m, counting); err != nil {
			return nil, err
		}
	}
	r.bound = bindKey{}
	r.bind(w, m, view, bound, now)
	r.bound = bindKey{}
	var out []Explanation
	for _, n := range rs {
		if n.rule == nil || n.rule.Program == nil {
			continue
		}
		at := fmt.Sprintf("%s:%d", shortPath(n.rule.Range.Filename), n.rule.Range.Start.Line)
		if kind == "incentive" && bound == nil && n.rule.Program.Reads.Event {
			out = append(out, r.explainUnbound(addr+"."+n.attr, at, n.rule.Program, now))
			continue
		}
		if eventGone && n.rule.Program.Reads.Event {
			e := r.explainUnbound(addr+"."+n.attr, at, n.rule.Program, now)
			e.Error = RunEventGone
			out = append(out, e)
			continue
		}
		out = append(out, r.explainRule(addr+"."+n.attr, at, n.rule.Program, now, view))
	}
	return out, nil
}

// RunEventGone is what member why and hearth test say of a rule of an
// ended campaign run that reads the run's entering event: the run no
// longer keeps it.
const RunEventGone = "the run's entering event is no longer kept (retention)"

// namesOf lists the names of the configuration's blocks of a kind
// member why explains, for a suggestion when a name is mistyped.
func (r *Runtime) namesOf(kind string) []string {
	var names []string
	switch kind {
	case "segment":
		for _, s := range r.cfg.Segments {
			names = append(names, s.Name)
		}
	case "tier":
		for _, t := range r.cfg.Tiers {
			names = append(names, t.Name)
		}
	case "badge":
		for _, b := range r.cfg.Badges {
			names = append(names, b.Name)
		}
	case "campaign":
		for _, c := range r.cfg.Campaigns {
			names = append(names, c.Name)
		}
	case "incentive":
		for _, in := range r.cfg.Incentives {
			names = append(names, in.Name)
		}
	}
	return names
}

// counted is m as an incentive's rules see it on ev: a copy, with the
// event counted as applyEvent counts it before any incentive runs, so a
// rule over count('message.posted', '1d') counts the event asked about.
func (r *Runtime) counted(w *work, m *state.Member, ev *events.Event) (*state.Member, error) {
	b, err := m.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	c := new(state.Member)
	if err := state.DecodeMember(b, c); err != nil {
		return nil, err
	}
	r.updateBase(w, c, ev, r.typeOf(ev.Type), false)
	return c, nil
}

// assumedEvent is the event member why counts on m for an incentive's
// rules when it is given none: the incentive's first type, at at, without
// attributes. Member state keeps no event, and rules over counts read
// them with the event that fires the incentive counted (member.messages
// == 1 holds on a first post); what the rules read of the event itself
// is not known, and those rules are not evaluated.
func assumedEvent(in *config.Incentive, m *state.Member, at time.Time) *events.Event {
	return &events.Event{ID: "why", Type: in.On[0], Member: events.Member{ID: m.ID}, At: at}
}

// incentiveNamed is the configuration's incentive of that name, or nil.
func (r *Runtime) incentiveNamed(name string) *config.Incentive {
	for _, in := range r.cfg.Incentives {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// hasRunsOf reports whether the member's document holds anything of the
// campaign's runs: a run, a key kept of an ended one, or a dropped one's
// number.
func hasRunsOf(m *state.Member, campaign string) bool {
	return len(m.RunIDs(campaign, nil)) > 0 || len(m.KeysEnded[campaign]) > 0 || m.RunsDropped[campaign] > 0
}

// explainBound runs p on what is bound and says what it gave and the
// value of every input it read.
func (r *Runtime) explainBound(rule, at string, p *rules.Program, now time.Time) Explanation {
	e := Explanation{Rule: rule, Source: p.Source, At: at}
	var res any
	var err error
	switch p.Result {
	case rules.Any:
		res, err = r.eval.Value(p)
	case rules.String: // grant.to
		res, err = r.eval.String(p)
	case rules.Time:
		var t time.Time
		if t, err = r.eval.Time(p); err == nil {
			res = t.UTC().Format(time.RFC3339)
		}
	default:
		res, err = r.eval.Bool(p)
	}
	if err != nil {
		e.Error = err.Error()
	} else {
		e.Result = res
	}
	r.boundValues(&e, p, now)
	return e
}

// explainRule is explainBound with the event's values the rule reads
// (view) and, for a rule of && or || parts, each part run alone.
func (r *Runtime) explainRule(rule, at string, p *rules.Program, now time.Time, view map[string]any) Explanation {
	e := r.explainBound(rule, at, p, now)
	e.Values = append(e.Values, eventValues(p, view)...)
	if root := p.Clauses(); root != nil {
		e.Op = root.Op
		e.Clauses = r.explainClauses(root, e.Result, true, now, view)
	}
	return e
}

// explainClauses runs each part of c alone on what is bound; the parts
// whose value alone gives c its value (whole) are marked as deciding it,
// when c itself decided.
func (r *Runtime) explainClauses(c *rules.Clause, whole any, decided bool, now time.Time, view map[string]any) []Clause {
	// false decides a &&, true a ||.
	decided = decided && whole == any(c.Op == "||")
	out := make([]Clause, 0, len(c.Parts))
	for _, part := range c.Parts {
		cl := Clause{Source: part.Source, Op: part.Op, Values: []Value{}}
		v, err := r.eval.Bool(part.Program)
		if err != nil {
			cl.Error = clauseError(err)
		} else {
			cl.Result = v
			cl.Decided = decided && whole == any(v)
		}
		if part.Op != "" && err == nil {
			// A group's values are its parts'.
			cl.Clauses = r.explainClauses(part, cl.Result, cl.Decided, now, view)
		} else {
			cl.Values = append(append(cl.Values, r.valuesOf(part.Program, now)...), eventValues(part.Program, view)...)
		}
		out = append(out, cl)
	}
	return out
}

// clauseError is what a part's run error says, without the part (its
// source is beside it) and expr's snippet lines.
func clauseError(err error) string {
	var re *rules.RunError
	if errors.As(err, &re) {
		err = re.Err
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// explainUnbound is explainBound for a rule that reads an event when
// there is none: it says what the rule reads of the event and the value
// of what it reads of the member, without running it.
func (r *Runtime) explainUnbound(rule, at string, p *rules.Program, now time.Time) Explanation {
	e := Explanation{Rule: rule, Source: p.Source, At: at, EventReads: eventReads(p)}
	r.boundValues(&e, p, now)
	return e
}

// eventReads names what p reads of the event: its fields by name, or
// "event" when it may read any.
func eventReads(p *rules.Program) []string {
	if p.Reads.EventWhole || len(p.Reads.EventFields) == 0 {
		return []string{"event"}
	}
	out := make([]string, len(p.Reads.EventFields))
	for i, f := range p.Reads.EventFields {
		out[i] = "event." + f
	}
	return out
}

// boundValues adds the value of everything p reads of the bound member
// and of now to what e shows.
func (r *Runtime) boundValues(e *Explanation, p *rules.Program, now time.Time) {
	if r.asOf != nil {
		r.asOf.read(p)
	}
	e.Values = append(e.Values, r.valuesOf(p, now)...)
}

// valuesOf is the value of everything p reads of the bound member and
// of now.
func (r *Runtime) valuesOf(p *rules.Program, now time.Time) []Value {
	var out []Value
	for _, f := range p.Reads.Member {
		out = append(out, Value{Name: "member." + f, Value: memberField(&r.rm, f)})
	}
	for _, c := range p.Reads.Calls {
		out = append(out, Value{Name: c.String(), Value: rules.CallValue(c, &r.ms)})
	}
	if p.Reads.Now {
		out = append(out, Value{Name: "now", Value: now.UTC().Format(time.RFC3339)})
	}
	return out
}

// Eval runs an expression compiled against this configuration
// (config.ExprScope) for member m at now, as the rules would see the
// member then, with ev bound as `event` when given: hearth member eval.
func (r *Runtime) Eval(m *state.Member, p *rules.Program, ev *events.Event, now time.Time) (Explanation, error) {
	var view map[string]any
	if ev != nil {
		var err error
		if view, err = r.EventView(ev); err != nil {
			return Explanation{}, err
		}
	}
	// The derived fields the expression reads are filled in too, though
	// no rule of the configuration reads them (member.messages, say).
	saved := r.fields
	r.fields = r.fields.or(fieldsRead([]*rules.Program{p}))
	defer func() { r.fields = saved }()
	w := r.newWork(context.Background(), nil)
	r.bound = bindKey{}
	r.bind(w, m, view, ev, now)
	r.bound = bindKey{}
	return r.explainRule("expression", "", p, now, view), nil
}

// eventValues are the event attributes p reads, from view.
func eventValues(p *rules.Program, view map[string]any) []Value {
	if !p.Reads.Event {
		return nil
	}
	var out []Value
	for _, k := range slices.Sorted(maps.Keys(view)) {
		if p.Reads.EventWhole || slices.Contains(p.Reads.EventFields, k) {
			v := view[k]
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format(time.RFC3339)
			}
			out = append(out, Value{Name: "event." + k, Value: v})
		}
	}
	return out
}

func memberField(m *rules.Member, name string) any {
	v := reflect.ValueOf(m).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("expr") == name {
			f := v.Field(i).Interface()
			if tm, ok := f.(time.Time); ok {
				if tm.IsZero() {
					return "never"
				}
				return tm.UTC().Format(time.RFC3339)
			}
			return f
		}
	}
	return nil
}

func shortPath(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// WhyView is member why's answer as JSON, from hearth member why -json
// and the admin API alike.
type WhyView struct {
	Member string    `json:"member"`
	Rule   string    `json:"rule"` // the address asked about
	At     time.Time `json:"at"`
	// AtReason says why At is not the time asked about (the clock, when
	// no time is): the rules of an ended campaign run are evaluated as
	// of its window, AtConversionWindowClosed or AtRunEnded (hearth
	// member why); absent when At is the time asked about.
	AtReason     string        `json:"at_reason,omitempty"`
	Explanations []Explanation `json:"explanations"`
	// Verdict is what the runtime would do at At with the tier or
	// incentive asked about, and Incentive the member's bookkeeping for
	// an incentive behind it (Runtime.Verdict); absent for other
	// addresses.
	Verdict   *Verdict        `json:"verdict,omitempty"`
	Incentive *IncentiveCheck `json:"incentive,omitempty"`
	// Held is what holds back the sends of a campaign's runs past their
	// step's time (Holds); absent when nothing does.
	Held []Hold `json:"held,omitempty"`
	// Waiting is what a campaign's runs on a wait_until step wait for,
	// when it is next checked and when it times out (Waits); absent when
	// no run waits so.
	Waiting []Wait `json:"waiting,omitempty"`
	// Dropped is what is still known of a keyed run, asked about as
	// campaign.NAME[KEY], that the member has no more (DroppedRun).
	Dropped *Dropped `json:"dropped,omitempty"`
	// EndedRuns is what retention left of the member's ended keyed runs
	// of a campaign asked about as campaign.NAME (EndedRunsOf).
	EndedRuns *EndedRuns `json:"ended_runs,omitempty"`
	// Runs are the campaign's runs asked about: each one's variant,
	// sends and conversion window, and the fate of a step asked about
	// (RunInfos); absent for another address or a member with no run.
	Runs []RunInfo `json:"runs,omitempty"`
	// Skipped is the sends of the campaign's runs not made because the
	// member unsubscribed, left or came back (Skips); absent when none is.
	Skipped []Skip `json:"skipped,omitempty"`
	// CampaignRemoved marks a campaign the configuration no longer has,
	// asked about for the runs the member's document still holds of it:
	// it has no rules to explain, and its active runs stop at the
	// member's next event or recheck.
	CampaignRemoved bool `json:"campaign_removed,omitempty"`
	// TierMoves are the member's moves onto and off a tier asked about
	// (Runtime.TierMoves); absent for another address or a member who
	// never moved on it.
	TierMoves []TierMove `json:"tier_moves,omitempty"`
	// Forecast is what time alone will do (points expiring, a tier
	// lost), for a tier or incentive; absent when nothing.
	Forecast *Forecast `json:"forecast,omitempty"`
	// Stale is when the stored member's first recheck not yet run fell
	// due, more than StaleAfter before the wall clock (StaleSince): no
	// daemon ran it, so the stored tier and segments are of before it.
	Stale time.Time `json:"stale_since,omitzero"`
	// Warnings are, for an At before the member's stored state, the
	// inputs and bookkeeping read that the state cannot give as of At
	// (AsOf): they are as they stand, or not known.
	Warnings []AsOfNote `json:"warnings,omitempty"`
}

// WhyView.AtReason values.
const (
	AtConversionWindowClosed = "conversion_window_closed"
	AtRunEnded               = "run_ended"
)

// TierMove is one of a member's moves onto or off a tier: an entry of
// their tier history with its direction, as tier outcomes name it.
type TierMove struct {
	// Change is promote (up the ladder) or demote; move when a tier the
	// files no longer have leaves the direction unknown.
	Change string `json:"change"`
	state.TierChange
}

// TierMoves are the member's moves onto and off the tier addr names
// (tier.NAME), oldest first, from their tier history: how they came and
// went, which the verdict at one time cannot tell and simulate's
// flapping report sends one to see. nil for another address.
func (r *Runtime) TierMoves(m *state.Member, addr string) []TierMove {
	kind, name, _ := strings.Cut(addr, ".")
	if kind != "tier" || name == "" {
		return nil
	}
	rank := func(tier string) (int, bool) {
		if tier == "" {
			return 0, true
		}
		if t := r.tierNamed(tier); t != nil {
			return t.Rank, true
		}
		return 0, false
	}
	var out []TierMove
	for _, c := range m.Tier.History {
		if c.From != name && c.To != name {
			continue
		}
		mv := TierMove{Change: "move", TierChange: c}
		from, okFrom := rank(c.From)
		to, okTo := rank(c.To)
		switch {
		case okFrom && okTo && to > from:
			mv.Change = "promote"
		case okFrom && okTo && to < from:
			mv.Change = "demote"
		}
		out = append(out, mv)
	}
	return out
}

// CampaignRemoved reports whether addr is a campaign's (campaign.NAME or
// campaign.NAME[KEY]) that the configuration no longer has, for WhyView.
func (r *Runtime) CampaignRemoved(addr string) bool {
	kind, id, _ := strings.Cut(addr, ".")
	return kind == "campaign" && !r.Configured(state.RunCampaign(id))
}

// Skip is a campaign run's send not made for the member's own sake: an
// email to a member who unsubscribed from its platform, a message to one
// who left the community, or a message decided while they were away (a
// win-back's) for one who came back before it went. The runtime skips it
// at its step (the run goes on), or the outbox at delivery when it was
// queued before; only the outbox skips one because the member came
// back, since the runtime makes no send for them then (a win-back's run
// ends, its goal reached). Expected marks one not made yet, by the
// member now: the step the run is on will skip it when it comes due, or,
// with Queued, the outbox will at delivery. member why shows them as
// "skipped:" and "will be skipped:" lines, and in its JSON.
type Skip struct {
	Run    string `json:"run"` // the run's id: NAME, or NAME[KEY] with run_key
	Step   string `json:"step"`
	Reason string `json:"reason"` // SkipUnsubscribed, SkipLeft, SkipBack or SkipExpired
	// Detail is the outbox's reason for an expired send: "expired: not
	// sent within 1w of its time (2026-03-02 09:00 UTC)".
	Detail string `json:"detail,omitempty"`
	// From is what the member unsubscribed from: the email platform,
	// "email.news", or "email" for all email.
	From string `json:"from,omitempty"`
	// At is when it was skipped (zero for an expected one); Queued says
	// the send was queued and the outbox skipped it, or will, at
	// delivery.
	At       time.Time `json:"at,omitzero"`
	Queued   bool      `json:"queued,omitempty"`
	Expected bool      `json:"expected,omitempty"`
}

// Skip reasons.
const (
	SkipUnsubscribed = "unsubscribed"
	SkipLeft         = "left"
	SkipBack         = "back" // came back to the community
	// SkipExpired is a send the outbox did not deliver within its
	// campaign's expire_after of its time: decided from history
	// replayed or backdated, or waiting while hearth run was stopped.
	SkipExpired = "expired"
)

// Skips says, of the member's runs at addr (as Holds takes it), whether
// the latest send of each run was skipped because the member
// unsubscribed, left or came back, or because it expired before the
// outbox could deliver it: at its step, as the member's outcomes
// tell, or at delivery, as their outbox entries do (both oldest first;
// nil tells nothing, and neither tells once retention removed it). A
// later send, or a send skipped for another reason (if_past, a frequency
// cap), is the latest instead, and nothing is said. When the latest is
// still queued, it says whether the outbox will skip it at delivery, by
// the member now; and whether the send of the step an active run is on
// will be skipped when it comes due. Runs of a campaign no longer
// configured are told of as well: what their sends met is in the
// records.
func (r *Runtime) Skips(m *state.Member, addr string, outcomes []state.Outcome, outbox []state.OutboxEntry) []Skip {
	kind, id, _ := strings.Cut(addr, ".")
	if kind != "campaign" {
		return nil
	}
	ids := []string{id}
	if _, _, keyed := state.SplitRunID(id); !keyed && m.HasKeyedRuns() {
		ids = m.RunIDs(id, nil)
	}
	var out []Skip
	rec := state.Recipient{Left: m.Left, Unsubscribed: m.Unsubscribed, Bounced: m.Bounced}
	for _, id := range ids {
		run := m.Campaigns[id]
		if run == nil {
			continue
		}
		name, key, _ := state.SplitRunID(id)
		var last *Skip
		var lastAt time.Time
		for _, o := range outcomes {
			if o.Kind != state.KindCampaign || o.Name != name || o.Change != "skip" || o.At.Before(run.EnteredAt) || o.At.Before(lastAt) || state.DetailKey(o.Detail) != key {
				continue
			}
			lastAt, last = o.At, nil
			step, text, _ := strings.Cut(state.DetailReason(o.Detail), ": ")
			if from, ok := unsubscribedOf(text); ok {
				last = &Skip{Run: id, Step: step, Reason: SkipUnsubscribed, From: from, At: o.At.UTC()}
			} else if text == leftText {
				last = &Skip{Run: id, Step: step, Reason: SkipLeft, At: o.At.UTC()}
			}
		}
		for _, e := range outbox {
			if e.Campaign != name || e.RunKey != key || e.At.Before(run.EnteredAt) || e.At.Before(lastAt) {
				continue
			}
			lastAt, last = e.At, nil
			switch e.Status {
			case state.OutboxSkipped:
				last = queuedSkip(id, e.Step, e.LastError)
				if last != nil {
					last.At = e.FinishedAt.UTC()
				}
			case state.OutboxPending:
				// Not delivered yet: the outbox decides at delivery, as
				// it would by the member now.
				last = queuedSkip(id, e.Step, rec.SkipReason(&e.Action, true))
				if last != nil {
					last.Expected = true
				}
			}
		}
		if last != nil {
			out = append(out, *last)
		}
		if s, ok := r.expectedSkip(m, id); ok {
			out = append(out, s)
		}
	}
	return out
}

// queuedSkip is the skip of run id's send queued at step, by the reason
// the outbox stores (or would) with it: nil for another reason, or none.
func queuedSkip(id, step, reason string) *Skip {
	if from, ok := state.OutboxSkippedFrom(reason); ok {
		return &Skip{Run: id, Step: step, Reason: SkipUnsubscribed, From: from, Queued: true}
	}
	if state.IsOutboxExpired(reason) {
		return &Skip{Run: id, Step: step, Reason: SkipExpired, Detail: reason, Queued: true}
	}
	switch reason {
	case state.OutboxSkippedLeft:
		return &Skip{Run: id, Step: step, Reason: SkipLeft, Queued: true}
	case state.OutboxSkippedBack:
		return &Skip{Run: id, Step: step, Reason: SkipBack, Queued: true}
	}
	return nil
}

// expectedSkip says whether the send of the step the member's active run
// id is on will be skipped when it comes due, as advance decides it.
func (r *Runtime) expectedSkip(m *state.Member, id string) (Skip, bool) {
	c, run, st := r.sendStep(m, id)
	switch {
	case c == nil:
	case r.unreachable(m, run, c, st.Send):
		return Skip{Run: id, Step: st.Name, Reason: SkipLeft, Expected: true}, true
	default:
		if from := r.unsubscribedFrom(m, run, c, st.Send); from != "" {
			return Skip{Run: id, Step: st.Name, Reason: SkipUnsubscribed, From: from, Expected: true}, true
		}
	}
	return Skip{}, false
}

// Hold is what keeps the send of the step a campaign run is on from
// going out at the step's own time. The runtime records it on the run
// when it defers the send, and the run's next time is then the hold's,
// not the step's; Expected marks one not recorded yet: the send will be
// held when its step comes due, by the configuration now. member why
// shows them as "held:" and "will be held:" lines, and in its JSON.
type Hold struct {
	Run    string `json:"run"`    // the run's id: NAME, or NAME[KEY] with run_key
	Reason string `json:"reason"` // "frequency_cap" or "quiet_hours"
	// Caps are the full frequency caps, for frequency_cap.
	Caps []Cap `json:"caps,omitempty"`
	// QuietHours is the window, "22:00–08:00", for quiet_hours, and
	// TimeZone the zone it is in: "member" (the member's own) or the
	// one the campaign names.
	QuietHours string `json:"quiet_hours,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
	// Until is when the hold ends; with Skip (on_cap = "skip") the
	// step's send is skipped then instead of made.
	Until    time.Time `json:"until"`
	Skip     bool      `json:"skip,omitempty"`
	Expected bool      `json:"expected,omitempty"`
	// AtDelivery marks quiet hours that hold a send the outbox was to
	// deliver (DeliveryHolds): queued at Step, it was to go out inside
	// them (late, after a restart, a retry or an event posted after its
	// time) and waits in the outbox until Until.
	AtDelivery bool   `json:"at_delivery,omitempty"`
	Step       string `json:"step,omitempty"`
}

// DeliveryHolds says which sends of the member's runs at addr (as Holds
// takes it) the outbox holds at delivery at at: queued, to go out inside
// their campaign's quiet hours, and pending until they end, as the
// member's outbox entries tell (nil tells nothing). Runs that ended
// count too: a run may finish with its last send still waiting.
func DeliveryHolds(m *state.Member, addr string, outbox []state.OutboxEntry, at time.Time) []Hold {
	kind, id, _ := strings.Cut(addr, ".")
	if kind != "campaign" || len(outbox) == 0 {
		return nil
	}
	ids := []string{id}
	if _, _, keyed := state.SplitRunID(id); !keyed && m.HasKeyedRuns() {
		ids = m.RunIDs(id, nil)
	}
	var out []Hold
	for _, id := range ids {
		run := m.Campaigns[id]
		if run == nil {
			continue
		}
		name, key, _ := state.SplitRunID(id)
		for _, e := range outbox {
			if e.Status != state.OutboxPending || e.Campaign != name || e.RunKey != key || e.At.Before(run.EnteredAt) || !at.Before(e.NextAt) {
				continue
			}
			if window, zone, ok := state.OutboxHeldQuiet(e.LastError); ok {
				out = append(out, Hold{Run: id, Reason: state.HoldQuietHours, QuietHours: window, TimeZone: zone, Until: e.NextAt.UTC(), AtDelivery: true, Step: e.Step})
			}
		}
	}
	return out
}

// Cap is a full frequency cap: the campaign's own or the global one.
type Cap struct {
	Scope string `json:"scope"` // "campaign" or "global"
	Rate  string `json:"rate"`  // 2/1d
}

// Holds says what holds back the sends of the member's campaign runs at
// addr (campaign.NAME, every keyed run of it, or campaign.NAME[KEY]) at
// at: the hold the runtime recorded on each run, as it was decided (a
// reload since changes nothing of it), unless it is over by at; then the
// holds expected when the run's step comes due (or at at, when it is
// overdue then) under the configuration now. Nothing for another kind of
// address or a run not held. A run's next time is never taken for a
// hold: a step whose own time is the end of the quiet hours is not held.
func (r *Runtime) Holds(m *state.Member, addr string, at time.Time) []Hold {
	kind, id, _ := strings.Cut(addr, ".")
	if kind != "campaign" {
		return nil
	}
	ids := []string{id}
	if _, _, keyed := state.SplitRunID(id); !keyed && m.HasKeyedRuns() {
		ids = m.RunIDs(id, nil)
	}
	var out []Hold
	for _, id := range ids {
		run := m.Campaigns[id]
		if !run.Active() {
			continue
		}
		if h := run.Hold; h != nil && at.Before(h.Until) {
			held := Hold{Run: id, Reason: h.Reason, QuietHours: h.QuietHours, TimeZone: h.TimeZone, Until: h.Until.UTC()}
			for _, c := range h.Caps {
				held.Caps = append(held.Caps, Cap(c))
			}
			out = append(out, held)
		}
		t := latest(at, run.Due)
		if q, ok := r.quietHold(m, id, t); ok {
			out = append(out, q)
		}
		if caps, free, skip := r.capHold(m, id, t); len(caps) > 0 {
			out = append(out, Hold{Run: id, Reason: state.HoldFrequencyCap, Caps: caps, Until: free.UTC(), Skip: skip, Expected: true})
		}
	}
	return out
}

// sendStep is the step with a send the member's active run id is on; nil
// when there is none, when the step's until had passed on arrival and
// its send is skipped (if_past), or when the run ends before the step
// is made, as advanceRun ends it: for a member who left a campaign for
// current members, or came back to a win-back (its goal).
func (r *Runtime) sendStep(m *state.Member, id string) (*config.Campaign, *state.CampaignRun, *config.Step) {
	run := m.Campaigns[id]
	c := r.campaigns[state.RunCampaign(id)]
	if c == nil || !run.Active() || c.Members == config.MembersCurrent && m.Left || c.Members == config.MembersLeft && !m.Left {
		return nil, nil, nil
	}
	i := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name])
	if i < 0 || i >= len(c.Steps) || c.Steps[i].Send == nil {
		return nil, nil, nil
	}
	if st := c.Steps[i]; st.Until != nil && st.IfPast != "send" && run.Due.Before(run.StepAt) {
		return nil, nil, nil
	}
	return c, run, c.Steps[i]
}

// quietHold says whether the campaign's quiet hours will hold back the
// send of the step run id is on when it is made at t (the step's time,
// or later when overdue): t is inside them. The end of the quiet hours
// is not inside them.
func (r *Runtime) quietHold(m *state.Member, id string, t time.Time) (Hold, bool) {
	c, _, _ := r.sendStep(m, id)
	if _, skip := r.expectedSkip(m, id); skip || c == nil || c.QuietHours == nil {
		return Hold{}, false
	}
	end := r.sendBlocked(m, c, t)
	if end.IsZero() {
		return Hold{}, false
	}
	rec := r.quietRecord(c, end)
	return Hold{Run: id, Reason: rec.Reason, QuietHours: rec.QuietHours, TimeZone: rec.TimeZone, Until: end.UTC(), Expected: true}, true
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// capHold says whether a frequency cap will hold back the send of the
// step the member's active run id is on when it is made at t. It gives
// the caps that are full then, and when they free up; skip is set when
// the campaign skips a capped send (on_cap = "skip") instead of waiting.
// caps is empty when no cap holds it.
func (r *Runtime) capHold(m *state.Member, id string, t time.Time) (caps []Cap, free time.Time, skip bool) {
	c, _, _ := r.sendStep(m, id)
	if _, skip := r.expectedSkip(m, id); skip || c == nil {
		return nil, time.Time{}, false
	}
	for _, h := range r.fullCaps(m, c, t) {
		caps = append(caps, Cap(h))
	}
	if len(caps) == 0 {
		return nil, time.Time{}, false
	}
	return caps, r.capFree(m, c, t), c.OnCap == "skip"
}

// Dropped is what is still known of a run with a key the member no
// longer has: an ended keyed run is dropped under retention
// (state.Member.DropRun), its key with it, and only its number stays;
// of a campaign with reentry = "never" its key is kept, with when and
// how it ended (state.Member.CompactRun): then KeyKept is set. The
// member's outcomes, kept under outcome_retention, may still tell of it:
// then Found is set, with its number and when and how it ended.
type Dropped struct {
	Run string `json:"run"` // NAME[KEY]
	// KeyKept says the key was kept when the run was dropped, which
	// reentry = "never" refuses for ever; EndedAt and Reason are then
	// the kept record's.
	KeyKept   bool      `json:"key_kept"`
	Found     bool      `json:"found"`
	Number    int       `json:"number,omitempty"` // the run's number (run 2: entered twice)
	EnteredAt time.Time `json:"entered_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Reason    string    `json:"reason,omitempty"` // how it ended: goal, exited, finished, left, stopped
	// DroppedUpTo is the highest number among the member's dropped runs
	// of the campaign (state.Member.RunsDropped).
	DroppedUpTo int `json:"dropped_up_to"`
}

// DroppedRun says what is still known of the run addr names,
// campaign.NAME[KEY], when the member has no run with that key but has
// had runs of the campaign dropped, or keeps the key: nil otherwise (a
// run kept, a campaign without dropped runs, another address). outcomes
// gives the member's outcomes, oldest first; it is called only then,
// and nil skips them.
func DroppedRun(m *state.Member, addr string, outcomes func() ([]state.Outcome, error)) (*Dropped, error) {
	kind, id, _ := strings.Cut(addr, ".")
	name, key, keyed := state.SplitRunID(id)
	kept, isKept := m.KeyEnded(name, key)
	if kind != "campaign" || !keyed || m.Campaigns[id] != nil || m.RunsDropped[name] == 0 && !isKept {
		return nil, nil
	}
	d := &Dropped{Run: id, DroppedUpTo: m.RunsDropped[name]}
	var outs []state.Outcome
	var err error
	if outcomes != nil {
		outs, err = outcomes()
	}
	// The latest run with the key: a key dropped, entered again and
	// dropped again has an enter and an exit for each.
	for _, o := range outs {
		if o.Kind != state.KindCampaign || o.Name != name || state.DetailKey(o.Detail) != key {
			continue
		}
		switch o.Change {
		case "enter":
			n := 0
			_, _ = fmt.Sscanf(state.DetailReason(o.Detail), "run %d", &n)
			*d = Dropped{Run: id, Found: true, Number: n, EnteredAt: o.At.UTC(), DroppedUpTo: d.DroppedUpTo}
		case "exit":
			d.Found, d.EndedAt, d.Reason = true, o.At.UTC(), state.DetailReason(o.Detail)
		}
	}
	// The kept record is the run's own, whatever the outcomes still
	// hold.
	if isKept {
		d.KeyKept, d.EndedAt, d.Reason = true, kept.At.UTC(), kept.Reason
	}
	return d, err
}

// EndedRuns is what retention left of a member's ended runs of a
// campaign with run_key: the keys it kept (reentry = "never"), the
// latest of them, and the highest number of the runs it dropped. With
// no run kept, it is what says the member did enter.
type EndedRuns struct {
	Campaign string `json:"campaign"`
	// KeysKept counts the keys kept of ended runs (state.Member.KeysEnded),
	// as campaign show's keys_kept does for all members.
	KeysKept      int             `json:"keys_kept"`
	LatestKeyKept *state.EndedKey `json:"latest_key_kept,omitempty"`
	// DroppedUpTo is as Dropped's: the highest number among the
	// member's dropped runs, counting those whose key was kept.
	DroppedUpTo int `json:"dropped_up_to"`
}

// EndedRunsOf says what retention left of the member's ended keyed runs
// of the campaign addr names, campaign.NAME: nil when it kept or dropped
// none, or for another address (a run's own, campaign.NAME[KEY], has
// Dropped).
func EndedRunsOf(m *state.Member, addr string) *EndedRuns {
	kind, id, _ := strings.Cut(addr, ".")
	if _, _, keyed := state.SplitRunID(id); kind != "campaign" || keyed {
		return nil
	}
	keys := m.KeysEnded[id]
	if len(keys) == 0 && m.RunsDropped[id] == 0 {
		return nil
	}
	e := &EndedRuns{Campaign: id, KeysKept: len(keys), DroppedUpTo: m.RunsDropped[id]}
	for i := range keys {
		if e.LatestKeyKept == nil || keys[i].At.After(e.LatestKeyKept.At) {
			k := keys[i]
			k.At = k.At.UTC()
			e.LatestKeyKept = &k
		}
	}
	return e
}

// addressesOf are the addresses of the blocks named name that why
// explains, for a bare name given where an address was wanted.
func (r *Runtime) addressesOf(name string) []string {
	var out []string
	for _, s := range r.cfg.Segments {
		if s.Name == name {
			out = append(out, "segment."+name)
		}
	}
	for _, t := range r.cfg.Tiers {
		if t.Name == name {
			out = append(out, "tier."+name)
		}
	}
	for _, b := range r.cfg.Badges {
		if b.Name == name {
			out = append(out, "badge."+name)
		}
	}
	for _, c := range r.cfg.Campaigns {
		if c.Name == name {
			out = append(out, "campaign."+name)
		}
	}
	if r.incentiveNamed(name) != nil {
		out = append(out, "incentive."+name)
	}
	return out
}
