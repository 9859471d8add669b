// Package simulate replays an event stream through a configuration in a
// sandbox: an in-memory store, no platform touched, nothing sent. It is
// what `hearth simulate` runs, and what tests use to check rules on real
// histories.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/stamp"
	"github.com/hearth-community/hearth/engine/state"
)

// MaxStaleCount bounds the members Summary.Stale counts.
const MaxStaleCount = 100000

// Schema names the version of the summary's JSON (simulate -json,
// replay -json): fields may be added within a version, never renamed or
// removed. testdata/simulate.schema.txt lists its field paths.
const Schema = "hearth.simulate/v1"

// Options control a replay.
type Options struct {
	// From and To bound the window the summary and Outcome cover; zero:
	// no bound. Events after To are skipped. Events before From are
	// applied all the same, through the same rules, to build the
	// members' state (a warm-up: a member's 30th post in the window is
	// their 30th, not their first), but what they do is neither counted
	// nor passed to Outcome; Cold skips them instead, as if the
	// community started at From.
	From, To time.Time
	Cold     bool
	// StepOrders are the campaigns' step orders the store's runs were
	// made under (config.StepOrders): a run on a step cfg removed goes on
	// to the step that followed it. nil: to the step now at its index.
	StepOrders config.StepOrders
	// Variants pins the A/B variant campaigns' splits give members:
	// member id -> campaign -> variant (runtime.PinVariants). Only hearth
	// test sets it; nil leaves every choice to the split's hash, as the
	// daemon does.
	Variants map[string]map[string]string
	// Received says when the sandbox receives the events with these ids,
	// where that is later than their time: events backdated, or posted
	// long after they happened, as a daemon would take them (a test
	// event's received). The sandbox's clock moves to that time before
	// the event is applied, at its own time as a late event, and the
	// sandbox's outbox delivers what it leads to from then on, where
	// its campaigns' quiet hours and expire_after may hold or skip it.
	// Stream events in the order they are received. Only the sandbox
	// delivers (Store).
	Received map[string]time.Time
	// PlatformCommunities, when set, lists the communities on the
	// platforms (state's), which the runtime moves members of a capacity
	// family into (runtime.SetPlatformCommunities): a replay into the
	// state sets it, as the daemon does.
	PlatformCommunities runtime.PlatformCommunities
	// RecheckUntil, when after the last event (and To), is the time the
	// time-based rules run up to after the events, as a daemon's timers
	// would have run them had it been running until then: hearth replay
	// -until. Zero: up to the last event (or To).
	RecheckUntil time.Time
	// Now and MaxAhead refuse events dated more than MaxAhead past Now,
	// as the daemon refuses them at its door (POST /v1/events answers
	// 422, reason future): each is a rejected line (BadEvent), its
	// line and why, and is not applied. Zero Now accepts every time (a
	// synthetic workload dated ahead: hearth simulate -allow-future).
	Now      time.Time
	MaxAhead time.Duration
	// ReplayedAt, when set, is the time a replay of these events into
	// the state would be made (hearth simulate passes the wall clock):
	// there the actions stay pending, for hearth run's outbox, which
	// delivers them from then on. The sends the sandbox delivers that
	// the outbox would skip as expired then are counted in
	// Summary.ExpiredIfReplayed. Only the sandbox delivers (Store).
	ReplayedAt time.Time
	// History applies the events to member state only
	// (runtime.SetHistory): a backfill of what happened before hearth
	// ran. No incentive, campaign entry, moderation, alert or action.
	History bool
	// Outcome receives every outcome as it happens; may be nil.
	Outcome func(state.Outcome) error
	// Progress is called now and then with the events read so far.
	Progress func(read int)
	// BadEvent receives events that could not be read; nil stops the
	// replay at the first one.
	BadEvent func(*events.Error)
	Log      *slog.Logger
	// Store is where state goes; nil means a fresh in-memory store (the
	// sandbox). `hearth replay` passes the durable store instead: the code
	// path is the same, so a simulation predicts exactly what a replay does.
	// Only the sandbox delivers what the rules queue, deciding each action
	// sent or skipped as the daemon's outbox would when it is due; in a
	// store passed here the actions stay pending, for the daemon's outbox.
	Store state.Store
	// BatchSize is how many events are committed together (default 1000).
	BatchSize int
	// Sort reads the whole stream into memory and replays its events
	// in time order (Sort), not in the order of the stream; Loading is
	// then called now and then with the events read so far.
	Sort    bool
	Loading func(read int)
}

