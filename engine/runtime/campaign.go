package runtime

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/templates"
)

// maxStepsPerAdvance bounds how many steps one member may pass through at
// one instant (validate refuses loops without a wait; this is a backstop).
const maxStepsPerAdvance = 64

const (
	runActive = "active"
	runDone   = "done"
)

// campaignEvent enrolls or removes the member on the event: enter_on
// types, and segment.entered / segment.left for audience campaigns.
func (r *Runtime) campaignEvent(w *work, m *state.Member, ev *events.Event, view map[string]any) {
	for _, c := range r.cfg.Campaigns {
		if c.Community != nil && ev.Community != "" && !r.inFamily(ev.Community, c.Community) {
			continue
		}
		// With run_key, an event with the key of a run under way is news
		// of that run's meetup (a changed RSVP): it becomes the run's
		// event, paused or not, and starts nothing.
		key, keyed := "", false
		if c.RunKey != nil && view != nil && slices.Contains(c.EnterOn, ev.Type) && m.ActiveRuns(c.Name) > 0 {
			k, ok := r.runKey(w, m, c, ev, view)
			if !ok || r.follow(w, m, c, k, view, ev.At) {
				continue
			}
			key, keyed = k, true
		}
		leaving := c.Audience != nil && c.ExitOnLeave && ev.Type == "segment.left" && ev.Attrs["segment"] == c.Audience.Name
		if c.Paused {
			// Nobody enters a paused campaign; leaving its audience still
			// ends a run, or the member would go on at the resume.
			if leaving {
				r.endRuns(w, m, c, ev.At, ev.ID, "left")
			}
			continue
		}
		switch {
		case slices.Contains(c.EnterOn, ev.Type):
			if c.EnterWhen != nil {
				r.bind(w, m, view, ev, ev.At)
				if !r.ruleBool(c.EnterWhen, "campaign", c.Name, "enter_when") {
					continue
				}
			}
			if keyed {
				r.enrollKey(w, m, c, ev, view, key)
			} else {
				r.enroll(w, m, c, ev, view)
			}
		// A scheduled campaign's members enter at its occurrences
		// (broadcast), not on entering its audience.
		case c.Audience != nil && c.Schedule == nil && ev.Type == "segment.entered" && ev.Attrs["segment"] == c.Audience.Name:
			r.enroll(w, m, c, ev, nil)
		case leaving:
			r.endRuns(w, m, c, ev.At, ev.ID, "left")
		}
	}
}

// audiencesOnMove enrolls a member who has just come back to the
// community, or left it, in the audience campaigns now for them whose
// segment they are in (settled, so a segment they drop out of on coming
// back takes no one in). They heard no segment.entered for it: they were
// in the segment all along, or entered it while the campaign was not for
// them. reentry applies to one whose earlier run ended on leaving.
func (r *Runtime) audiencesOnMove(w *work, m *state.Member, ev *events.Event) {
	for _, c := range r.cfg.Campaigns {
		// A campaign for all members took them in on entering the
		// segment, and moving ended no run of it.
		if c.Audience == nil || c.Schedule != nil || c.Paused || c.Members == config.MembersAll || !c.For(m.Left) {
			continue
		}
		if c.Community != nil && ev.Community != "" && !r.inFamily(ev.Community, c.Community) {
			continue
		}
		if _, in := m.Segments[c.Audience.Name]; in {
			r.enroll(w, m, c, ev, nil)
		}
	}
}

// endRuns ends every active run of the campaign the member has.
func (r *Runtime) endRuns(w *work, m *state.Member, c *config.Campaign, at time.Time, event, reason string) {
	if !m.HasKeyedRuns() {
		if run := m.Campaigns[c.Name]; run.Active() {
			r.endRun(w, m, c, run, at, event, reason)
		}
		return
	}
	for _, run := range m.Runs(c.Name) {
		if run.Active() {
			r.endRun(w, m, c, run, at, event, reason)
		}
	}
}

// dropRuns removes the member's ended keyed runs no rule needs any more,
// so a member entering a campaign with run_key once per meetup for years
// does not keep a run per meetup for ever. A run goes once it ended
// longer ago than keepRun says; its number stays in RunsDropped, so the
// same key entering again gets outbox keys of its own. With reentry =
// "never" the key is what refuses it again: the run is made compact
// (state.Member.CompactRun), its key kept with when and how it ended.
func (r *Runtime) dropRuns(w *work, m *state.Member, now time.Time) {
	if !m.HasKeyedRuns() {
		return
	}
	for id, run := range m.Campaigns {
		name, _, keyed := state.SplitRunID(id)
		if !keyed || run.Active() {
			continue
		}
		c := r.campaigns[name]
		if keep, ok := r.keepRun(c); ok && now.Sub(run.EndedAt) >= keep {
			// A broadcast's occurrence never comes round again: its
			// key need not be kept to refuse it.
			if c.Reentry == "never" && c.Schedule == nil {
				m.CompactRun(id)
			} else {
				m.DropRun(id)
			}
			w.mark(m.ID, named(r.keyIdx.campaign, name))
		}
	}
}

// keepRun is how long an ended keyed run of the campaign is kept whole:
// as long as reentry_after still refuses its key, as long as its sends
// count towards the campaign's frequency cap, and as long as its
// messages stay in the outbox (outbox_retention), which name the run.
// ok is false for runs kept for ever: with the outbox kept for ever its
// messages name it, and a campaign no longer configured has no rules to
// say. With reentry = "never" the key outlives the run (dropRuns).
func (r *Runtime) keepRun(c *config.Campaign) (time.Duration, bool) {
	keep := r.cfg.Settings.State.OutboxRetention
	if c == nil || keep <= 0 {
		return 0, false
	}
	if c.Reentry == "after" {
		keep = max(keep, c.ReentryAfter)
	}
	if c.FrequencyCap != nil {
		keep = max(keep, c.FrequencyCap.Window)
	}
	// A finished run may still convert (conversion_window).
	keep = max(keep, c.ConversionWindow)
	return keep, true
}

