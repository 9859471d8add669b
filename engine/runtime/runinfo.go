package runtime

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// RunInfo is what member why says of a campaign run beyond its status:
// its A/B variant, the sends made in it, its conversion window and, for
// a step asked about (campaign.NAME.STEP), what became of that step's
// message. The text output prints it as lines; WhyView carries it as
// runs.
type RunInfo struct {
	Run string `json:"run"` // the run's id: NAME, or NAME[KEY] with run_key
	// Number is the run's number (the times entered); 0 (absent) when
	// the member never entered it (asked of a step).
	Number int `json:"number,omitempty"`
	// Ended is how the run ended (goal, exited, finished, left,
	// stopped), and EndedAt when; absent while it goes on.
	Ended   string    `json:"ended,omitempty"`
	EndedAt time.Time `json:"ended_at,omitzero"`
	// Variant is the run's A/B variant, once split, and OtherVariants
	// the campaign's others.
	Variant       string   `json:"variant,omitempty"`
	OtherVariants []string `json:"other_variants,omitempty"`
	// Sends are the run's sends in the order they were decided; absent
	// for none.
	Sends            []RunSend         `json:"sends,omitempty"`
	ConversionWindow *ConversionWindow `json:"conversion_window,omitempty"`
	Step             *StepFate         `json:"step,omitempty"`
}

// RunSend is one send of a campaign run: from the outbox (queued, then
// sent, pending, dead or skipped at delivery) or from the outcomes
// (skipped at its step, never queued).
type RunSend struct {
	Step      string    `json:"step"`
	DecidedAt time.Time `json:"decided_at"` // event time
	// Status is the outbox's (state.OutboxSent, OutboxPending,
	// OutboxDead, OutboxSkipped) or SendSkippedAtStep.
	Status string `json:"status"`
	// At is when it was delivered (sent), is due (pending) or was given
	// up (dead, skipped); zero for one skipped at its step.
	At time.Time `json:"at,omitzero"`
	// Detail is the outbox's last error or reason (of a sent one, the
	// quiet hours that held it at delivery before it went out, if they
	// did), or the step's reason for skipping it.
	Detail string `json:"detail,omitempty"`
}

// SendSkippedAtStep is the status of a send the runtime did not make at
// its step (an unsubscribed member, if_past, a full cap with on_cap =
// "skip"): it never reached the outbox.
const SendSkippedAtStep = "skipped_at_step"

// ConversionWindow is a run's conversion window, as of a time asked.
type ConversionWindow struct {
	Length string `json:"length"` // as the file writes it: 1w
	// From is what it counts from: config.ConversionFromEntry or
	// ConversionFromLastSend; Start is that time (the entry, or the
	// last message queued).
	From  string    `json:"from"`
	Start time.Time `json:"start,omitzero"`
	// Closes is when the window closes; zero when it has no close yet
	// (counting from the last message, with none sent so far) or never
	// (a finished run that sent nothing).
	Closes time.Time `json:"closes,omitzero"`
	// State is WindowRunning, WindowNotFinished, WindowNoSends,
	// WindowOpen or WindowClosed.
	State string `json:"state"`
}

// Conversion window states.
const (
	WindowRunning     = "running"      // the run goes on; the goal ends it as goal
	WindowNotFinished = "not_finished" // the run ended otherwise than finished: only a finished run converts
	WindowNoSends     = "no_sends"     // finished, counting from the last message, with none sent
	WindowOpen        = "open"         // finished, and the goal may still make it goal
	WindowClosed      = "closed"       // finished, and the goal did not hold in time
)

// StepFate is what became of one step's message for the member.
type StepFate struct {
	Name string `json:"name"`
	// SendsNothing marks a step without a send.
	SendsNothing bool `json:"sends_nothing,omitempty"`
	// Fate is one of the Fate constants.
	Fate string `json:"fate"`
	// Variants are the variants a step on another variant than the
	// run's is on (FateOtherVariant).
	Variants []string `json:"variants,omitempty"`
	// Since is when the run reached the step, Next when it goes on from
	// it, and HeldBy what holds its send until Next (FateAtStep).
	Since  time.Time `json:"since,omitzero"`
	Next   time.Time `json:"next,omitzero"`
	HeldBy string    `json:"held_by,omitempty"`
	// RunStep is the step the run is at, or ended at
	// (FateNotReached, FatePassed, FateNeverReached).
	RunStep string `json:"run_step,omitempty"`
}