// Summary is what a replay did.
type Summary struct {
	Schema string `json:"schema"`
	// Events are the events applied in the window; Warmup those before
	// Options.From applied only to build state (none with Cold).
	Events int `json:"events"`
	Warmup int `json:"warmup_events"`
	// Skipped are events outside the window and not applied: after
	// Options.To, and before Options.From with Options.Cold.
	Skipped    int `json:"skipped_out_of_range"`
	Duplicates int `json:"duplicates"`
	// TooOld are events from before the state's id horizon (see
	// hearth { state { event_id_retention } }): not applied.
	TooOld int `json:"too_old,omitempty"`
	// Suppressed are events of members who asked to be forgotten (hearth
	// member forget -suppress): not applied.
	Suppressed int `json:"suppressed,omitempty"`
	// Linked are events applied to the member one of their identities
	// belongs to (a Telegram event of a member imported with its
	// Telegram id); IdentityConflicts identities refused because another
	// member holds them, and events whose identities belong to several
	// members (see the log).
	Linked            int `json:"linked,omitempty"`
	IdentityConflicts int `json:"identity_conflicts,omitempty"`
	Rejected          int `json:"rejected"`
	// RejectedLines are the first MaxRejectedLines lines Rejected
	// counts: those that are not events, or whose attributes do not
	// have their declared types.
	RejectedLines []RejectedLine `json:"rejected_lines,omitempty"`
	// OutOfOrder is set when events of the stream are dated before an
	// event above them: replayed so, the result can differ from the
	// same events in time order (Options.Sort replays them in order).
	OutOfOrder *OutOfOrder `json:"out_of_order,omitempty"`
	// BeforeImport is set when events were applied to imported members
	// dated before their import (see BeforeImport).
	BeforeImport *BeforeImport `json:"before_import,omitempty"`
	// Stale counts, for hearth replay, the members of the store whose
	// rechecks fell due before the wall clock and have not run (the
	// replay runs them up to its last event, or -until), at most
	// MaxStaleCount; StaleSince is the earliest of those recheck times.
	Stale      int        `json:"stale_members,omitempty"`
	StaleSince stamp.Time `json:"stale_since,omitzero"`
	Members    int        `json:"members"`
	Rechecks   int        `json:"rechecks"`
	RuleErrors int        `json:"rule_errors"`
	// SendErrors are campaign sends not made because their message could
	// not be made (a template reading what the event lacks); each is
	// logged.
	SendErrors int `json:"send_errors"`
	// From and To are the window simulated: Options.From and Options.To
	// where set (time-based rules run up to To even after the last
	// event), else the first and the last event applied.
	From stamp.Time `json:"from,omitzero"`
	To   stamp.Time `json:"to,omitzero"`
	// Cold is set when the replay skipped the events before From
	// (Options.Cold) rather than warm up on them. FromGiven and ToGiven
	// say From and To are the options', not the events' times.
	Cold               bool           `json:"cold,omitempty"`
	FromGiven, ToGiven bool           `json:"-"`
	Firings            map[string]int `json:"firings"` // incentive -> grants, every incentive configured
	// Granted are the points of positive grants; Deducted those negative
	// grants took (a penalty, or a reward that costs points: hearth
	// report's deducted); Expired those taken back at their expiry.
	// Imported are the opening balances member.imported events brought
	// (hearth import members): not grants. Points is the net: Imported +
	// Granted - Deducted - Expired.
	Imported int            `json:"points_imported,omitempty"`
	Granted  int            `json:"points_granted"`
	Deducted int            `json:"points_deducted"`
	Expired  int            `json:"points_expired"`
	Points   int            `json:"points_net"`
	Badges   map[string]int `json:"badge_holders"` // badge -> members holding it at the end
	Awards   map[string]int `json:"badge_awards"`  // badge -> awards in the window
	// Tiers counts the members on each tier ("" none) at the end, those
	// who left not counted, as hearth report, GET /v1/population and the
	// hearth_tier_members gauge count them: they keep their tier for when
	// they come back, as they keep no segment. Left counts those.
	Tiers map[string]int `json:"tiers"`
	Left  int            `json:"left"` // members who have left at the end
	// Flapping are the tiers members moved back and forth on during the
	// replay: promoted to the tier again after a demotion from it.
	Flapping map[string]*Flapping `json:"flapping,omitempty"`
	Segments map[string]int       `json:"segments"` // segment -> members in it at the end
	// Sends counts the actions queued, by name, less those the outbox
	// would skip at delivery, counted in SkippedAtDelivery: a message to a
	// member who left, or came back to a win-back, by the time it is due,
	// or an email to one who unsubscribed from its platform by then. Only
	// the sandbox delivers (Options.Store).
	Sends             map[string]int `json:"sends"`
	SkippedAtDelivery map[string]int `json:"skipped_at_delivery,omitempty"`
	// ExpiredAtDelivery counts, of SkippedAtDelivery, the campaigns'
	// sends the outbox would skip because they were not delivered within
	// their campaign's expire_after of their time (delivered late: a
	// late event's, Options.Received). HeldAtDelivery counts the sends
	// whose delivery would fall inside their campaign's quiet hours, held
	// until they end (those still held at the end are in Sends, not yet
	// delivered).
	ExpiredAtDelivery map[string]int `json:"expired_at_delivery,omitempty"`
	HeldAtDelivery    map[string]int `json:"held_at_delivery,omitempty"`
	// ExpiredIfReplayed counts, of Sends, those a replay of the same
	// events into the state at ReplayedAt (Options.ReplayedAt) would
	// leave to hearth run's outbox to skip as expired, for the reason
	// SkippedAtDelivery's expired have ("expired: not sent within 1w of
	// its time ..."): the sandbox delivers at event time, a replay's
	// outbox at the wall clock. hearth replay's summary warns about the
	// same sends.
	// ReplayedAt is Options.ReplayedAt, when some send counts there.
	ExpiredIfReplayed map[string]int `json:"expired_if_replayed,omitempty"`
	ReplayedAt        stamp.Time     `json:"replayed_at,omitzero"`
	// History is set when the events were applied to member state only
	// (Options.History).
	History bool `json:"history,omitempty"`
	// Campaigns are funnels: entered, ended by reason, still active,
	// sends, and members per A/B variant.
	Campaigns map[string]*Funnel `json:"campaigns"`
	// Moderation counts decisions by rule and action, and the messages
	// each rule removed (MessagesRemoved); Alerts counts
	// alert firings, cool-down suppressions and resolutions by alert.
	// Every rule and alert configured has its counts, 0 or not.
	Moderation map[string]map[string]int `json:"moderation"`
	Alerts     map[string]map[string]int `json:"alerts"`
	// UnknownTypes counts the events (in range) of types that are neither
	// standard nor declared and that no rule reads: nothing hears them,
	// and a mistyped type ("mesage.posted") looks like this.
	UnknownTypes map[string]int `json:"unknown_types,omitempty"`
	// UnknownTypeSuggestions are the known types unknown ones look like
	// slips of ("mesage.posted": "message.posted"), for the
	// MaxSuggested unknown types with the most events.
	UnknownTypeSuggestions map[string]string `json:"unknown_type_suggestions,omitempty"`
	// AttrTypos are the attributes (in range) of events of standard or
	// declared types that the type does not declare and that look like
	// a typo of one it does, which the event lacks ("chanel" on a
	// message.posted without "channel"), the most events first.
	AttrTypos []AttrTypo `json:"attr_typos,omitempty"`
	// BadTimezones are the timezones (in range) of member.joined and
	// member.profile_updated events that are not IANA time zone names
	// the runtime loads, so it drops them and the member's quiet hours go
	// by the zone they had or the community's, the most events first.
	BadTimezones []BadTimezone `json:"bad_timezones,omitempty"`

	Store state.Store `json:"-"`
}

// MaxRejectedLines bounds Summary.RejectedLines: a file of the wrong
// kind would list every one of its lines.
const MaxRejectedLines = 100

// RejectedLine is a line of the stream that was not replayed, and why.
type RejectedLine struct {
	Line int `json:"line"`
	// Column is where malformed JSON stops being readable, from 1;
	// absent for every other problem.
	Column int    `json:"column,omitempty"`
	Error  string `json:"error"`
}

// Rejection is how a summary lists a line that is not an event.
func Rejection(e *events.Error) RejectedLine {
	return RejectedLine{Line: e.Line, Column: e.Column, Error: e.Problem()}
}

// Flapping is how members moved back and forth on one tier: each was
// demoted from it and promoted to it again, each return queueing its
// role's removal and its grant again. A keep stricter than when with
// nothing to hold a member (grace, demote_after) does it.
type Flapping struct {
	Members int `json:"members"` // members promoted to the tier again
	Returns int `json:"returns"` // promotions back to it, all members
	// Example is the member who came back most often (the first by id
	// among equals, numeric ids by value), and ExampleReturns how often.
	Example        string `json:"example"`
	ExampleReturns int    `json:"example_returns"`
	Hint           string `json:"hint"`
}