// runKey is the key of the run an event enters: what the campaign's
// run_key gives for it, "" without one (or for a run entered by
// audience, view nil). ok is false when the rule failed or gave a key
// too long to keep: counted and logged as a rule error, and no run
// starts, since entering the keyless run instead would mix meetups.
func (r *Runtime) runKey(w *work, m *state.Member, c *config.Campaign, ev *events.Event, view map[string]any) (string, bool) {
	p := c.RunKey
	if p == nil || p.Program == nil || view == nil {
		return "", true
	}
	r.bind(w, m, view, ev, ev.At)
	r.stats.Evaluations++
	r.pending[p.ID]++
	key, err := r.eval.String(p.Program)
	if err == nil && len(key) > config.MaxRunKey {
		err = fmt.Errorf("gave a key of %d bytes; keys are at most %d", len(key), config.MaxRunKey)
	}
	if err != nil {
		r.ruleFailed(p, "campaign", c.Name, "run_key", err)
		return "", false
	}
	return key, true
}

// Enrollable reports whether m may start a run of c with key (""
// without run_key) at at, by the rules that hold whatever started it:
// not while a run with the key is under way; not a member the campaign
// is not for (members); not a member who left after a ban for cause, for
// whom no win-back is meant; and after an ended run with the key (kept
// whole or as its key alone), only as reentry allows. enroll applies it
// (and so does hearth plan's member impact, which settles the members
// whose moves an audience campaign hears through enroll). max_runs, a
// paused campaign and the entering rules are the callers'.
func Enrollable(m *state.Member, c *config.Campaign, key string, at time.Time) bool {
	run := m.Campaigns[state.RunID(c.Name, key)]
	if run.Active() || !c.For(m.Left) {
		// A member who left the community is not messaged, unless the
		// campaign is for them (members = "left" or "all"); joining
		// again (member.joined) makes them a member first.
		return false
	}
	if banned, _ := m.Moderation.BannedAt(at); banned && m.Left {
		// Removed for cause: no win-back asks them to come back.
		return false
	}
	ran, ended := run != nil, time.Time{}
	if run != nil {
		ended = run.EndedAt
	} else if e, ok := m.KeyEnded(c.Name, key); ok && key != "" {
		// A run with the key ended and was made compact: its key and
		// end are what is left of it, and are enough here.
		ran, ended = true, e.At
	}
	if ran {
		if c.Schedule != nil {
			// An occurrence's run, whatever reentry: once.
			return false
		}
		switch c.Reentry {
		case "never":
			return false
		case "after":
			return at.Sub(ended) >= c.ReentryAfter
		}
	}
	return true
}

func (r *Runtime) enroll(w *work, m *state.Member, c *config.Campaign, ev *events.Event, view map[string]any) {
	key, ok := r.runKey(w, m, c, ev, view)
	if !ok {
		return
	}
	r.enrollKey(w, m, c, ev, view, key)
}

// follow makes view, an event of one of c's enter_on types giving key,
// the event of the member's run of c with that key, when that run is
// under way, whatever c's enter_when says of it: the rules and templates
// of a run with a key read the latest event about its key (an RSVP
// changed to no). A step waiting for a time its until gives from the
// event waits for the new event's time when it differs (a meetup moved
// to another day moves its reminder), as if the run reached it at at; a
// send quiet hours or a cap hold stays held. It reports whether there
// was such a run.
func (r *Runtime) follow(w *work, m *state.Member, c *config.Campaign, key string, view map[string]any, at time.Time) bool {
	run := m.Campaigns[state.RunID(c.Name, key)]
	if !run.Active() {
		return false
	}
	// The run stays where it entered.
	home, _ := run.Event[keptCommunity].(string)
	run.Event = keepEvent(view, home)
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	if i := run.Step; i < len(c.Steps) && c.Steps[i].Name == run.StepName && run.Hold == nil {
		if p := c.Steps[i].Until; p != nil && p.Program != nil && p.Program.Reads.Event && !r.until(w, m, run, p, c.Name, "until", at).Equal(run.Due) {
			r.arrive(w, m, c, run, i, at)
		}
	}
	return true
}

// enrollKey is enroll with the run's key worked out already.
func (r *Runtime) enrollKey(w *work, m *state.Member, c *config.Campaign, ev *events.Event, view map[string]any, key string) {
	id := state.RunID(c.Name, key)
	run := m.Campaigns[id]
	if !Enrollable(m, c, key, ev.At) {
		return
	}
	if key != "" {
		// Runs under way are never dropped for a new one: the new key
		// waits for one of them to end, and the member hears of it in
		// the log, the outcomes and hearth simulate.
		if n := m.ActiveRuns(c.Name); n >= c.MaxRuns {
			r.stats.RunsRefused++
			if r.refused == nil {
				r.refused = map[string]int{}
			}
			r.refused[c.Name]++
			r.log.Warn("campaign run refused: the member has max_runs runs under way", "campaign", c.Name, "member", m.ID, "key", key, "max_runs", c.MaxRuns)
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "refused", At: ev.At, Rule: "campaign." + c.Name, Event: ev.ID,
				Detail: state.RunDetail(fmt.Sprintf("max_runs: %d runs under way", n), key)})
			return
		}
	}
	if m.Campaigns == nil {
		m.Campaigns = map[string]*state.CampaignRun{}
	}
	runs := 1
	var sends []time.Time
	if run != nil {
		// The campaign's frequency cap is the member's, not the run's: a
		// member entering again must not get a fresh allowance.
		runs, sends = run.Runs+1, run.Sends
	} else if key != "" {
		// A key whose run was dropped (dropRuns) is numbered past it:
		// its messages' outbox keys hold the number. One made compact
		// has a run again (the campaign's reentry allows it now).
		runs = m.NextRun(c.Name, nil)
		m.RemoveEndedKey(c.Name, key)
	}
	run = &state.CampaignRun{Status: runActive, EnteredAt: ev.At, Runs: runs, Sends: sends, Key: key}
	// The run keeps the entering event, times too: its rules and
	// templates read it at every step (runEvent restores the declared
	// types of what a store gives back).
	run.Event = keepEvent(view, ev.Community)
	m.Campaigns[id] = run
	r.arrive(w, m, c, run, 0, ev.At)
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "enter", At: ev.At, Rule: "campaign." + c.Name, Event: ev.ID, Detail: state.RunDetail(fmt.Sprintf("run %d", run.Runs), key)})
}

