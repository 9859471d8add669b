package runtime

import (
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/templates"
)

// SendPreview is what the send of a campaign's step would queue for a
// member: hearth template render.
type SendPreview struct {
	// Community is the community the send is about ("" when the
	// campaign names none and the configuration has several).
	Community string
	// Platform is the platform the send goes through; nil when there is
	// none to name.
	Platform *config.Platform
	Message  templates.Message
}

// PreviewSend makes the message the send of step st of campaign c would
// give m at now, through the code the send itself uses (sendMessage): the
// member as rules see them then, event as the run keeps it (KeptEvent, or
// the Event of one of the member's runs; nil for a run without one, as an
// audience campaign's are), and the markup of the platform it goes
// through. Nothing is queued or stored. A message that cannot be made is
// logged as the send logs it, and returned as the error.
func (r *Runtime) PreviewSend(m *state.Member, c *config.Campaign, st *config.Step, event map[string]any, now time.Time) (SendPreview, error) {
	run := &state.CampaignRun{Status: runActive, EnteredAt: now, Event: event}
	community, plat, msg, err := r.sendMessage(m, c, run, st, now)
	if err != nil {
		r.sendFailed(c, st, m, err)
		return SendPreview{Community: community, Platform: plat}, err
	}
	return SendPreview{Community: community, Platform: plat, Message: msg}, nil
}

// KeptEvent is what a run of a campaign entered on ev keeps of it for the
// rules and templates of its steps, as enroll keeps it: the view of the
// event as the rules on its type see it when it comes in, every attribute
// its type declares in the declared type (an absent one as its zero
// value). An attribute of another type is an error, as it is when the
// event comes in (the rules on it are skipped then). ev's type is one a
// campaign enters on.
func (r *Runtime) KeptEvent(ev *events.Event) (map[string]any, error) {
	ti := r.typeOf(ev.Type)
	view, err := r.viewPlan(ev.Type, &ti.et, false).Fill(make(map[string]any, 8), ev)
	if err != nil {
		return nil, err
	}
	return keepEvent(view, ev.Community), nil
}

// EventView is ev as any rule reads it as event: every attribute its type
// declares, in the declared type (member eval -event).
func (r *Runtime) EventView(ev *events.Event) (map[string]any, error) {
	ti := r.typeOf(ev.Type)
	return r.viewPlan(ev.Type, &ti.et, true).Fill(make(map[string]any, 8), ev)
}

// PreviewTemplate renders t for m at now outside a campaign's send, for a
// template no campaign sends (a moderation ladder's, an alert's, or one
// not sent yet): the member as rules see them then, event as given (nil:
// none), community as given (nil: a new community's figures, as a
// ladder's warning reads them; an alert's reads those it fired at), as
// plain text.
func (r *Runtime) PreviewTemplate(t *config.Template, m *state.Member, event map[string]any, community *rules.Community, now time.Time) (templates.Message, error) {
	fillMember(&r.rm, m, now, r.noAttrs)
	return r.render.Render(t, &r.rm, event, community, now, templates.Plain)
}