// Step fates.
const (
	FateSent         = "sent"          // it has sends: RunInfo.Sends has them with its name
	FateNeverEntered = "never_entered" // the member never entered the campaign
	FateOtherVariant = "other_variant" // the run was assigned a variant the step is not on
	FateAtStep       = "at_step"       // the run is at it
	FateNotReached   = "not_reached"   // the run is before it
	FatePassed       = "passed"        // the run went past it with no message
	FateNoMessage    = "no_message"    // the run went past it or ended there with none sent
	FateNeverReached = "never_reached" // the run ended before it
)

// RunInfos says, of the member's runs at addr (campaign.NAME, each keyed
// run of it, or campaign.NAME[KEY]), what RunInfo holds; step, when not
// "", names the step asked about, and asked is the time the conversion
// window is told as of. outcomes and outbox are the member's (oldest
// first; nil tells nothing). nil for another kind of address or a
// campaign the configuration no longer has; a run the member never
// entered is told of only when a step is asked.
func (r *Runtime) RunInfos(m *state.Member, addr, step string, asked time.Time, outcomes []state.Outcome, outbox []state.OutboxEntry) []RunInfo {
	kind, id, _ := strings.Cut(addr, ".")
	if kind != "campaign" {
		return nil
	}
	ids := []string{id}
	if _, _, keyed := state.SplitRunID(id); !keyed && m.HasKeyedRuns() {
		if more := m.RunIDs(id, nil); len(more) > 0 {
			ids = more
		}
	}
	var out []RunInfo
	for _, id := range ids {
		c := r.campaigns[state.RunCampaign(id)]
		if c == nil {
			continue
		}
		run := m.Campaigns[id]
		if run == nil && step == "" {
			continue
		}
		info := RunInfo{Run: id}
		var sends []RunSend
		if run != nil {
			sends = runSends(m, id, run, outcomes, outbox)
			info.Number, info.Variant, info.Sends = run.Runs, run.Variant, sends
			if !run.Active() {
				info.Ended, info.EndedAt = run.Reason, run.EndedAt.UTC()
			}
			if run.Variant != "" {
				for _, st := range c.Steps {
					for _, v := range st.Split {
						if v.Name != run.Variant && !slices.Contains(info.OtherVariants, v.Name) {
							info.OtherVariants = append(info.OtherVariants, v.Name)
						}
					}
				}
			}
			info.ConversionWindow = conversionWindow(c, run, asked)
		}
		if step != "" {
			info.Step = r.stepFate(c, run, step, sends)
		}
		out = append(out, info)
	}
	return out
}

// conversionWindow is run's conversion window as of asked; nil when the
// campaign has none.
func conversionWindow(c *config.Campaign, run *state.CampaignRun, asked time.Time) *ConversionWindow {
	if c.ConversionWindow <= 0 {
		return nil
	}
	w := &ConversionWindow{Length: durations.Format(c.ConversionWindow), From: config.ConversionFromEntry, Start: run.EnteredAt.UTC()}
	if c.ConversionFrom == config.ConversionFromLastSend {
		w.From, w.Start = config.ConversionFromLastSend, time.Time{}
		if run.Seq > 0 {
			// A run that sent before last_send was set kept no time of
			// it and counts from its entry (ConversionEnds).
			w.Start = run.EnteredAt.UTC()
			if !run.LastSent.IsZero() {
				w.Start = run.LastSent.UTC()
			}
		}
	}
	if closes, ok := c.ConversionEnds(run.EnteredAt, run.LastSent, run.Seq); ok {
		w.Closes = closes.UTC()
	}
	switch {
	case run.Active():
		w.State = WindowRunning
	case run.Reason != "finished":
		w.State = WindowNotFinished
	case w.Closes.IsZero():
		w.State = WindowNoSends
	case !asked.After(w.Closes):
		// Converts: the window's close itself still counts.
		w.State = WindowOpen
	default:
		w.State = WindowClosed
	}
	return w
}