// arrive puts the run at step i: its wait and time of day, or its until,
// set when it may proceed.
func (r *Runtime) arrive(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, i int, now time.Time) {
	st := c.Steps[i]
	run.Step, run.StepName, run.StepAt, run.Deadline, run.WaitMet, run.Hold = i, st.Name, now, time.Time{}, false, nil
	due := now.Add(st.Wait)
	if st.At != nil {
		loc := r.memberZone(m)
		due = dayThenClock(now, st.Wait, *st.At, loc)
	}
	if st.Until != nil {
		// Worked out once, on arrival: a time before it (Due before
		// StepAt, which the store keeps) is what tells advance the
		// step came too late. A rule that fails gives the zero time,
		// and so counts as passed.
		due = r.until(w, m, run, st.Until, c.Name, "until", now)
	}
	run.Due = due
	if st.WaitUntil != nil && st.Timeout > 0 {
		run.Deadline = due.Add(st.Timeout)
	}
}

// succeed moves a run whose step was removed onto step i, the one that
// followed it: it is there from now (member show says so), and goes on
// when the removed step's wait is over, unless step i works out its own
// time (until). A wait_until of the removed step that held is not step
// i's.
func (r *Runtime) succeed(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, i int, now time.Time) {
	st := c.Steps[i]
	if st.Until != nil {
		r.arrive(w, m, c, run, i, now)
		return
	}
	run.Step, run.StepName, run.StepAt, run.WaitMet, run.Deadline, run.Hold = i, st.Name, now, false, time.Time{}, nil
	if st.WaitUntil != nil && st.Timeout > 0 {
		run.Deadline = run.Due.Add(st.Timeout)
	}
}

func (r *Runtime) endRun(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, at time.Time, event, reason string) {
	kept := run.Event
	run.Status, run.EndedAt, run.Reason = runDone, at, reason
	run.Due, run.Deadline, run.Event, run.WaitMet, run.Hold = time.Time{}, time.Time{}, nil, false, nil
	if reason == "finished" && c.Converts(run.EnteredAt, run.LastSent, run.Seq, at) {
		// The goal may still hold within the conversion window, and it
		// reads the entering event as while the run went on.
		run.Event = kept
	}
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "exit", At: at, Rule: "campaign." + c.Name, Event: event, To: run.Variant, Detail: state.RunDetail(reason, run.Key)})
}

// advanceCampaigns moves the member's active runs as far as they can go
// at now: goals are checked, due steps run, waits set timers.
func (r *Runtime) advanceCampaigns(w *work, m *state.Member, now time.Time, cause string) {
	if len(m.Campaigns) == 0 {
		return
	}
	r.dropRuns(w, m, now)
	for id, run := range m.Campaigns {
		// A campaign removed from the configuration stops its runs; steps
		// matched by index would otherwise run against another sequence.
		if name := state.RunCampaign(id); run.Active() && r.campaigns[name] == nil {
			run.Status, run.EndedAt, run.Reason = runDone, now, "stopped"
			run.Due, run.Deadline, run.Event, run.WaitMet, run.Hold = time.Time{}, time.Time{}, nil, false, nil
			w.mark(m.ID, named(r.keyIdx.campaign, name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: name, Change: "exit", At: now, Rule: "campaign." + name, Event: cause, To: run.Variant, Detail: state.RunDetail("stopped", run.Key)})
		}
	}
	keyed := m.HasKeyedRuns()
	for _, c := range r.cfg.Campaigns {
		if !keyed {
			if run := m.Campaigns[c.Name]; run.Active() {
				r.advanceRun(w, m, c, run, now, cause)
			} else if run != nil {
				r.convertRun(w, m, c, run, now, cause)
			}
			continue
		}
		// Each run goes its own way, in key order: its goal, its steps,
		// its entering event. A campaign that lost its run_key in a
		// reload still moves the runs it started with one.
		for _, run := range m.Runs(c.Name) {
			if run.Active() {
				r.advanceRun(w, m, c, run, now, cause)
			} else {
				r.convertRun(w, m, c, run, now, cause)
			}
		}
	}
}

// convertRun counts a run that finished as goal when the campaign's
// goal holds within its conversion window of the run's entry (or of its
// last message, with conversion_from = "last_send"; a run that sent
// nothing then has no window), as
// Customer.io's conversion goals count a member who converts after the
// last message: the run's reason becomes goal (counted once, for its
// variant, wherever ended runs are counted) and a convert outcome says
// when. Only a finished run converts: one stop_when, leaving or an
// operator ended was not the campaign's to win, and stop_when holding
// now wins over the goal as it does while a run goes on. Past the
// window the entering event kept for the goal is dropped.
func (r *Runtime) convertRun(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, now time.Time, cause string) {
	if run.Reason != "finished" || run.Status != runDone || c.ConversionWindow <= 0 {
		return
	}
	if !c.Converts(run.EnteredAt, run.LastSent, run.Seq, now) {
		if run.Event != nil {
			run.Event = nil
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
		}
		return
	}
	if m.Left && c.Members == config.MembersCurrent || r.stopHolds(w, m, c, run, now) {
		return
	}
	goal := c.Members == config.MembersLeft && !m.Left // a win-back's: they came back
	if !goal && c.ExitWhen != nil {
		r.bindRun(w, m, run, c.ExitWhen, now)
		goal = r.ruleBool(c.ExitWhen, "campaign", c.Name, "exit_when")
	}
	if !goal {
		return
	}
	run.Reason, run.Event = "goal", nil
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "convert", At: now, Rule: "campaign." + c.Name, Event: cause, To: run.Variant, Detail: state.RunDetail("goal", run.Key)})
}

