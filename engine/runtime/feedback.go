package runtime

import (
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/survey"
	"github.com/hearth-community/hearth/engine/templates"
)

// message renders what a send step sends through plat: the template's
// text, then the survey's questions and how to answer them, in the
// member's locale, sent at now.
func (r *Runtime) message(s *config.Send, plat *config.Platform, m *state.Member, rm *rules.Member, event map[string]any, now time.Time) (templates.Message, error) {
	var msg templates.Message
	if s.Template != nil {
		var err error
		if msg, err = r.render.RenderTo(s.Template, rm, event, nil, now, target(s.Channel, plat, m)); err != nil {
			return msg, err
		}
	}
	if s.Survey != nil {
		if msg.Locale == "" {
			msg.Locale = m.Locale
		}
		text := survey.Text(s.Survey, m.Locale)
		if msg.Text != "" {
			text = msg.Text + "\n\n" + text
		}
		msg.Text = text
	}
	// A message its platform would refuse is not queued: the send fails
	// here, where run, simulate and template render all see it, rather
	// than in the outbox after every retry.
	if err := plat.Limit(s.Channel).Check(msg.Text); err != nil {
		return msg, fmt.Errorf("template %s: %w", templateName(s), err)
	}
	return msg, nil
}

// markup is how plat reads a message sent to kind (channel, dm ...).
func markup(kind string, plat *config.Platform) templates.Markup {
	m := templates.Plain
	if plat == nil {
		return m
	}
	if (kind == "channel" && plat.ChannelMarkdown) || (kind == "dm" && plat.DirectMarkup) {
		m |= templates.Markdown
	}
	if plat.AtMentions {
		m |= templates.AtMentions
	}
	if plat.AtTags {
		m |= templates.AtTags
	}
	return m
}

// target is what plat makes of a message sent to kind for m: its markup,
// and how it mentions m (member.mention), by the id plat knows m by, as
// the send addresses them.
func target(kind string, plat *config.Platform, m *state.Member) templates.Target {
	to := templates.Target{Markup: markup(kind, plat)}
	if plat == nil || plat.Mention == nil {
		return to
	}
	id := m.ID
	if known := m.Identities[plat.Type]; known != "" {
		id = known
	}
	mention := plat.Mention(config.MentionOf{ID: id, Name: m.Name, Kind: kind, Settings: plat.Settings})
	to.Mention = mention.Text
	if mention.Marked {
		to.MentionID = id
	}
	return to
}

// actionMentions are a message's mentions as an action keeps them.
func actionMentions(ms []platform.Mention) []state.Mention {
	if len(ms) == 0 {
		return nil
	}
	out := make([]state.Mention, len(ms))
	for i, m := range ms {
		out[i] = state.Mention{ID: m.ID, Start: m.Start, End: m.End}
	}
	return out
}

func templateName(s *config.Send) string {
	if s.Template != nil {
		return s.Template.Name
	}
	return ""
}

// replies turns a message (in a channel or written to hearth directly)
// that answers a survey ("pulse recommend 9")
// into feedback.submitted events, one per answer, derived from the
// message so a replayed message answers once.
func (r *Runtime) replies(w *work, m *state.Member, ev *events.Event) {
	if (ev.Type != "message.posted" && ev.Type != "message.direct") || len(r.cfg.Surveys) == 0 {
		return
	}
	text, _ := ev.Attrs["text"].(string)
	answers, ok, err := survey.ParseReply(r.cfg, text)
	if !ok {
		return
	}
	if err != nil {
		r.log.Info("survey reply not understood", "event", ev.ID, "member", ev.Member.ID, "err", err)
		if ev.Type == "message.direct" {
			r.replyError(w, m, ev, err)
		}
		return
	}
	for _, a := range answers {
		d := survey.Event(ev.ID+"/feedback/"+a.Survey+"/"+a.Question, ev.Member.ID, ev.At, "hearth", a)
		d.Community = ev.Community
		w.extra = append(w.extra, &d)
	}
}

// track counts an applied event toward the community tallies, when the
// store keeps them: the member's marks and the counters change together.
func (r *Runtime) track(w *work, m *state.Member, ev *events.Event, kind analytics.Kind) {
	if d := w.talliesOf(); d != nil {
		r.tracker.Event(d, m, ev, kind)
	}
}

// talliesOf is where the event's tally changes go: straight into the
// batch's pending changes when it offers them, else into the work's own
// map, added to the batch when the event is done. Nil when the store
// keeps no tallies.
func (w *work) talliesOf() state.Tallies {
	switch b := w.b.(type) {
	case state.TallySink:
		return b.PendingTallies()
	case state.TallyBatch:
		if w.tallies == nil {
			w.tallies = state.Tallies{}
		}
		return w.tallies
	}
	return nil
}

// trackFinish settles the tallies of every member the work touched and
// adds them to the batch, when its store keeps tallies.
func (r *Runtime) trackFinish(w *work) error {
	d := w.talliesOf()
	if d == nil {
		return nil
	}
	for _, t := range w.touched {
		if t.m != nil {
			r.tracker.Member(d, t.m)
		}
	}
	r.tracker.Outcomes(d, w.outcomes)
	if _, direct := w.b.(state.TallySink); direct || len(d) == 0 {
		return nil
	}
	return w.b.(state.TallyBatch).AddTallies(d)
}

// replyError tells a member who wrote to hearth why their answer was not
// taken, in a direct message through the outbox, once per message.
func (r *Runtime) replyError(w *work, m *state.Member, ev *events.Event, err error) {
	if r.history {
		return // an answer from long ago gets no reply now
	}
	var c *config.Community
	for _, x := range r.cfg.Communities {
		if r.inFamily(ev.Community, x) || ev.Community == "" && len(r.cfg.Communities) == 1 {
			c = x
		}
	}
	if c == nil || c.Platform == nil {
		return
	}
	// The reply goes where the member wrote: a sub-community, maybe.
	community := ev.Community
	if community == "" {
		community = c.Name
	}
	target := m.ID
	if id := m.Identities[c.Platform.Type]; id != "" {
		target = id
	}
	key := "survey-reply/" + ev.ID
	w.actions = append(w.actions, state.Action{Key: key, Kind: "send.dm", Member: m.ID, At: ev.At, Platform: c.Platform.Addr(),
		Community: community, Target: target, Locale: m.Locale, Text: survey.NotUnderstood(err, m.Locale), Event: ev.ID})
	w.outcomes = append(w.outcomes, state.Outcome{Kind: state.KindAction, Member: m.ID, Name: "send.dm", Change: "queue",
		At: ev.At, Rule: "survey", Event: ev.ID, To: target, Detail: key})
}