// runSends lists the sends of the member's run id (its current run), in
// the order they were decided.
func runSends(m *state.Member, id string, run *state.CampaignRun, outcomes []state.Outcome, outbox []state.OutboxEntry) []RunSend {
	campaign, key, _ := state.SplitRunID(id)
	var out []RunSend
	for _, e := range outbox {
		if e.Campaign != campaign || e.RunKey != key || e.Member != m.ID || e.At.Before(run.EnteredAt) || actionRun(e.Key) != run.Runs {
			continue
		}
		s := RunSend{Step: e.Step, DecidedAt: e.At.UTC(), Status: e.Status, Detail: e.LastError}
		switch e.Status {
		case state.OutboxSent:
			s.At = e.SentAt.UTC()
		case state.OutboxPending:
			s.At = e.NextAt.UTC()
		default:
			s.At = e.FinishedAt.UTC()
		}
		out = append(out, s)
	}
	for _, o := range outcomes {
		if o.Kind != state.KindCampaign || o.Name != campaign || o.Change != "skip" || o.At.Before(run.EnteredAt) || state.DetailKey(o.Detail) != key {
			continue
		}
		step, text, _ := strings.Cut(state.DetailReason(o.Detail), ": ")
		out = append(out, RunSend{Step: step, DecidedAt: o.At.UTC(), Status: SendSkippedAtStep, Detail: text})
	}
	slices.SortStableFunc(out, func(a, b RunSend) int { return a.DecidedAt.Compare(b.DecidedAt) })
	return out
}

// actionRun is the run number in a campaign send's idempotency key,
// campaign/NAME/MEMBER/RUN/SEQ/STEP, read from the end (a member id may
// hold a slash); 0 when the key has another form.
func actionRun(key string) int {
	parts := strings.Split(key, "/")
	if len(parts) < 6 || parts[0] != "campaign" {
		return 0
	}
	n, err := strconv.Atoi(parts[len(parts)-3])
	if err != nil {
		return 0
	}
	return n
}

// stepFate says why the member did or did not get the message of c's
// step named step (one c has), in run (nil: never entered) with sends.
func (r *Runtime) stepFate(c *config.Campaign, run *state.CampaignRun, step string, sends []RunSend) *StepFate {
	idx := slices.IndexFunc(c.Steps, func(s *config.Step) bool { return s.Name == step })
	f := &StepFate{Name: step}
	if idx < 0 {
		return nil
	}
	st := c.Steps[idx]
	f.SendsNothing = st.Send == nil
	if run == nil {
		f.Fate = FateNeverEntered
		return f
	}
	if slices.ContainsFunc(sends, func(s RunSend) bool { return s.Step == step }) {
		f.Fate = FateSent
		return f
	}
	if on := c.StepVariants()[step]; run.Variant != "" && len(on) > 0 && !slices.Contains(on, run.Variant) {
		f.Fate, f.Variants = FateOtherVariant, on
		return f
	}
	at := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name])
	f.RunStep = run.StepName
	switch {
	case run.Active() && at == idx:
		f.Fate, f.RunStep, f.Since, f.Next = FateAtStep, "", run.StepAt.UTC(), run.Due.UTC()
		if run.Hold != nil {
			f.HeldBy, f.Next = run.Hold.Reason, run.Hold.Until.UTC()
		}
	case run.Active() && at < idx:
		f.Fate = FateNotReached
	case run.Active():
		f.Fate = FatePassed
	case st.Send != nil && run.Step >= idx && run.Reason != "left" && run.Reason != "stopped":
		f.Fate = FateNoMessage
	default:
		f.Fate = FateNeverReached
	}
	return f
}