// advanceRun moves one active run as far as it can go at now.
func (r *Runtime) advanceRun(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, now time.Time, cause string) {
	switch {
	case m.Left && c.Members == config.MembersCurrent:
		// Messages to someone who left the community would only go to
		// the dead letters, and rejoining starts afresh.
		r.endRun(w, m, c, run, now, cause, "left")
		return
	case !m.Left && c.Members == config.MembersLeft:
		// Coming back is what a win-back is for: its goal, whatever
		// step the member was on, unless stop_when says the campaign
		// was no longer for them.
		reason := "goal"
		if r.stopHolds(w, m, c, run, now) {
			reason = "exited"
		}
		r.endRun(w, m, c, run, now, cause, reason)
		return
	}
	// A reload that added, moved or removed steps: the run stays on
	// the step it was on, not on whatever now has its index.
	if i := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name]); i != run.Step || i < len(c.Steps) && c.Steps[i].Name != run.StepName {
		if c.StepRemoved(run.StepName) && i < len(c.Steps) {
			r.succeed(w, m, c, run, i, now)
		} else {
			run.Step = i
			if i < len(c.Steps) {
				run.StepName = c.Steps[i].Name
			}
		}
		w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	}
	if c.Paused {
		// A paused campaign holds its members where they are, but a
		// member reaching the goal has converted, and one stop_when
		// holds for is out: counted now, not at the resume (or as
		// stopped, if it never comes). The rules read the run's own
		// entering event, as when not paused.
		if reason := r.ruleEnd(w, m, c, run, now); reason != "" {
			r.endRun(w, m, c, run, now, cause, reason)
		}
		return
	}
	if run.Step >= len(c.Steps) {
		// The campaign lost steps in a reload: finish the run.
		r.endRun(w, m, c, run, now, cause, "finished")
		return
	}
	r.advance(w, m, c, run, now, cause)
}

// StopCampaign ends a member's active runs of a campaign, as an operator
// asks with hearth campaign stop: all of them, or with key set only the
// run with that key (run_key). It returns an outcome per run it ended.
func (r *Runtime) StopCampaign(m *state.Member, campaign, key string, at time.Time) []state.Outcome {
	var ids []string
	if key != "" {
		ids = []string{state.RunID(campaign, key)}
	} else {
		ids = m.RunIDs(campaign, nil)
	}
	var out []state.Outcome
	for _, id := range ids {
		run := m.Campaigns[id]
		if !run.Active() {
			continue
		}
		run.Status, run.EndedAt, run.Reason = runDone, at, "stopped"
		run.Due, run.Deadline, run.Event, run.WaitMet, run.Hold = time.Time{}, time.Time{}, nil, false, nil
		out = append(out, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: campaign, Change: "exit", At: at, Rule: "campaign." + campaign, Event: "operator", To: run.Variant, Detail: state.RunDetail("stopped", run.Key)})
	}
	if len(out) > 0 {
		r.schedule(m)
	}
	return out
}

func (r *Runtime) advance(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, now time.Time, cause string) {
	for range maxStepsPerAdvance {
		// Before every step, so a member who has just unsubscribed
		// (stop_when) or converted gets nothing more.
		if reason := r.ruleEnd(w, m, c, run, now); reason != "" {
			r.endRun(w, m, c, run, now, cause, reason)
			return
		}
		if run.Step >= len(c.Steps) {
			r.endRun(w, m, c, run, now, cause, "finished")
			return
		}
		st := c.Steps[run.Step]
		if now.Before(run.Due) {
			return // a timer wakes the member then
		}
		if st.WaitUntil != nil && !run.WaitMet {
			r.bindRun(w, m, run, st.WaitUntil, now)
			if !r.ruleBool(st.WaitUntil, "campaign", c.Name, "wait_until") {
				if !run.Deadline.IsZero() && !now.Before(run.Deadline) {
					w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "timeout", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name, run.Key)})
					if !r.jump(w, m, c, run, st.OnTimeout, now, cause) {
						return
					}
					continue
				}
				return // re-checked when the member changes, or at the deadline
			}
			run.WaitMet = true
		}
		if st.When != nil {
			r.bindRun(w, m, run, st.When, now)
			if !r.ruleBool(st.When, "campaign", c.Name, "when") {
				if !r.jump(w, m, c, run, st.Goto, now, cause) {
					return
				}
				continue
			}
		}
		// The step's send is made, skipped or deferred afresh now: a hold
		// recorded before is over, but the step came due when it began,
		// and that is what its send's expire_after counts from.
		since := now
		if run.Hold != nil && !run.Hold.Since.IsZero() {
			since = run.Hold.Since
		}
		run.Hold = nil
		if st.Send != nil && st.Until != nil && st.IfPast != "send" && run.Due.Before(run.StepAt) {
			// The member reached the step after its time: the send is
			// not made, and the run goes on as if it had been.
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": until "+untilText(run.Due)+" had passed", run.Key)})
		} else if st.Send != nil && r.unreachable(m, run, c, st.Send) {
			// A campaign for all members, and this one has left: the
			// message could only go to the dead letters. The run goes
			// on, so a branch can reach them by email instead.
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": "+leftText, run.Key)})
		} else if from := r.unsubscribedFrom(m, run, c, st.Send); from != "" {
			// The member asked for no more of this email; the run goes
			// on, so a later step can still reach them another way.
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": "+unsubscribedText(from), run.Key)})
		} else if why := r.bouncedFor(m, run, c, st.Send); why != "" {
			// The address refused email through this platform for good:
			// the message could only go to the dead letters.
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": "+why, run.Key)})
		} else if notAfter, late := r.pastNotAfter(w, m, c, run, st.Send, now); late {
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": not_after "+untilText(notAfter)+" had passed", run.Key)})
		} else if wait := r.sendBlocked(m, c, now); st.Send != nil && !wait.IsZero() && st.Send.NotAfter != nil && wait.After(notAfter) {
			// Held until after the time the send is for: drop it now
			// rather than hold what can only be dropped.
			w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
			w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": quiet hours until "+untilText(wait)+", past not_after "+untilText(notAfter), run.Key)})
		} else if st.Send != nil {
			if !wait.IsZero() {
				run.Due = wait
				run.Hold = r.quietRecord(c, wait)
				run.Hold.Since = since
				w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
				w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "defer", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": "+deferText(state.HoldQuietHours, wait), run.Key)})
				return
			}
			if r.capped(m, c, now) {
				if c.OnCap == "skip" {
					w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": frequency cap", run.Key)})
				} else if free := r.capFree(m, c, now); st.Send.NotAfter != nil && free.After(notAfter) {
					w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
					w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "skip", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": frequency cap until "+untilText(free)+", past not_after "+untilText(notAfter), run.Key)})
				} else {
					run.Due = free
					run.Hold = &state.RunHold{Reason: state.HoldFrequencyCap, Until: run.Due, Caps: r.fullCaps(m, c, now), Since: since}
					w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
					w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "defer", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(st.Name+": "+deferText(state.HoldFrequencyCap, run.Due), run.Key)})
					return
				}
			} else {
				r.send(w, m, c, run, st, now, since, notAfter, cause)
			}
		}
		next := st.Goto
		for _, b := range st.Branches {
			r.bindRun(w, m, run, b.When, now)
			if r.ruleBool(b.When, "campaign", c.Name, "branch") {
				next = b.Goto
				break
			}
		}
		if len(st.Split) > 0 {
			if run.Variant == "" {
				run.Variant = r.variant(st.Split, c.Name, run.Key, m.ID)
				w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindCampaign, Member: m.ID, Name: c.Name, Change: "variant", At: now, Rule: "campaign." + c.Name, Event: cause, Detail: state.RunDetail(run.Variant, run.Key)})
			}
			for _, v := range st.Split {
				if v.Name == run.Variant {
					next = v.Goto
				}
			}
		}
		if !r.jump(w, m, c, run, next, now, cause) {
			return
		}
	}
	r.log.Warn("campaign advanced too many steps at one instant; stopped until the next event", "campaign", c.Name, "member", m.ID)
}