// flapKey is a member with one tier; flapState what the replay saw of
// them: demoted from it and not promoted back since, and how often they
// were promoted back.
type flapKey struct{ member, tier string }

type flapState struct {
	demoted bool
	returns int
}

// flaps follows tier outcomes for Summary.Flapping: an entry only for a
// member demoted from a tier, so the cost is a map lookup per tier move.
type flaps map[flapKey]flapState

func (f flaps) observe(o *state.Outcome) {
	switch o.Change {
	case "demote":
		if o.From != "" {
			k := flapKey{o.Member, o.From}
			s := f[k]
			s.demoted = true
			f[k] = s
		}
	case "promote":
		k := flapKey{o.Member, o.To}
		if s, ok := f[k]; ok && s.demoted {
			s.demoted = false
			s.returns++
			f[k] = s
		}
	}
}

// report fills sum.Flapping with the tiers members came back to.
func (f flaps) report(cfg *config.Config, sum *Summary) {
	for k, s := range f {
		if s.returns == 0 {
			continue
		}
		if sum.Flapping == nil {
			sum.Flapping = map[string]*Flapping{}
		}
		fl := sum.Flapping[k.tier]
		if fl == nil {
			fl = &Flapping{Hint: flapHint(cfg, k.tier)}
			sum.Flapping[k.tier] = fl
		}
		fl.Members++
		fl.Returns += s.returns
		if s.returns > fl.ExampleReturns || s.returns == fl.ExampleReturns && compareIDs(k.member, fl.Example) < 0 {
			fl.Example, fl.ExampleReturns = k.member, s.returns
		}
	}
}

// flapHint says what makes members flap on a tier and what stops it:
// hysteresis, a way back down harder than the way up.
func flapHint(cfg *config.Config, tier string) string {
	for _, t := range cfg.Tiers {
		if t.Name != tier {
			continue
		}
		switch {
		case t.Grace > 0 || t.DemoteAfter > 0:
			return "Grace or demote_after is shorter than the members' swings: lengthen it, or lower keep's threshold"
		case t.Keep == nil:
			// A tier may follow its when both ways on purpose (Stack
			// Exchange's privileges, recomputed from reputation): say
			// so, rather than call the design a mistake.
			return "With no keep, when decides staying too, so members at its threshold come and go with it. If the tier is meant to follow when both ways (a privilege recomputed from a score, say), that is expected; if not, add hysteresis (a keep with a lower threshold, grace or demote_after)"
		}
		return "A keep stricter than when, with no grace or demote_after, makes members flap: add hysteresis (a lower keep threshold, grace or demote_after)"
	}
	return "The tier is no longer in the configuration"
}

// Funnel is what happened in one campaign. Runs that ended are counted
// by their reason, as hearth campaign show counts them: goal (exit_when),
// exited (stop_when: no goal reached), finished (past the last step),
// left (the audience or the community) and stopped (the campaign was
// removed from the files, or an operator stopped it).
type Funnel struct {
	// CarriedIn are the runs under way when the window began (entered in
	// the warm-up before Options.From): they end in it, or stay active,
	// so CarriedIn + Entered = the runs ended + Active.
	CarriedIn int `json:"carried_in,omitempty"`
	Entered   int `json:"entered"`
	Goal      int `json:"goal"`
	Exited    int `json:"exited"`
	Finished  int `json:"finished"`
	Left      int `json:"left"`
	Stopped   int `json:"stopped"`
	// Converted is the runs among Goal that finished first and reached
	// the goal within the campaign's conversion_window of entering: each
	// counted once, in Goal and no longer in Finished.
	Converted int `json:"converted,omitempty"`
	// Removed marks a campaign the configuration does not have: a replay
	// into a store holding its runs stops them, counted here.
	Removed  bool `json:"removed,omitempty"`
	Active   int  `json:"active"`
	Sends    int  `json:"sends"`
	Deferred int  `json:"deferred"`
	// DeferredBy splits Deferred by what held the send: quiet_hours
	// and frequency_cap (state.HoldQuietHours, state.HoldFrequencyCap),
	// both present once anything was deferred.
	DeferredBy map[string]int `json:"deferred_by,omitempty"`
	// Skipped counts sends not made: skipped at their step (the member
	// unsubscribed or left, an until passed, a full frequency cap with
	// on_cap = "skip") or by the outbox at delivery (Summary.SkippedAtDelivery).
	Skipped int `json:"skipped"`
	// Refused counts entries with a new key turned away because the
	// member had max_runs runs under way (run_key).
	Refused  int            `json:"refused,omitempty"`
	Variants map[string]int `json:"variants,omitempty"` // members per A/B variant
	// Arms is the funnel of each A/B variant: the runs that were given
	// it, with every send of those runs, deferred and skipped ones too,
	// those before the split included.
	Arms map[string]*Funnel `json:"arms,omitempty"`
	// BeforeSplit, on a campaign with arms, is the runs no arm holds:
	// they ended (the goal reached while waiting before the split, say)
	// or still wait before the split gave them a variant, so that the
	// arms and it add up to the campaign's funnel.
	BeforeSplit *Funnel `json:"before_split,omitempty"`
	// Alpha, on a campaign with a goal and arms, is the p-value below
	// which an arm's difference from the control is called significant:
	// 0.05, or Bonferroni's 0.05 divided by the comparisons made.
	Alpha float64 `json:"alpha,omitempty"`
	// GoalRate, Lift and P are set on an arm of a campaign with a goal,
	// as hearth campaign show gives them: the share of the arm's runs
	// (Runs: carried in and entered, running ones not converted yet)
	// that reached the goal (absent without one), and against the
	// split's control (Control: its control attribute, else its first
	// variant; absent on it), the difference in that share and the
	// two-sided p-value of a two-proportion z-test, Significant when P
	// is below the campaign's Alpha.
	GoalRate    *float64 `json:"goal_rate,omitempty"`
	Control     bool     `json:"control,omitempty"`
	Lift        *float64 `json:"lift,omitempty"`
	P           *float64 `json:"p,omitempty"`
	Significant *bool    `json:"significant,omitempty"`
	// Comparison adds, on such an arm, the relative lift, the 95%
	// confidence interval of Lift and the small-sample mark, as
	// campaign show gives them.
	campaignstats.Comparison
}

// Ended is the runs that ended, for whatever reason.
func (f *Funnel) Ended() int { return f.CarriedIn + f.Entered - f.Active }