// ruleEnd says whether the campaign's rules end the run now: "exited"
// when stop_when holds, "goal" when exit_when does, "" when neither.
// stop_when is asked first and wins when both hold: it says the campaign
// is no longer for the member (they unsubscribed), and a goal reached
// then is not the campaign's success to count.
func (r *Runtime) ruleEnd(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, now time.Time) string {
	if r.stopHolds(w, m, c, run, now) {
		return "exited"
	}
	if c.ExitWhen != nil {
		r.bindRun(w, m, run, c.ExitWhen, now)
		if r.ruleBool(c.ExitWhen, "campaign", c.Name, "exit_when") {
			return "goal"
		}
	}
	return ""
}

// stopHolds reports whether the campaign's stop_when holds for the run;
// false without one, and when it fails (counted and logged, like every
// rule).
func (r *Runtime) stopHolds(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, now time.Time) bool {
	if c.StopWhen == nil || c.StopWhen.Program == nil {
		return false
	}
	r.bindRun(w, m, run, c.StopWhen, now)
	return r.ruleBool(c.StopWhen, "campaign", c.Name, "stop_when")
}

// jump goes to the named step, the next one when name is empty, or ends
// the run on "exit" and after the last step. It reports whether the run
// goes on.
func (r *Runtime) jump(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, name string, now time.Time, cause string) bool {
	next := run.Step + 1
	if name == config.Exit {
		next = len(c.Steps)
	} else if name != "" {
		for i, s := range c.Steps {
			if s.Name == name {
				next = i
			}
		}
	}
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	if next >= len(c.Steps) {
		r.endRun(w, m, c, run, now, cause, "finished")
		return false
	}
	r.arrive(w, m, c, run, next, now)
	return true
}

// variant is the variant a split gives the member's run with the key
// ("" without run_key): the one a rule test pinned for that run
// (PinVariants: campaign[key]), else for the campaign, else the hash's
// choice.
func (r *Runtime) variant(vs []*config.Variant, campaign, key, member string) string {
	ids := []string{campaign}
	if key != "" {
		ids = []string{state.RunID(campaign, key), campaign}
	}
	for _, id := range ids {
		if pin, ok := r.pins[member][id]; ok {
			for _, v := range vs {
				if v.Name == pin {
					return pin
				}
			}
		}
	}
	return pickVariant(vs, campaign, member)
}

// pickVariant chooses a variant by a stable hash of campaign and member,
// weighted, so the same member always gets the same arm. FNV-1a alone
// keeps ids that differ in their last characters (mb-1, mb-2 ..., or a
// platform's numeric ids) close in its low bits, and taking it modulo
// the weights gave such runs of members the same arm: the hash is mixed
// (SplitMix64's finalizer) and scaled to the weights by its high bits.
func pickVariant(vs []*config.Variant, campaign, member string) string {
	total := 0
	for _, v := range vs {
		total += max(v.Weight, 0)
	}
	if total == 0 {
		return vs[0].Name
	}
	h := fnv.New64a()
	h.Write([]byte(campaign))
	h.Write([]byte{0})
	h.Write([]byte(member))
	x, _ := bits.Mul64(mix64(h.Sum64()), uint64(total))
	for _, v := range vs {
		if x < uint64(max(v.Weight, 0)) {
			return v.Name
		}
		x -= uint64(max(v.Weight, 0))
	}
	return vs[len(vs)-1].Name
}

// mix64 is SplitMix64's finalizer: every input bit moves every output
// bit, so nearby inputs land far apart.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (r *Runtime) memberZone(m *state.Member) *time.Location {
	if m.Timezone != "" {
		if loc, err := time.LoadLocation(m.Timezone); err == nil {
			return loc
		}
	}
	return r.cfg.Settings.Timezone
}

// dayThenClock is when a step with wait d and at clock comes due from t:
// d's whole days pick a calendar day in loc, and clock is looked for from
// the start of that day, after d's hours beyond whole days. So "wait 1d,
// at 09:00" is nine the next day whatever time the member arrived (an
// evening arrival is not carried past the next morning's nine to the day
// after), and a day across a daylight-saving change is 23 or 25 hours.
// Without whole days it is the first clock at or after t plus d.
func dayThenClock(t time.Time, d time.Duration, clock durations.ClockTime, loc *time.Location) time.Time {
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	if days == 0 {
		return nextClock(t.Add(d), clock, loc)
	}
	lt := t.In(loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day()+int(days), 0, 0, 0, 0, loc)
	return nextClock(start.Add(rest), clock, loc)
}

// nextClock is the first time at or after t that shows clock in loc, in
// UTC: the time becomes the step's due time, and the outcomes and sends
// made then carry it.
func nextClock(t time.Time, clock durations.ClockTime, loc *time.Location) time.Time {
	lt := t.In(loc)
	cand := time.Date(lt.Year(), lt.Month(), lt.Day(), clock.Hour(), clock.Minute(), 0, 0, loc)
	if cand.Before(t) {
		cand = time.Date(lt.Year(), lt.Month(), lt.Day()+1, clock.Hour(), clock.Minute(), 0, 0, loc)
	}
	return cand.UTC()
}

// sendBlocked returns the end of the quiet hours when now is inside them
// in the member's zone, else zero. A send is deferred, never dropped.
// The outbox applies the same window again when the send goes out
// (outbox.Rules), in case that is later than now.
func (r *Runtime) sendBlocked(m *state.Member, c *config.Campaign, now time.Time) time.Time {
	q := c.QuietHours
	if q == nil {
		return time.Time{}
	}
	end, _ := q.End(now, r.memberZone(m))
	return end
}

// quietRecord is the hold the campaign's quiet hours put on a send
// deferred until their end.
func (r *Runtime) quietRecord(c *config.Campaign, until time.Time) *state.RunHold {
	q := c.QuietHours
	return &state.RunHold{Reason: state.HoldQuietHours, Until: until, QuietHours: q.Window(), TimeZone: q.Zone()}
}

// fullCaps are the frequency caps full for the member's send of the
// campaign at t: the campaign's own, the global one, or both.
func (r *Runtime) fullCaps(m *state.Member, c *config.Campaign, t time.Time) []state.HoldCap {
	var caps []state.HoldCap
	if c.FrequencyCap != nil && recent(campaignSends(m, c), t, c.FrequencyCap.Window) >= c.FrequencyCap.Count {
		caps = append(caps, state.HoldCap{Scope: "campaign", Rate: c.FrequencyCap.String()})
	}
	if g := r.cfg.Settings.FrequencyCap; g != nil && recent(m.Sends, t, g.Window) >= g.Count {
		caps = append(caps, state.HoldCap{Scope: "global", Rate: g.String()})
	}
	return caps
}

func recent(ts []time.Time, now time.Time, window time.Duration) int {
	n := 0
	for _, t := range ts {
		if now.Sub(t) < window {
			n++
		}
	}
	return n
}

// campaignSends are the recent send times of all the member's runs of
// the campaign: its frequency cap is the member's, across runs.
func campaignSends(m *state.Member, c *config.Campaign) []time.Time {
	if !m.HasKeyedRuns() {
		if run := m.Campaigns[c.Name]; run != nil {
			return run.Sends
		}
		return nil
	}
	var ts []time.Time
	for _, run := range m.Runs(c.Name) {
		ts = append(ts, run.Sends...)
	}
	return ts
}

func (r *Runtime) capped(m *state.Member, c *config.Campaign, now time.Time) bool {
	if c.FrequencyCap != nil && recent(campaignSends(m, c), now, c.FrequencyCap.Window) >= c.FrequencyCap.Count {
		return true
	}
	g := r.cfg.Settings.FrequencyCap
	return g != nil && recent(m.Sends, now, g.Window) >= g.Count
}

// capFree is when the oldest send inside a full cap window leaves it.
func (r *Runtime) capFree(m *state.Member, c *config.Campaign, now time.Time) time.Time {
	free := now
	check := func(ts []time.Time, rate *durations.Rate) {
		if rate == nil || recent(ts, now, rate.Window) < rate.Count {
			return
		}
		var in []time.Time
		for _, t := range ts {
			if now.Sub(t) < rate.Window {
				in = append(in, t)
			}
		}
		slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
		if t := in[len(in)-rate.Count].Add(rate.Window); t.After(free) {
			free = t
		}
	}
	check(campaignSends(m, c), c.FrequencyCap)
	check(m.Sends, r.cfg.Settings.FrequencyCap)
	return free
}

func prune(ts []time.Time, now time.Time, keep time.Duration) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < keep {
			out = append(out, t)
		}
	}
	return out
}

// pastNotAfter is the time the send's not_after gives, and whether now is
// past it; a rule that fails gives no time, which counts as passed (as
// until's does). Without not_after nothing is past.
func (r *Runtime) pastNotAfter(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, send *config.Send, now time.Time) (time.Time, bool) {
	if send == nil || send.NotAfter == nil {
		return time.Time{}, false
	}
	t := r.until(w, m, run, send.NotAfter, c.Name, "not_after", now)
	return t, t.IsZero() || now.After(t)
}