// Runs is every run counted: those carried in and those entered, ended
// or still running. A goal rate is of them (campaignstats.Arm).
func (f *Funnel) Runs() int { return f.CarriedIn + f.Entered }

// ArmOrder is the order of a split campaign's variants: the split's,
// then any the configuration no longer has, by name. The others are
// compared with the split's control (campaignstats.ControlIndex).
func ArmOrder(c *config.Campaign, f *Funnel) []string {
	var out []string
	for _, st := range c.Steps {
		for _, v := range st.Split {
			if f.Arms[v.Name] != nil && !slices.Contains(out, v.Name) {
				out = append(out, v.Name)
			}
		}
	}
	var rest []string
	for name := range f.Arms {
		if !slices.Contains(out, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// compareArms gives the arms of every campaign with a goal their goal
// rate and their comparison with the control, so a sandbox run tells a
// winner from noise as hearth campaign show does; and every campaign
// with arms the runs no arm holds (BeforeSplit).
func compareArms(cfg *config.Config, sum *Summary) {
	for _, c := range cfg.Campaigns {
		f := sum.Campaigns[c.Name]
		if f == nil || len(f.Arms) == 0 {
			continue
		}
		f.BeforeSplit = f.beforeSplit()
		if !c.HasGoal() {
			continue
		}
		order := ArmOrder(c, f)
		arms := make([]campaignstats.Arm, len(order))
		for i, name := range order {
			arms[i] = campaignstats.Arm{Goal: f.Arms[name].Goal, Runs: f.Arms[name].Runs()}
		}
		control := campaignstats.ControlIndex(c, order)
		against, alpha := campaignstats.CompareArms(arms, control)
		f.Alpha = alpha
		for i, name := range order {
			a := f.Arms[name]
			if a.Runs() > 0 {
				r := float64(a.Goal) / float64(a.Runs())
				a.GoalRate = &r
			}
			if i == control {
				a.Control = true
				continue
			}
			x := against[i]
			a.Lift, a.P, a.Comparison = &x.Lift, &x.P, x.Comparison
			if arms[i].Runs > 0 && arms[control].Runs > 0 {
				a.Significant = &x.Significant
			}
		}
	}
}

// beforeSplit is f less its arms: the runs the split gave no variant,
// with their sends. An arm counts nothing its campaign does not, but
// for runs a replay into a store found under way; none goes below 0.
func (f *Funnel) beforeSplit() *Funnel {
	b := *f
	b.Arms, b.Variants, b.DeferredBy, b.BeforeSplit, b.Removed, b.Refused = nil, nil, nil, nil, false, 0
	b.GoalRate, b.Lift, b.P, b.Significant, b.Alpha, b.Comparison = nil, nil, nil, nil, 0, campaignstats.Comparison{}
	for _, a := range f.Arms {
		b.CarriedIn -= a.CarriedIn
		b.Entered -= a.Entered
		b.Goal -= a.Goal
		b.Exited -= a.Exited
		b.Finished -= a.Finished
		b.Left -= a.Left
		b.Stopped -= a.Stopped
		b.Converted -= a.Converted
		b.Active -= a.Active
		b.Sends -= a.Sends
		b.Deferred -= a.Deferred
		b.Skipped -= a.Skipped
	}
	for _, n := range []*int{&b.CarriedIn, &b.Entered, &b.Goal, &b.Exited, &b.Finished, &b.Left, &b.Stopped, &b.Converted, &b.Active, &b.Sends, &b.Deferred, &b.Skipped} {
		*n = max(*n, 0)
	}
	return &b
}

// arm is the funnel of one variant, made on first use.
// deferred counts a send deferred by hold (state.HoldQuietHours or
// state.HoldFrequencyCap; "" for a detail this hearth cannot read,
// counted in Deferred alone).
func (f *Funnel) deferred(hold string) {
	f.Deferred++
	if f.DeferredBy == nil {
		f.DeferredBy = map[string]int{state.HoldQuietHours: 0, state.HoldFrequencyCap: 0}
	}
	if hold != "" {
		f.DeferredBy[hold]++
	}
}

// armNamed is the funnel of the variant, nil for none or one never
// counted.
func armNamed(f *Funnel, variant string) *Funnel {
	if variant == "" {
		return nil
	}
	return f.Arms[variant]
}

func (f *Funnel) arm(variant string) *Funnel {
	if f.Arms == nil {
		f.Arms = map[string]*Funnel{}
	}
	a := f.Arms[variant]
	if a == nil {
		a = &Funnel{}
		f.Arms[variant] = a
	}
	return a
}

// armRun is where a member's run of a split campaign is: its variant once
// chosen, and the sends it made, deferred (by what held them) and
// skipped before.
type armRun struct {
	variant  string
	carried  bool // under way when the window began
	sends    int
	skipped  int
	deferred []string
}

// unsend takes back a send the outbox skips at delivery from the funnels
// that counted it, and counts it skipped.
func (q *queued) unsend() {
	if q.funnel == nil {
		return
	}
	q.funnel.Sends--
	q.funnel.Skipped++
	switch {
	case q.arm != nil:
		q.arm.Sends--
		q.arm.Skipped++
	case q.run != nil && q.run.variant != "":
		// Counted for the variant at the split, as a send before it.
		a := q.funnel.arm(q.run.variant)
		a.Sends--
		a.Skipped++
	case q.run != nil:
		// Still before the split: the variant takes it when chosen,
		// and BeforeSplit keeps it if none ever is.
		q.run.sends--
		q.run.skipped++
	}
}

// futureError refuses an event at at dated more than maxAhead past now,
// in the words of the daemon's refusal.
func futureError(at, now time.Time, maxAhead time.Duration) error {
	ahead := at.Sub(now)
	if ahead <= maxAhead {
		return nil
	}
	return fmt.Errorf("event at %s is %s in the future; the clock says %s; at most %s ahead is accepted, as POST /v1/events accepts",
		at.UTC().Format(time.RFC3339), durations.Roughly(ahead), now.UTC().Format(time.RFC3339), durations.Roughly(maxAhead))
}

// Run replays events from r through cfg.
func Run(ctx context.Context, cfg *config.Config, r io.Reader, opt Options) (*Summary, error) {
	var store state.Store
	var dl *delivery // the sandbox's outbox; nil for a store of the caller's
	if opt.Store != nil {
		store = opt.Store
	} else {
		mem := state.NewMemory()
		store, dl = mem, newDelivery(mem, cfg)
	}
	// last is the time the replay stands at: the latest event time
	// applied, which an event from before it does not move back.
	var last time.Time
	rt := runtime.New(cfg, opt.Log)
	rt.SetStepOrders(opt.StepOrders)
	rt.PinVariants(opt.Variants)
	rt.SetHistory(opt.History)
	if opt.PlatformCommunities != nil {
		rt.SetPlatformCommunities(opt.PlatformCommunities)
	}
	sum := &Summary{Schema: Schema, Firings: map[string]int{}, Badges: map[string]int{}, Awards: map[string]int{},
		Tiers: map[string]int{}, Segments: map[string]int{}, Sends: map[string]int{}, Store: store,
		Campaigns: map[string]*Funnel{}, Moderation: map[string]map[string]int{}, Alerts: map[string]map[string]int{}}
	// counting is off in the warm-up, before the window: outcomes build
	// state and are neither counted nor passed on. warm holds the
	// runtime's counts of the warm-up, taken off its totals at the end;
	// warmFrom its counts when the warm-up (re)started.
	counting := opt.From.IsZero() || opt.Cold
	windowStarted := counting
	var warm, warmFrom runtime.Stats
	setCounting := func(on bool) {
		if on == counting {
			return
		}
		st := rt.Stats()
		if on {
			warm.Events += st.Events - warmFrom.Events
			warm.Rechecks += st.Rechecks - warmFrom.Rechecks
			if warm.Firings == nil {
				warm.Firings = map[string]int{}
			}
			for k, v := range st.Firings {
				warm.Firings[k] += v - warmFrom.Firings[k]
			}
		} else {
			warmFrom = st
		}
		counting = on
	}
	// Runs of campaigns with a split, by campaign and member, while they
	// go on: their outcomes count for their variant too.
	arms := map[string]map[string]*armRun{}
	for _, c := range cfg.Campaigns {
		sum.Campaigns[c.Name] = &Funnel{Variants: map[string]int{}}
		for _, st := range c.Steps {
			if len(st.Split) > 0 {
				arms[c.Name] = map[string]*armRun{}
			}
		}
	}
	// runOf is the member's run of a split campaign, nil for a campaign
	// with no split.
	runOf := func(campaign, member, key string) *armRun {
		runs := arms[campaign]
		if runs == nil {
			return nil
		}
		// A member has a run per key in a campaign with run_key.
		id := member + "\x00" + key
		r := runs[id]
		if r == nil { // entered before the events replayed here
			r = &armRun{}
			runs[id] = r
		}
		return r
	}
	// armOf is the member's run of a split campaign and its variant's
	// funnel (nil before the split).
	armOf := func(f *Funnel, campaign, member, key string) (*armRun, *Funnel) {
		r := runOf(campaign, member, key)
		if r == nil || r.variant == "" {
			return r, nil
		}
		return r, f.arm(r.variant)
	}
	heard := heardTypes(cfg)
	typos := newAttrTypoCounter(cfg)
	var badZones BadTimezones
	flapped := flaps{}
	// warmUp follows what the warm-up's outcomes do to the sandbox's
	// outbox and to the runs of split campaigns, counting nothing.
	warmUp := func(o state.Outcome) {
		switch o.Kind {
		case state.KindAction:
			if o.Change == "queue" && dl != nil {
				q := &queued{o: o, at: o.At, warm: true}
				if last.After(q.at) {
					q.at = last
				}
				dl.queued[o.Detail] = q
			}
		case state.KindCampaign:
			key := state.DetailKey(o.Detail)
			switch o.Change {
			case "enter":
				if r := runOf(o.Name, o.Member, key); r != nil {
					*r = armRun{}
				}
			case "exit":
				if arms[o.Name] != nil {
					delete(arms[o.Name], o.Member+"\x00"+key)
				}
			case "variant":
				if r := runOf(o.Name, o.Member, key); r != nil {
					r.variant = state.DetailReason(o.Detail)
				}
			}
		}
	}
	emit := func(os []state.Outcome) error {
		for _, o := range os {
			if !counting {
				warmUp(o)
				continue
			}
			switch o.Kind {
			case state.KindTier:
				flapped.observe(&o)
			case state.KindPoints:
				sum.Points += o.Points
				switch {
				case o.Change == "expire":
					sum.Expired -= o.Points
				case o.Change == state.ChangeImport:
					sum.Imported += o.Points
				case o.Points > 0:
					sum.Granted += o.Points
				default:
					sum.Deducted -= o.Points
				}
			case state.KindBadge:
				if o.Change == "award" {
					sum.Awards[o.Name]++
				}
			case state.KindAction:
				if o.Change == "skip" && o.Name == "moderation.delete" {
					// A removal the event could not carry out: no post_id.
					countRemovedAs(sum, o.Rule, MessagesNotRemoved)
				}
				if o.Change == "queue" {
					sum.Sends[o.Name]++
					if o.Name == "moderation.delete" {
						countRemoved(sum, o.Rule)
					}
					var q *queued
					if dl != nil {
						// Delivered once every event of its time is in.
						q = &queued{o: o, at: o.At}
						if last.After(q.at) {
							q.at = last
						}
						dl.queued[o.Detail] = q
					}
					name, ok := strings.CutPrefix(o.Rule, "campaign.")
					if f := sum.Campaigns[name]; ok && f != nil {
						f.Sends++
						r, a := armOf(f, name, o.Member, sendKey(o.Detail))
						if a != nil {
							a.Sends++
						} else if r != nil {
							r.sends++
						}
						if q != nil {
							q.funnel, q.arm, q.run = f, a, r
						}
					}
				}
			case state.KindModeration, state.KindAlert:
				tally(sum, o)
			case state.KindCampaign:
				if sum.Campaigns[o.Name] == nil && o.Change == "exit" {
					// A run of a campaign removed from the files, in a
					// store that held it: it stops, and the summary says so.
					sum.Campaigns[o.Name] = &Funnel{Removed: true, Variants: map[string]int{}}
				}
				if f := sum.Campaigns[o.Name]; f != nil {
					r, a := armOf(f, o.Name, o.Member, state.DetailKey(o.Detail))
					switch o.Change {
					case "enter":
						f.Entered++
						if r != nil {
							*r = armRun{}
						}
					case "exit":
						for _, f := range []*Funnel{f, a} {
							if f == nil {
								continue
							}
							switch state.DetailReason(o.Detail) {
							case "goal":
								f.Goal++
							case "exited":
								f.Exited++
							case "left":
								f.Left++
							case "stopped":
								f.Stopped++
							default: // "finished", and any reason this hearth does not know
								f.Finished++
							}
						}
						if r != nil {
							delete(arms[o.Name], o.Member+"\x00"+state.DetailKey(o.Detail))
						}
					case "convert":
						// A finished run reached the goal within its
						// conversion window: it moves from finished to
						// goal, in its variant's funnel too (to names
						// it; the run left arms when it finished).
						for _, f := range []*Funnel{f, armNamed(f, o.To)} {
							if f != nil {
								// A run that finished before a replay into
								// a store is in no count of this one.
								f.Finished = max(f.Finished-1, 0)
								f.Goal++
								f.Converted++
							}
						}
					case "defer":
						_, hold, _ := runtime.StepHold(state.DetailReason(o.Detail))
						f.deferred(hold)
						if a != nil {
							a.deferred(hold)
						} else if r != nil {
							r.deferred = append(r.deferred, hold)
						}
					case "skip":
						f.Skipped++
						if a != nil {
							a.Skipped++
						} else if r != nil {
							r.skipped++
						}
					case "refused":
						f.Refused++
					case "variant":
						v := state.DetailReason(o.Detail)
						f.Variants[v]++
						if r != nil {
							r.variant = v
							a = f.arm(v)
							if r.carried {
								a.CarriedIn++
							} else {
								a.Entered++
							}
							a.Sends += r.sends
							a.Skipped += r.skipped
							for _, hold := range r.deferred {
								a.deferred(hold)
							}
						}
					}
				}
			}
			if opt.Outcome != nil {
				if err := opt.Outcome(o); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var reader Source
	var order *OrderCheck // of a stream replayed as it comes
	var beforeImp beforeImportCheck
	if opt.Sort {
		sorted, err := Sort(r, opt.Loading)
		if err != nil {
			return sum, err
		}
		reader, sum.OutOfOrder = sorted, sorted.OutOfOrder()
	} else {
		reader, order = events.NewReader(r), &OrderCheck{}
	}
	// reject counts a line that is not replayed and passes it on; an
	// error when no one takes it.
	reject := func(bad *events.Error) error {
		sum.Rejected++
		if len(sum.RejectedLines) < MaxRejectedLines {
			sum.RejectedLines = append(sum.RejectedLines, Rejection(bad))
		}
		if opt.BadEvent == nil {
			return bad
		}
		opt.BadEvent(bad)
		return nil
	}
	batchSize := opt.BatchSize
	if batchSize <= 0 {
		batchSize = 1000
	}
	var b state.Batch
	inBatch := 0
	defer func() {
		if b != nil { // an error left a batch open: nothing of it is kept
			_ = b.Rollback()
		}
	}()
	// Batches commit in the background where the store can: the next
	// batch is built while the last one is written.
	var asyncMu sync.Mutex
	var asyncErr error
	commit := func() error {
		if b == nil {
			return nil
		}
		cur := b
		b, inBatch = nil, 0
		if ab, ok := cur.(state.AsyncBatch); ok {
			ab.CommitAsync(func(err error) {
				asyncMu.Lock()
				if asyncErr == nil {
					asyncErr = err
				}
				asyncMu.Unlock()
			})
			asyncMu.Lock()
			defer asyncMu.Unlock()
			return asyncErr
		}
		return cur.Commit()
	}
	begin := func() error {
		if b != nil {
			return nil
		}
		var err error
		b, err = store.Begin(ctx)
		return err
	}
	recheck := func(t time.Time) error {
		for {
			if err := begin(); err != nil {
				return err
			}
			_, alerts, err := rt.CheckAlerts(ctx, b, t)
			if err != nil {
				return err
			}
			if err := emit(alerts); err != nil {
				return err
			}
			n, outs, err := rt.Recheck(ctx, b, t, 1000)
			if err != nil {
				return err
			}
			if err := emit(outs); err != nil {
				return err
			}
			// Rechecks become visible (and reschedule) only on commit.
			if err := commit(); err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
		}
	}
	// nothingDue opens a batch if none is open and asks it whether no
	// member can be due by t; false when the store cannot tell.
	nothingDue := func(t time.Time) (bool, error) {
		fresh := b == nil
		if err := begin(); err != nil {
			return false, err
		}
		p, ok := b.(state.DueProber)
		if !ok {
			if fresh { // opened only to ask: nothing to commit
				_ = b.Rollback()
				b = nil
			}
			return false, nil
		}
		due, err := p.DueBy(t)
		return !due, err
	}
	count := func(m *map[string]int, kind string) {
		if *m == nil {
			*m = map[string]int{}
		}
		(*m)[kind]++
	}
	hooks := deliveryHooks{
		skip: func(q *queued, a state.Action, reason string, expired bool) error {
			if q.warm {
				return nil
			}
			if sum.Sends[a.Kind]--; sum.Sends[a.Kind] <= 0 {
				delete(sum.Sends, a.Kind)
			}
			count(&sum.SkippedAtDelivery, a.Kind)
			if expired {
				count(&sum.ExpiredAtDelivery, a.Kind)
			}
			q.unsend()
			if opt.Outcome == nil {
				return nil
			}
			// The queue outcome's rule, event, variant and target, at the
			// time the outbox skips it; the detail is the action's key and why.
			return opt.Outcome(state.Outcome{Kind: state.KindAction, Member: a.Member, Name: a.Kind, Change: "skip", At: q.at,
				Rule: q.o.Rule, Event: q.o.Event, From: q.o.From, To: q.o.To, Detail: a.Key + ": " + reason})
		},
		hold: func(q *queued, a state.Action, reason string, until time.Time) error {
			if q.warm {
				return nil
			}
			if !q.held {
				q.held = true
				count(&sum.HeldAtDelivery, a.Kind)
			}
			if opt.Outcome == nil {
				return nil
			}
			return opt.Outcome(state.Outcome{Kind: state.KindAction, Member: a.Member, Name: a.Kind, Change: "defer", At: q.at,
				Rule: q.o.Rule, Event: q.o.Event, From: q.o.From, To: q.o.To, Detail: a.Key + ": " + reason + ", until " + until.UTC().Format(time.RFC3339)})
		},
		sent: func(q *queued, a state.Action) {
			if !q.warm && !opt.ReplayedAt.IsZero() && dl.expiresAt(a, opt.ReplayedAt) {
				count(&sum.ExpiredIfReplayed, a.Kind)
			}
		},
	}
	// deliver decides the actions queued so far whose time is at or
	// before until, as the outbox would: called once time has moved
	// past them, with what they were queued by committed.
	deliver := func(until time.Time) error {
		if dl == nil || len(dl.queued) == 0 {
			return nil
		}
		if err := commit(); err != nil {
			return err
		}
		return dl.deliver(ctx, until, hooks)
	}
	// startWindow ends the warm-up: what was due before the window runs
	// (uncounted), the runs under way are counted as carried in, and
	// from here on outcomes count.
	startWindow := func() error {
		windowStarted = true
		if pre := opt.From.Add(-time.Nanosecond); !last.IsZero() && pre.After(last) {
			if err := deliver(last); err != nil {
				return err
			}
			if err := recheck(pre); err != nil {
				return err
			}
			last = pre
		}
		if err := commit(); err != nil {
			return err
		}
		for _, runs := range arms {
			for _, r := range runs {
				r.carried = true
			}
		}
		err := store.Members(ctx, func(m *state.Member) error {
			for id, run := range m.Campaigns {
				if f := sum.Campaigns[state.RunCampaign(id)]; f != nil && run.Active() {
					f.CarriedIn++
					if run.Variant != "" {
						f.arm(run.Variant).CarriedIn++
					}
				}
			}
			return nil
		})
		setCounting(true)
		return err
	}
	read := 0
	var view map[string]any // the attribute check's scratch space
	for {
		ev, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		read++
		if opt.Progress != nil && read%10000 == 0 {
			opt.Progress(read)
		}
		var bad *events.Error
		if errors.As(err, &bad) {
			if err := reject(bad); err != nil {
				return sum, err
			}
			continue
		}
		if err != nil {
			return sum, err
		}
		if !opt.Now.IsZero() {
			if err := futureError(ev.At, opt.Now, opt.MaxAhead); err != nil {
				if err := reject(&events.Error{Index: read - 1, Line: reader.Line(), ID: ev.ID, Err: err}); err != nil {
					return sum, err
				}
				continue
			}
		}
		if order != nil {
			order.See(reader.Line(), ev.At)
		}
		if et, declared := cfg.EventTypes[ev.Type]; declared && len(ev.Attrs) > 0 {
			// An attribute of the wrong type is refused here as the
			// daemon refuses it at its door, so a replay counts what a
			// live run would: nothing of the event.
			if view == nil {
				view = make(map[string]any, len(et.Attrs)+5)
			}
			if _, err := events.RuleViewInto(view, &ev, &et); err != nil {
				if err := reject(&events.Error{Index: read - 1, Line: reader.Line(), Err: err}); err != nil {
					return sum, err
				}
				continue
			}
		}
		if err := runtime.CheckImported(cfg, &ev); err != nil {
			// Refused whole, as the daemon refuses it at its door.
			if err := reject(&events.Error{Index: read - 1, Line: reader.Line(), ID: ev.ID, Err: err}); err != nil {
				return sum, err
			}
			continue
		}
		before := !opt.From.IsZero() && ev.At.Before(opt.From)
		if (before && opt.Cold) || (!opt.To.IsZero() && ev.At.After(opt.To)) {
			sum.Skipped++
			continue
		}
		switch {
		case before:
			// Warm-up; one further down a file out of order too.
			sum.Warmup++
			setCounting(false)
		case !windowStarted:
			if err := startWindow(); err != nil {
				return sum, err
			}
		default:
			setCounting(true)
		}
		// The time the sandbox takes the event in: its own, or when it
		// is received, for one received late.
		now := ev.At
		if r, ok := opt.Received[ev.ID]; ok && r.After(now) {
			now = r
		}
		if now.After(last) {
			// Time moved on: what was queued before is delivered, every
			// event of its time in.
			if err := deliver(last); err != nil {
				return sum, err
			}
			// Run what became due before this event. A
			// store that can tell nothing is due keeps the batch open
			// (rechecks see only committed members, so running them
			// means committing first); the alerts are looked at either way.
			quiet, err := nothingDue(now)
			if err != nil {
				return sum, err
			}
			if quiet {
				_, alerts, err := rt.CheckAlerts(ctx, b, now)
				if err != nil {
					return sum, err
				}
				if err := emit(alerts); err != nil {
					return sum, err
				}
			} else {
				if err := commit(); err != nil {
					return sum, err
				}
				if err := recheck(now); err != nil {
					return sum, err
				}
			}
			last = now
		}
		if !heard[ev.Type] {
			if sum.UnknownTypes == nil {
				sum.UnknownTypes = map[string]int{}
			}
			sum.UnknownTypes[ev.Type]++
		}
		typos.see(ev.Type, ev.Attrs)
		badZones.see(ev.Type, ev.Attrs)
		if err := begin(); err != nil {
			return sum, err
		}
		if err := beforeImp.see(b, &ev); err != nil {
			return sum, err
		}
		res, err := rt.Apply(ctx, b, &ev)
		if err != nil {
			return sum, err
		}
		if err := emit(res.Outcomes); err != nil {
			return sum, err
		}
		if dl != nil && !res.Duplicate && !res.TooOld && !res.Suppressed {
			if err := dl.observe(b, ev.Member.ID, last); err != nil {
				return sum, err
			}
		}
		if counting {
			if sum.From.IsZero() || ev.At.Before(sum.From.Time) {
				sum.From = stamp.Of(ev.At)
			}
			if ev.At.After(sum.To.Time) {
				sum.To = stamp.Of(ev.At)
			}
		}
		if inBatch++; inBatch >= batchSize {
			if err := commit(); err != nil {
				return sum, err
			}
		}
	}
	if order != nil {
		sum.OutOfOrder = order.Report()
	}
	if err := commit(); err != nil {
		return sum, err
	}
	if f, ok := store.(state.Flusher); ok {
		if err := f.Flush(ctx); err != nil {
			return sum, err
		}
	}
	// A window no event fell in still starts: its runs carried in and
	// what came due in it count.
	if !windowStarted {
		if err := startWindow(); err != nil {
			return sum, err
		}
	}
	setCounting(true)
	if !opt.From.IsZero() {
		sum.From, sum.FromGiven, sum.Cold = stamp.Of(opt.From), true, opt.Cold
	}
	if !opt.To.IsZero() {
		sum.To, sum.ToGiven = stamp.Of(opt.To), true
	}
	// Time-based rules run up to the end: To, or the time the sandbox
	// stands at when an event was received after it (Received), or
	// RecheckUntil, whichever is latest.
	end := latest(latest(last, sum.To.Time), opt.RecheckUntil)
	if !end.IsZero() {
		if err := recheck(end); err != nil {
			return sum, err
		}
	}
	// Sends held past the end stay pending, as in an outbox then.
	if err := deliver(end); err != nil {
		return sum, err
	}
	if dl != nil && !opt.ReplayedAt.IsZero() {
		// Replayed, those still pending go at the wall clock too.
		dl.pending(hooks.sent)
		if len(sum.ExpiredIfReplayed) > 0 {
			// Only then: the wall clock would make every summary differ.
			sum.ReplayedAt = stamp.Of(opt.ReplayedAt)
		}
	}
	sum.History = opt.History
	sum.BeforeImport = beforeImp.result()
	st := rt.Stats()
	// Rechecks counted by the runtime include those run before a member's
	// own event, so the figure does not depend on commit timing.
	// What the warm-up did is not the window's; the problems (rule
	// errors, duplicates ...) count in full, as the log has them all.
	sum.Events, sum.Duplicates, sum.RuleErrors, sum.Rechecks, sum.TooOld = st.Events-warm.Events, st.Duplicates, st.RuleErrors, st.Rechecks-warm.Rechecks, st.TooOld
	sum.Suppressed, sum.SendErrors = st.Suppressed, st.SendErrors
	sum.Linked, sum.IdentityConflicts = st.Linked, st.IdentityConflicts
	sum.Rejected += st.Suppressed
	// Every block configured is listed, 0 or not: 0 is not "not configured".
	for _, in := range cfg.Incentives {
		sum.Firings[in.Name] = 0
	}
	for k, v := range st.Firings {
		if n := v - warm.Firings[k]; n != 0 {
			sum.Firings[k] = n
		}
	}
	for _, b := range cfg.Badges {
		sum.Badges[b.Name] = 0 // counted from the members below
		sum.Awards[b.Name] += 0
	}
	zeros := func(m map[string]map[string]int, name string, keys ...string) {
		if m[name] == nil {
			m[name] = map[string]int{}
		}
		for _, k := range keys {
			m[name][k] += 0
		}
	}
	for _, c := range cfg.Communities {
		for _, m := range c.Moderation {
			zeros(sum.Moderation, m.Name, ModerationKeys()...)
		}
	}
	for _, a := range cfg.Alerts {
		zeros(sum.Alerts, a.Name, AlertKeys()...)
	}
	for _, t := range cfg.Tiers {
		sum.Tiers[t.Name] = 0
	}
	for _, s := range cfg.Segments {
		sum.Segments[s.Name] = 0
	}
	err := store.Members(ctx, func(m *state.Member) error {
		sum.Members++
		if m.Left {
			sum.Left++
		} else {
			sum.Tiers[m.Tier.Name]++
		}
		for s := range m.Segments {
			sum.Segments[s]++
		}
		for id, run := range m.Campaigns {
			if f := sum.Campaigns[state.RunCampaign(id)]; f != nil && run.Active() {
				f.Active++
				if run.Variant != "" {
					f.arm(run.Variant).Active++
				}
			}
		}
		for name, h := range m.Badges {
			if h.Count > 0 {
				sum.Badges[name]++
			}
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	compareArms(cfg, sum)
	suggestTypes(cfg, sum)
	sum.AttrTypos = typos.List()
	sum.BadTimezones = badZones.List()
	flapped.report(cfg, sum)
	return sum, nil
}

// MaxSuggested bounds the unknown types a summary looks for a known type
// like: a file making up a type per event could have millions.
const MaxSuggested = 100

// suggestTypes fills UnknownTypeSuggestions.
func suggestTypes(cfg *config.Config, sum *Summary) {
	types := ByCount(sum.UnknownTypes)
	for _, t := range types[:min(len(types), MaxSuggested)] {
		if s := cfg.LikelyEventType(t); s != "" {
			if sum.UnknownTypeSuggestions == nil {
				sum.UnknownTypeSuggestions = map[string]string{}
			}
			sum.UnknownTypeSuggestions[t] = s
		}
	}
}

// ByCount returns the keys of a count map, the largest count first, then
// by name.
func ByCount(m map[string]int) []string {
	out := Names(m)
	sort.SliceStable(out, func(i, j int) bool { return m[out[i]] > m[out[j]] })
	return out
}

// heardTypes are the event types a configuration knows: the standard
// ones, the declared ones and those its rules read.
func heardTypes(cfg *config.Config) map[string]bool {
	heard := make(map[string]bool, len(cfg.EventTypes))
	for name := range cfg.EventTypes {
		heard[name] = true
	}
	for _, r := range cfg.Rules {
		if r.Program != nil {
			for _, t := range r.Program.Reads.EventTypes {
				heard[t] = true
			}
		}
	}
	return heard
}

// Names returns the sorted keys of a count map, for printing.
func Names(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tally counts a moderation decision or an alert transition.
func tally(sum *Summary, o state.Outcome) {
	m := &sum.Moderation
	if o.Kind == state.KindAlert {
		m = &sum.Alerts
	}
	if *m == nil {
		*m = map[string]map[string]int{}
	}
	if (*m)[o.Name] == nil {
		(*m)[o.Name] = map[string]int{}
	}
	(*m)[o.Name][o.Change]++
}

// ModerationKeys and AlertKeys are the counts a summary gives every
// moderation rule and alert configured, 0 where nothing happened.
func ModerationKeys() []string {
	return []string{"flag", "warn", "mute", "remove", "kick", "ban", MessagesRemoved, MessagesNotRemoved}
}

// AlertKeys: see ModerationKeys.
func AlertKeys() []string { return []string{"fire", "suppressed", "resolved"} }

// MessagesRemoved is the key of Summary.Moderation's count of the
// messages a rule removed: its decisions with action "remove" and those
// of a rule with delete = true, whatever their action; each is one
// moderation.delete in the outbox. The other keys are actions.
const MessagesRemoved = "messages_removed"

// MessagesNotRemoved is the key of Summary.Moderation's count of the
// messages a rule would have removed but could not: the event had no
// post_id to delete (runtime.NoPostID).
const MessagesNotRemoved = "messages_not_removed"

// countRemoved counts a queued moderation.delete against the rule at
// address (community.C.moderation.R): the decision's action alone says
// flag or warn for a rule with delete = true, which removes the message
// too.
func countRemoved(sum *Summary, address string) { countRemovedAs(sum, address, MessagesRemoved) }

// countRemovedAs counts a removal against the rule at address under key.
func countRemovedAs(sum *Summary, address, key string) {
	i := strings.LastIndex(address, ".moderation.")
	if i < 0 {
		return
	}
	tally(sum, state.Outcome{Kind: state.KindModeration, Name: address[i+len(".moderation."):], Change: key})
}

// sendKey is the run key in a campaign send's outbox key
// (campaign/NAME[KEY]/member/...), "" for a run without one.
func sendKey(outboxKey string) string {
	rest, ok := strings.CutPrefix(outboxKey, "campaign/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	_, key, _ := state.SplitRunID(id)
	k, err := url.PathUnescape(key)
	if err != nil {
		return ""
	}
	return k
}

// latest is the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