// send renders the step's template and puts the action in the outbox.
// since is when the step came due (before quiet hours or a cap held its
// send until now), and notAfter the time its not_after gave (zero for
// none): the outbox expires the send by them.
func (r *Runtime) send(w *work, m *state.Member, c *config.Campaign, run *state.CampaignRun, st *config.Step, now, since, notAfter time.Time, cause string) {
	// Unique per run: runs with keys count their entries and sends each
	// on their own, so the key is in it too, escaped so that no key can
	// pass for another run's member or step. Seq counts the sends made:
	// one whose message fails takes no number, so campaign show and
	// member show do not count it among them.
	key := state.SendKey{Campaign: c.Name, RunKey: run.Key, Member: m.ID, Run: run.Runs, Seq: run.Seq + 1, Step: st.Name}.String()
	rule := "campaign." + c.Name
	community, plat, msg, err := r.sendMessage(m, c, run, st, now)
	if err != nil {
		// The step leads the detail, as a skip's does, so campaign show
		// can count the failure at its step.
		w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: "send." + st.Send.Channel, Change: "failed", At: now, Rule: rule, Event: cause, Detail: state.RunDetail(st.Name+": "+err.Error(), run.Key)})
		r.stats.SendErrors++
		r.sendFailed(c, st, m, err)
		return
	}
	run.Seq++
	community = r.placeOn(m, community, plat)
	platformAddr := ""
	target := m.ID
	if plat != nil {
		platformAddr = plat.Addr()
		// A member is known on a platform by the id it gave them.
		if id := m.Identities[plat.Type]; id != "" {
			target = id
		} else if st.Send.Channel == "email" {
			// An address, never the member id: without one there is
			// none (the outbox dead-letters it, saying so).
			target = ""
		}
	}
	if st.Send.Target != nil {
		target = st.Send.Target.Name
	}
	a := state.Action{Key: key, Kind: "send." + st.Send.Channel, Member: m.ID, At: now, Platform: platformAddr, Community: community, Target: target,
		Campaign: c.Name, RunKey: run.Key, Step: st.Name, Template: templateName(st.Send), Locale: msg.Locale, Text: msg.Text, Subject: msg.Subject, HTML: msg.HTML, Mentions: actionMentions(msg.Mentions), Event: cause, ToLeft: m.Left,
		Transactional: st.Send.Transactional, NotAfter: notAfter}
	if since.Before(now) {
		a.Due = since
	}
	w.actions = append(w.actions, a)
	if c.ConversionFrom == config.ConversionFromLastSend {
		// The conversion window counts from here: the time the send
		// was queued, event time, not when the platform took it.
		run.LastSent = now
	}
	if r.sendKeep > 0 { // only frequency caps read send times
		run.Sends = append(prune(run.Sends, now, r.sendKeep), now)
		m.Sends = append(prune(m.Sends, now, r.sendKeep), now)
	}
	w.mark(m.ID, named(r.keyIdx.campaign, c.Name))
	// from is the run's A/B variant ("" before a split gives one), as an
	// exit's to is: sends are counted by arm from the outcome alone.
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: a.Kind, Change: "queue", At: now, Rule: rule, Event: cause, From: run.Variant, To: target, Detail: key})
}

// sendMessage is the message of step st's send to m at now in run: the
// member as rules see them then, the run's entering event, and the markup
// of the platform it goes through, with the community it is about. send
// queues it, and hearth template render (PreviewSend) shows it.
func (r *Runtime) sendMessage(m *state.Member, c *config.Campaign, run *state.CampaignRun, st *config.Step, now time.Time) (string, *config.Platform, templates.Message, error) {
	fillMember(&r.rm, m, now, r.noAttrs)
	community, plat := r.sendPlatform(m, run, c, st.Send)
	if community == "" && plat == nil && len(r.cfg.Communities) > 1 {
		return community, nil, templates.Message{}, noCommunity(c)
	}
	msg, err := r.message(st.Send, plat, m, &r.rm, r.runEvent(run), now)
	return community, plat, msg, err
}

// sendFailed logs a send whose message could not be made: logged as well
// as kept as an outcome, since nothing else tells an operator that a
// step's messages are not going out.
func (r *Runtime) sendFailed(c *config.Campaign, st *config.Step, m *state.Member, err error) {
	r.log.Warn("campaign send not made: its message could not be made", "campaign", c.Name, "step", st.Name, "member", m.ID, "err", err)
}

// sendPlatform is the community a send is about and the platform it goes
// through: the send's own, or the campaign's community's. A campaign
// naming no community, in a configuration with several, sends through the
// member's: the community of the event the run entered on, else the one
// capacity family the member has a place in. "" and nil when neither
// tells (noCommunity says why).
func (r *Runtime) sendPlatform(m *state.Member, run *state.CampaignRun, c *config.Campaign, send *config.Send) (string, *config.Platform) {
	var plat *config.Platform
	community := ""
	switch {
	case c.Community != nil:
		community, plat = c.Community.Name, c.Community.Platform
	case len(r.cfg.Communities) == 1:
		community, plat = r.cfg.Communities[0].Name, r.cfg.Communities[0].Platform
	default:
		if home := r.memberCommunity(m, run, c, send); home != nil {
			community, plat = home.Name, home.Platform
		}
	}
	if send.Platform != nil {
		plat = send.Platform
	}
	return community, plat
}

// memberCommunity is the community block a send of campaign c, which
// names none, goes through to member m in run: the target channel's, the
// audience segment's, the community of the event the run entered on, else
// the one capacity family the member has a place in (nil: not known).
func (r *Runtime) memberCommunity(m *state.Member, run *state.CampaignRun, c *config.Campaign, send *config.Send) *config.Community {
	if send.Target != nil {
		for _, co := range r.cfg.Communities {
			if slices.Contains(co.Channels, send.Target) {
				return co
			}
		}
	}
	if c.Audience != nil && c.Audience.Community != nil {
		return c.Audience.Community
	}
	if run != nil {
		if name, _ := run.Event[keptCommunity].(string); name != "" {
			if home, _ := r.cfg.Family(name); home != nil {
				return home
			}
		}
	}
	if m == nil {
		return nil
	}
	if len(m.Places) == 1 {
		for block := range m.Places {
			if home, _ := r.cfg.Family(block); home != nil {
				return home
			}
		}
	}
	// The one community on the platform the member came from.
	var home *config.Community
	for _, co := range r.cfg.Communities {
		if co.Platform != nil && co.Platform.Type == m.Platform {
			if home != nil {
				return nil
			}
			home = co
		}
	}
	return home
}

// noCommunity is why a send of campaign c, which names no community, has
// no platform to go through.
func noCommunity(c *config.Campaign) error {
	return fmt.Errorf("campaign %q names no community, the configuration has several, and the member's is not known (the run did not enter on an event from a community, and several communities are on the member's platform); set community = community.NAME in the campaign or its audience segment, or platform in the send", c.Name)
}

// placeOn is where a message about community goes through plat to
// member m: their sub-community when they are in one of community's
// capacity family and it goes through the community's own platform.
func (r *Runtime) placeOn(m *state.Member, community string, plat *config.Platform) string {
	if community == "" || len(m.Places) == 0 {
		return community
	}
	for _, c := range r.cfg.Communities {
		if c.Name == community && c.Platform == plat {
			return m.Place(community)
		}
	}
	return community
}

// unreachable reports whether a send cannot reach the member because they
// have left the community: a direct message on a chat platform (a
// webhook's receiving system or an email still can).
func (r *Runtime) unreachable(m *state.Member, run *state.CampaignRun, c *config.Campaign, send *config.Send) bool {
	if !m.Left || send.Channel != "dm" {
		return false
	}
	_, plat := r.sendPlatform(m, run, c, send)
	return plat == nil || plat.Type != "webhook"
}

// unsubscribedFrom is what the member unsubscribed from that a send would
// go through: the email platform ("email.news"), state.UnsubscribedAll,
// or "" when the send goes (not an email, or a transactional one, or a
// member still subscribed).
func (r *Runtime) unsubscribedFrom(m *state.Member, run *state.CampaignRun, c *config.Campaign, send *config.Send) string {
	if send == nil || send.Channel != "email" || send.Transactional || len(m.Unsubscribed) == 0 {
		return ""
	}
	_, plat := r.sendPlatform(m, run, c, send)
	if plat == nil {
		return ""
	}
	from, _ := m.UnsubscribedFrom(plat.Type + "." + plat.Name)
	return from
}

// bouncedFor says why an email step is not sent to a member whose
// address bounced through the platform it would go through
// (state.OutboxSkippedBounced), or "" when it goes: not an email, a
// transactional one, or no bounce of the member's address.
func (r *Runtime) bouncedFor(m *state.Member, run *state.CampaignRun, c *config.Campaign, send *config.Send) string {
	if send == nil || send.Channel != "email" || send.Transactional || len(m.Bounced) == 0 {
		return ""
	}
	_, plat := r.sendPlatform(m, run, c, send)
	if plat == nil {
		return ""
	}
	key := plat.Type + "." + plat.Name
	if b, ok := m.BouncedAt(key, m.Identities[plat.Type]); ok {
		return state.OutboxSkippedBounced(key, b)
	}
	return ""
}

// leftText says why a direct message is not sent to a member who left,
// in the skip outcome's detail (member why reads it back).
const leftText = "the member has left, and a direct message cannot reach them"

const unsubscribedPrefix = "the member unsubscribed from "

// unsubscribedText says why an email is not sent to a member who
// unsubscribed from, as unsubscribedFrom or state.Member.UnsubscribedFrom
// give it; unsubscribedOf reads it back.
func unsubscribedText(from string) string {
	if from == state.UnsubscribedAll {
		return unsubscribedPrefix + "all email"
	}
	return unsubscribedPrefix + from
}

func unsubscribedOf(text string) (from string, ok bool) {
	from, ok = strings.CutPrefix(text, unsubscribedPrefix)
	if from == "all email" {
		from = state.UnsubscribedAll
	}
	return from, ok && from != ""
}

// until works out the time a step's until gives for the run; the zero
// time when the rule fails.
func (r *Runtime) until(w *work, m *state.Member, run *state.CampaignRun, p *config.Rule, campaign, what string, now time.Time) time.Time {
	if p.Program == nil {
		return time.Time{}
	}
	r.bindRun(w, m, run, p, now)
	r.stats.Evaluations++
	r.pending[p.ID]++
	t, err := r.eval.Time(p.Program)
	if err != nil {
		r.ruleFailed(p, "campaign", campaign, what, err)
		return time.Time{}
	}
	return t.UTC()
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return "(no time)"
	}
	return t.UTC().Format(time.RFC3339)
}

// bindRun binds what a rule of a campaign run reads: the member and now
// and, when the rule reads it, the event the run entered on.
func (r *Runtime) bindRun(w *work, m *state.Member, run *state.CampaignRun, p *config.Rule, now time.Time) {
	if p == nil || p.Program == nil || !p.Program.Reads.Event {
		r.bind(w, m, nil, nil, now)
		return
	}
	// The bind key knows the event being handled, not the run's: bind
	// afresh, and make the next bind do so too.
	r.bound = bindKey{}
	r.bind(w, m, r.runEvent(run), nil, now)
	r.bound = bindKey{}
}

// keepEvent is what a run keeps of the view of its entering event: all
// of it, in a map of its own (the view is reused for the next event).
// Nil without one.
func keepEvent(view map[string]any, community string) map[string]any {
	if view == nil {
		return nil
	}
	kept := make(map[string]any, len(view)+1)
	for k, v := range view {
		kept[k] = v
	}
	if community != "" {
		kept[keptCommunity] = community
	}
	return kept
}

// keptCommunity is the key under which a run's kept event holds the
// community the event came from: a campaign naming no community sends
// there (sendPlatform). No rule can read it: it is no identifier.
const keptCommunity = "$community"

// runEvent is the run's entering event with the types its event type
// declares, the same whether the store kept the values (memory) or they
// went through JSON (SQLite, PostgreSQL). It is nil for runs entered by
// audience; a kept event that no longer matches its declaration (edited
// since) is counted as a rule error and read as empty.
func (r *Runtime) runEvent(run *state.CampaignRun) map[string]any {
	if run.Event == nil {
		return nil
	}
	view, err := events.Restore(run.Event, r.cfg.EventTypes)
	if err != nil {
		r.stats.RuleErrors++
		r.log.Warn("a campaign run's entering event does not match its event type now; its rules read it as empty", "err", err)
		return map[string]any{}
	}
	return view
}
