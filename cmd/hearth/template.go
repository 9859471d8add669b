package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/risk"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/templates"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const templateUsage = `Usage: hearth template render [options] NAME [DIR]
       hearth template list [-json] [DIR]

render: a template's message as a member would get it, before anything is
sent. It is made by the code a campaign's send makes it with: the member
as the rules see them, the event the run was entered by, the markup of
the platform it goes through; then the text is shown as that platform
gets it (Slack's and Feishu's adapters show crowd mentions in it as text
unless mass_mentions = true, and a note says what Discord and Discourse
do with them; hearth validate warns of a template's own). member.mention is shown as the text has it: <@id> on
Discord and Slack, the name where the adapter makes the mention when
sending (a Matrix pill, a Telegram text_mention, Discourse's @username),
and -json lists those places as mentions (id, start and end byte
offsets in text). Nothing is queued or stored.

The member is a stored one with -member ID (through the running daemon
when there is one, else from the state store), or a sample member that
needs no state: id sample, name Sam, the hearth block's default_locale
and timezone, joined and last active at -at, no points, tier or badges.
-attrs '{"first_name": "Sam"}' gives it profile attributes (or adds them
to a stored member's).

The send is that of -campaign NAME, at -step STEP when several of its
steps send the template; without -campaign, that of the first campaign
sending it ('hearth template list' names them all).

A template no campaign sends (a moderation ladder's, an alert's) is
rendered as plain text outside a send, with a sample of the object the
first ladder or alert sending it passes as its event, made by the code
that makes the real one. A ladder's is a decision at its first rung: the
first moderation rule that climbs the ladder (one adding no more strikes
than the rung needs, when there is one; else the first with an action of
its own) matching a message made to match it, with the evidence, reason
and live strikes a real match has; the sample member has those strikes
as member.strikes. An alert's fires in its community at
sample figures at which its rule holds: those of a quiet community with
as few of the figures it reads moved as make it hold, near the numbers
in the rule; the template reads them as community, as the real
notification reads the figures it fired at. The output says the object
is a sample (-json: "event_from": "sample", "event_sample", "figures").
-event replaces the object: an event as below, or the object without a
type ('{"reason": "spam", "strikes": 2}'; hearth explain templates); an
alert's template still reads the sample figures.

event is the event the campaign's run was entered by: -event JSON (type
and attrs as in an events file; id, member and at are filled in), which
must be of a type the campaign enters on and is checked against its
declared attributes, as 'hearth member eval -event' checks one; else the
one that started the stored member's run under way; else one of the
first type the campaign enters on, every attribute empty. A campaign
entered by audience has no event.

A member gets their locale's text, else their language's ("zh" for
zh-TW, else the first zh-* one), else the template's default_locale;
render says which and why. -locale L renders as for a member with locale
L; -all-locales renders every locale the template has, each as for a
member with that locale.

A message that cannot be made (an attribute the member or event lacks,
a type error) is logged as the daemon logs it ("campaign send not made:
its message could not be made"); the send would not be made, and would
be recorded as a failed outcome. render exits 1 then.

list: the templates, their locales (the default first) and what sends
them: campaign steps (and how), a community's moderation ladder, alerts'
notify blocks.

Examples:
  hearth template list examples/quickstart
  hearth template render welcome examples/quickstart
  hearth template render -locale zh-TW welcome examples/quickstart
  hearth template render -all-locales nudge examples/quickstart
  hearth template render -member u07 welcome examples/quickstart
  hearth template render -locale en moderation_notice examples/moderated-community
  hearth template render -campaign invitation -event '{"type":"meetup.invited","attrs":{"meetup":"Go Night #43","venue":"Kraftwerk","starts_at":"2026-04-14T19:00:00+02:00"}}' invite examples/meetup-invitations
  hearth template render -json welcome examples/quickstart | jq -r '.messages[0].text'
`

func runTemplate(ctx context.Context, s *stdio, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, templateUsage)
	}
	switch args[0] {
	case "render":
		return runTemplateRender(ctx, s, args[1:])
	case "list":
		return runTemplateList(s, args[1:])
	}
	return unknownVerb(s, "template", args[0], []string{"list", "render"}, templateUsage)
}

// sender is a block that sends a template.
type sender struct {
	Kind     string `json:"kind"` // campaign, ladder, alert
	Name     string `json:"name"` // the campaign, community or alert
	Step     string `json:"step,omitempty"`
	Channel  string `json:"channel,omitempty"` // dm, channel, email, webhook
	Platform string `json:"platform,omitempty"`

	campaign  *config.Campaign
	step      *config.Step
	community *config.Community // a ladder's
	alert     *config.Alert
}

func (x sender) String() string {
	switch x.Kind {
	case "ladder":
		return "community." + x.Name + " moderation ladder (dm)"
	case "alert":
		return "alert." + x.Name + " notify (" + x.Channel + ")"
	}
	return "campaign." + x.Name + " step " + x.Step + " (" + x.Channel + ")"
}

// sendersOf are the blocks that send t, in configuration order.
func sendersOf(cfg *config.Config, t *config.Template) []sender {
	var out []sender
	for _, c := range cfg.Campaigns {
		for _, st := range c.Steps {
			if st.Send == nil || st.Send.Template != t {
				continue
			}
			x := sender{Kind: "campaign", Name: c.Name, Step: st.Name, Channel: st.Send.Channel, campaign: c, step: st}
			if st.Send.Platform != nil {
				x.Platform = st.Send.Platform.Addr()
			}
			out = append(out, x)
		}
	}
	for _, c := range cfg.Communities {
		if c.Ladder != nil && c.Ladder.Template == t {
			out = append(out, sender{Kind: "ladder", Name: c.Name, Channel: "dm", community: c})
		}
	}
	for _, a := range cfg.Alerts {
		for _, n := range a.Notify {
			if n.Template == t {
				x := sender{Kind: "alert", Name: a.Name, Channel: n.Channel, alert: a}
				if n.Platform != nil {
					x.Platform = n.Platform.Addr()
				}
				out = append(out, x)
			}
		}
	}
	return out
}

// locales are a template's text locales, the default first.
func locales(t *config.Template) []string {
	out := []string{t.DefaultLocale}
	for _, l := range slices.Sorted(maps.Keys(t.Text)) {
		if l != t.DefaultLocale {
			out = append(out, l)
		}
	}
	return out
}

// lookupTemplate finds the named template, or says there is none and
// which there are.
func lookupTemplate(s *stdio, verb string, cfg *config.Config, name string) (*config.Template, bool) {
	return lookupNamed(s, verb, "template", "templates", cfg.Templates, func(t *config.Template) string { return t.Name }, name)
}

func runTemplateList(s *stdio, args []string) int {
	fs := newFlags(s, "template list", templateUsage)
	asJSON := fs.Bool("json", false, "Print as JSON.")
	vf := varFlags{readOnly: true, stateOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "template list")
	if !ok {
		return 1
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	if *asJSON {
		type item struct {
			Name          string   `json:"name"`
			Description   string   `json:"description,omitempty"`
			DefaultLocale string   `json:"default_locale"`
			Locales       []string `json:"locales"`
			Parts         []string `json:"parts"`
			SentBy        []sender `json:"sent_by"`
		}
		out := struct {
			Templates []item `json:"templates"`
		}{Templates: []item{}}
		for _, t := range cfg.Templates {
			it := item{Name: t.Name, Description: t.Description, DefaultLocale: t.DefaultLocale, Locales: locales(t), Parts: parts(t), SentBy: sendersOf(cfg, t)}
			if it.SentBy == nil {
				it.SentBy = []sender{}
			}
			out.Templates = append(out.Templates, it)
		}
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return 0
	}
	if len(cfg.Templates) == 0 {
		fmt.Fprintln(s.out, "No templates.")
		return 0
	}
	tw := textwidth.NewTabWriter(s.out, 2, 0)
	fmt.Fprintln(tw, "TEMPLATE\tLOCALES\tSENT BY")
	for _, t := range cfg.Templates {
		locs := locales(t)
		locs[0] += " (default)"
		name := t.Name
		if p := parts(t); len(p) > 1 {
			name += " [" + strings.Join(p, ", ") + "]"
		}
		by := sendersOf(cfg, t)
		if len(by) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, strings.Join(locs, ", "), "nothing sends it")
			continue
		}
		for i, x := range by {
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", name, strings.Join(locs, ", "), x)
			} else {
				fmt.Fprintf(tw, "\t\t%s\n", x)
			}
		}
	}
	_ = tw.Flush()
	return 0
}

// parts are the parts a template has: text, and subject and html for
// email.
func parts(t *config.Template) []string {
	out := []string{"text"}
	if len(t.Subject) > 0 {
		out = append(out, "subject")
	}
	if len(t.HTML) > 0 {
		out = append(out, "html")
	}
	return out
}

// rendered is one locale's message, or why it could not be made.
type rendered struct {
	Locale  string `json:"locale"`
	Text    string `json:"text,omitempty"`
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	// Mentions are where the text mentions the member for the adapter to
	// make the mention (a Matrix pill, a Telegram text_mention).
	Mentions []platform.Mention `json:"mentions,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// renderView is hearth template render -json.
type renderView struct {
	Template  string `json:"template"`
	Campaign  string `json:"campaign,omitempty"`
	Step      string `json:"step,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Platform  string `json:"platform,omitempty"`
	Community string `json:"community,omitempty"`
	Member    struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Locale string `json:"locale"`
		Sample bool   `json:"sample,omitempty"`
	} `json:"member"`
	// Event is event as the template reads it; null when there is none.
	Event map[string]any `json:"event"`
	// EventFrom says where it came from: flag (-event), run (the stored
	// member's run under way), sample (a campaign's: no attributes; a
	// ladder's or an alert's: EventSample says how it was made).
	EventFrom string `json:"event_from,omitempty"`
	// EventSample says what the sample of a ladder's decision or of an
	// alert is.
	EventSample string `json:"event_sample,omitempty"`
	// SentBy is what sends a template no campaign sends, the first when
	// several do: what its event is (-event's, or a sample).
	SentBy *sender `json:"sent_by,omitempty"`
	// Figures are the sample figures an alert's template reads as
	// community, those its alert fires at.
	Figures      *rules.Community `json:"figures,omitempty"`
	figuresAbout string
	// RunKey is the run_key key of the run the event came from.
	RunKey string `json:"run_key,omitempty"`
	// Locale is the locale the member gets, Fallback how (exact,
	// language, sibling, default).
	Locale   string     `json:"locale"`
	Fallback string     `json:"fallback"`
	Messages []rendered `json:"messages"`
	Notes    []string   `json:"notes,omitempty"`
}

var fallbackNames = map[templates.Fallback]string{templates.Exact: "exact", templates.Language: "language", templates.Sibling: "sibling", templates.Default: "default"}

func runTemplateRender(ctx context.Context, s *stdio, args []string) int {
	const name = "template render"
	fs := newFlags(s, name, templateUsage)
	memberID := fs.String("member", "", "Render for this stored member (`ID`); without it, for the sample member.")
	attrsFlag := fs.String("attrs", "", "Profile attributes of the member, as a `JSON` object (added to a stored member's).")
	eventFlag := fs.String("event", "", "The event the run was entered by (`JSON` with type and attrs; id, member and at are filled in), or the object a ladder or an alert passes (default: a sample).")
	campaignFlag := fs.String("campaign", "", "Render as this campaign's send (`NAME`); default: the first campaign sending the template.")
	stepFlag := fs.String("step", "", "The campaign's step whose send to render (`NAME`), when several send the template.")
	localeFlag := fs.String("locale", "", "Render as for a member with this `LOCALE` (zh-TW falls back as such a member's would).")
	allLocales := fs.Bool("all-locales", false, "Render every locale the template has.")
	atFlag := fs.String("at", "", "Render at this `TIME` (RFC 3339 or YYYY-MM-DD), which the template reads as now; default the current time.")
	asJSON := fs.Bool("json", false, "Print JSON: what the message was made with, and each locale's message or error.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 || len(pos) > 2 {
		return argError(s, name, "give the template's name and, optionally, the configuration directory")
	}
	if *allLocales && *localeFlag != "" {
		return argError(s, name, "give -locale or -all-locales, not both")
	}
	if *stepFlag != "" && *campaignFlag == "" {
		return argError(s, name, "-step names a step of the campaign given with -campaign")
	}
	tname, dir := pos[0], "."
	if len(pos) == 2 {
		dir = pos[1]
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		var err error
		if at, err = parseTimeFlag(*atFlag); err != nil {
			fmt.Fprintf(s.err, "hearth %s: -at: %v\n", name, err)
			return 1
		}
	}
	var attrs map[string]any
	if *attrsFlag != "" {
		if err := json.Unmarshal([]byte(*attrsFlag), &attrs); err != nil || attrs == nil {
			fmt.Fprintf(s.err, "hearth %s: -attrs: not a JSON object of attributes: %s\n", name, *attrsFlag)
			return 1
		}
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	t, ok := lookupTemplate(s, name, cfg, tname)
	if !ok {
		return 1
	}
	var view renderView
	view.Template = t.Name

	// The send: -campaign's, or the first that sends the template.
	var snd *sender
	var campaigns []string
	for _, x := range sendersOf(cfg, t) {
		if x.Kind != "campaign" {
			continue
		}
		if !slices.Contains(campaigns, x.Name) {
			campaigns = append(campaigns, x.Name)
		}
		if snd == nil && (*campaignFlag == "" || x.Name == *campaignFlag) && (*stepFlag == "" || x.Step == *stepFlag) {
			snd = &x
		}
	}
	if *campaignFlag != "" {
		c, ok := lookupCampaign(s, name, cfg, *campaignFlag)
		if !ok {
			return 1
		}
		if snd == nil {
			return noSuchSend(s, t, c, *stepFlag, campaigns)
		}
	} else if snd != nil && len(campaigns) > 1 {
		view.Notes = append(view.Notes, fmt.Sprintf("campaigns %s send this template; this is %s's send (-campaign picks another).", strings.Join(campaigns, ", "), snd.Name))
	}

	// The member.
	var m *state.Member
	if *memberID != "" {
		if m, ok = lookupMember(ctx, s, cfg, *memberID, name); !ok {
			return 1
		}
	} else {
		m = sampleMember(cfg, at)
		view.Member.Sample = true
	}
	if attrs != nil {
		merged := maps.Clone(m.Attrs)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, attrs)
		m.Attrs = merged
	}
	if *localeFlag != "" {
		m.Locale = *localeFlag
	}
	view.Member.ID, view.Member.Name, view.Member.Locale = m.ID, m.Name, m.Locale

	log, _ := sandboxLogger(s, *asJSON)
	rt := runtime.New(cfg, log)

	// The event.
	var c *config.Campaign
	if snd != nil {
		c = snd.campaign
		view.Campaign, view.Step, view.Channel = c.Name, snd.Step, snd.Channel
	}
	var sample *runtime.GovernSample
	if snd == nil {
		sample = outsideSend(rt, cfg, t, m.Locale, *eventFlag != "", at, &view)
	}
	var (
		event map[string]any
		from  string
		run   *state.CampaignRun
		err   error
	)
	if sample != nil {
		view.Figures, view.figuresAbout = sample.Community, sample.FiguresAbout
		if view.Member.Sample && *eventFlag == "" {
			// The sample member is the one the sample decision is about:
			// member.strikes agrees with the "1 live strike" it reports.
			m.Strikes = sample.Strikes
		}
	}
	if sample != nil && *eventFlag == "" {
		event, from = sample.Event, "sample"
		view.EventSample = sample.About
	} else {
		event, from, run, err = renderEvent(rt, cfg, c, m, *eventFlag, at)
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: -event: %v\n", name, err)
		return 1
	}
	view.Event, view.EventFrom = event, from
	if run != nil {
		view.RunKey = run.Key
	}
	if reads, whole := eventReads(t); c != nil && from == "sample" && (whole || len(reads) > 0) {
		view.Notes = append(view.Notes, fmt.Sprintf("the event is a %s with no attributes: -event gives one with them.", event["type"]))
	}

	// The messages.
	loc, how := templates.Pick(t, m.Locale)
	view.Locale, view.Fallback = loc, fallbackNames[how]
	want := []string{m.Locale}
	if *allLocales {
		want = locales(t)
	}
	failed := false
	notes := map[string]bool{}
	for _, l := range want {
		m.Locale = l
		var msg templates.Message
		if snd != nil {
			var p runtime.SendPreview
			p, err = rt.PreviewSend(m, c, snd.step, event, at)
			view.Community = p.Community
			if p.Platform != nil {
				view.Platform = p.Platform.Addr()
			}
			msg = p.Message
			if err == nil {
				var note string
				if msg.Text, note, err = asSent(p.Platform, snd.Channel, msg.Text); note != "" && !notes[note] {
					notes[note] = true
					view.Notes = append(view.Notes, note)
				}
			}
		} else {
			msg, err = rt.PreviewTemplate(t, m, event, view.Figures, at)
		}
		r := rendered{Locale: msg.Locale, Text: msg.Text, Subject: msg.Subject, HTML: msg.HTML, Mentions: msg.Mentions}
		if r.Locale == "" {
			r.Locale = templates.Locale(t, l)
		}
		if err != nil {
			failed = true
			r = rendered{Locale: r.Locale, Error: err.Error()}
			if snd == nil {
				// No send logs it: say it as the runtime's render does.
				fmt.Fprintf(s.err, "hearth %s: the message could not be made: %v\n", name, err)
			}
		}
		view.Messages = append(view.Messages, r)
	}
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(view)
	} else {
		printRendered(s.out, cfg, t, &view, *localeFlag != "")
	}
	if failed {
		return 1
	}
	return 0
}

// outsideSend prepares the render of a template no campaign sends: it
// names what sends it in view (the first ladder or alert that does), says
// in its notes how the template is rendered, and returns a sample of the
// object that passes, made by the code that makes the real one, with the
// figures an alert's template reads as community (kept with -event,
// given, which replaces only the event); nil when there is none to make.
func outsideSend(rt *runtime.Runtime, cfg *config.Config, t *config.Template, locale string, given bool, at time.Time, view *renderView) *runtime.GovernSample {
	by := sendersOf(cfg, t)
	if len(by) == 0 {
		view.Notes = append(view.Notes, "no campaign sends this template: it is rendered as plain text, outside a send, with -event as its event.")
		return nil
	}
	x := by[0]
	view.SentBy = &x
	var sample runtime.GovernSample
	ok, why := false, ""
	switch x.Kind {
	case "ladder":
		if sample, ok = rt.SampleLadder(x.community, locale, at); !ok {
			why = fmt.Sprintf(" There is no decision to sample: no moderation rule of community %s sends a message, so its ladder's is never sent.", x.Name)
		}
	case "alert":
		sample, ok = rt.SampleAlert(x.alert, at)
	}
	if given || !ok {
		view.Notes = append(view.Notes, fmt.Sprintf("no campaign sends this template, only %s: it is rendered as plain text, outside a send, with -event as its event (-event '{\"NAME\": ...}' gives what that passes, the names under Event above).%s", x, why))
	} else {
		view.Notes = append(view.Notes, fmt.Sprintf("no campaign sends this template, only %s: it is rendered as plain text, outside a send, with a sample of what that passes as its event (-event '{\"NAME\": ...}' gives another, the names under Event above).", x))
	}
	if !ok {
		return nil
	}
	if sample.Note != "" {
		view.Notes = append(view.Notes, sample.Note)
	}
	if names, whole := reads(t, "member"); x.Kind == "alert" && (whole || len(names) > 0) {
		view.Notes = append(view.Notes, "an alert's message goes to no member: when it is sent, member.* is empty, not the member shown here.")
	}
	return &sample
}

// noSuchSend answers -campaign (and -step) naming no send of the template.
func noSuchSend(s *stdio, t *config.Template, c *config.Campaign, step string, campaigns []string) int {
	var steps []string
	for _, st := range c.Steps {
		if st.Send != nil && st.Send.Template == t {
			steps = append(steps, st.Name)
		}
	}
	switch {
	case step != "" && len(steps) > 0:
		fmt.Fprintf(s.err, "hearth template render: step %q of campaign %q does not send template %q.%s\n", step, c.Name, t.Name, suggestOrList(step, steps, "steps sending it"))
	case len(campaigns) > 0:
		who := "campaign " + campaigns[0] + " sends it"
		if len(campaigns) > 1 {
			who = "campaigns " + strings.Join(campaigns, ", ") + " send it"
		}
		fmt.Fprintf(s.err, "hearth template render: campaign %q does not send template %q; %s.\n", c.Name, t.Name, who)
	default:
		fmt.Fprintf(s.err, "hearth template render: campaign %q does not send template %q, and no campaign does: leave out -campaign to render it outside a send.\n", c.Name, t.Name)
	}
	return 1
}

// sampleMember is the member render uses without -member: it needs no
// state. The usage describes it.
func sampleMember(cfg *config.Config, at time.Time) *state.Member {
	m := &state.Member{ID: "sample", Name: "Sam", Locale: cfg.Settings.DefaultLocale, JoinedAt: at, LastActiveAt: at, LastEventAt: at}
	if cfg.Settings.Timezone != nil {
		m.Timezone = cfg.Settings.Timezone.String()
	}
	if len(cfg.Communities) == 1 && cfg.Communities[0].Platform != nil {
		m.Platform = cfg.Communities[0].Platform.Type
	}
	return m
}

// renderEvent is event for the template: what the run of campaign c
// (nil: no campaign's send) keeps of the entering event, from -event
// (raw), else the stored member's run under way, else a sample of the
// first type c enters on. from says which: flag, run (and run is that
// run) or sample; "" for none.
func renderEvent(rt *runtime.Runtime, cfg *config.Config, c *config.Campaign, m *state.Member, raw string, at time.Time) (map[string]any, string, *state.CampaignRun, error) {
	if c == nil && raw != "" {
		// A ladder's or an alert's template reads what they pass as
		// event, of no event type: an object without a type is that.
		var obj map[string]any
		if err := json.Unmarshal([]byte(raw), &obj); err == nil && obj["type"] == nil {
			return obj, "flag", nil, nil
		}
	}
	var ev *events.Event
	if raw != "" {
		var err error
		if ev, err = events.ParseAsked([]byte(raw), m.ID, at); err != nil {
			return nil, "", nil, err
		}
		if _, err := cfg.ExprScope(ev.Type); err != nil {
			return nil, "", nil, err
		}
	}
	if c == nil {
		if ev == nil {
			return nil, "", nil, nil
		}
		view, err := rt.EventView(ev)
		return view, "flag", nil, err
	}
	if len(c.EnterOn) == 0 {
		if ev != nil {
			return nil, "", nil, fmt.Errorf("campaign %q is entered by segment.%s, so its runs have no event, and a template it sends reads none", c.Name, c.Audience.Name)
		}
		return nil, "", nil, nil
	}
	if ev != nil {
		if !slices.Contains(c.EnterOn, ev.Type) {
			return nil, "", nil, fmt.Errorf("campaign %q is entered on %s, not %s: its runs have one of those as event.%s", c.Name, strings.Join(c.EnterOn, " or "), ev.Type, didYouMean(ev.Type, c.EnterOn))
		}
		kept, err := rt.KeptEvent(ev)
		return kept, "flag", nil, err
	}
	// The member's run under way, the latest entered, keeps the one
	// that started it: the event its sends are made with.
	var run *state.CampaignRun
	for _, r := range m.Runs(c.Name) {
		if r.Active() && r.Event != nil && (run == nil || r.EnteredAt.After(run.EnteredAt)) {
			run = r
		}
	}
	if run != nil {
		return run.Event, "run", run, nil
	}
	kept, err := rt.KeptEvent(&events.Event{ID: "sample", Type: c.EnterOn[0], Member: events.Member{ID: m.ID}, At: at, Source: "hearth"})
	return kept, "sample", nil, err
}

// asSent is text as the platform gets it: changed by its adapter where it
// changes text before posting (platform.Shaper), with what the adapter
// does at send time that cannot be shown here.
func asSent(p *config.Platform, channel, text string) (string, string, error) {
	action := map[string]platform.Action{"dm": platform.ActionDirectMessage, "channel": platform.ActionChannelMessage}[channel]
	if p == nil || action == "" {
		return text, "", nil
	}
	a, ok := registry().Lookup(p.Type)
	if !ok {
		return text, "", nil
	}
	sh, ok := a.(platform.Shaper)
	if !ok {
		return text, "", nil
	}
	res, err := sh.Shape(platform.ShapeRequest{Action: action, Settings: p.Settings, Text: text})
	if err != nil {
		return text, "", fmt.Errorf("%s: %w", p.Addr(), err)
	}
	note := res.Note
	if res.Text != text {
		note = strings.TrimSpace(fmt.Sprintf("%s changes the text before posting it (mass_mentions = false shows crowd mentions as text): it is shown as the platform gets it. %s", p.Addr(), note))
	}
	return res.Text, note, nil
}

var channelWords = map[string]string{"dm": "a direct message", "channel": "a channel message", "email": "an email", "webhook": "a webhook call"}

func printRendered(w io.Writer, cfg *config.Config, t *config.Template, v *renderView, forced bool) {
	fmt.Fprintf(w, "Template %s", v.Template)
	if v.Campaign != "" {
		fmt.Fprintf(w, ", as campaign %s sends it at step %s: %s", v.Campaign, v.Step, channelWords[v.Channel])
		if v.Platform != "" {
			fmt.Fprintf(w, " through %s", v.Platform)
		}
	} else {
		fmt.Fprint(w, ", outside a send")
	}
	fmt.Fprintln(w)
	who := v.Member.ID
	if v.Member.Name != "" {
		who += " (" + termsafe.Field(v.Member.Name) + ")"
	}
	if v.Member.Sample {
		who += ", the sample member (-member ID renders for a stored one)"
	}
	fmt.Fprintf(w, "Member:  %s\n", who)
	printEvent(w, cfg, t, v)
	printFigures(w, t, v)
	fmt.Fprintf(w, "Locale:  %s\n", localeWhy(v, forced))
	for _, r := range v.Messages {
		if len(v.Messages) > 1 && r.Locale == v.Locale {
			fmt.Fprintf(w, "\n--- %s (the member's) ---\n", r.Locale)
		} else {
			fmt.Fprintf(w, "\n--- %s ---\n", r.Locale)
		}
		if r.Error != "" {
			if v.Campaign != "" {
				fmt.Fprintf(w, "(no message: the send fails, and is recorded as a failed outcome)\nerror: %s\n", r.Error)
			} else {
				fmt.Fprintf(w, "(no message: it could not be made)\nerror: %s\n", r.Error)
			}
			continue
		}
		if r.Subject != "" {
			fmt.Fprintf(w, "Subject: %s\n\n", r.Subject)
		}
		fmt.Fprintln(w, strings.TrimRight(r.Text, "\n"))
		if r.HTML != "" {
			fmt.Fprintf(w, "--- %s html ---\n%s\n", r.Locale, strings.TrimRight(r.HTML, "\n"))
		}
	}
	if len(v.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range v.Notes {
			fmt.Fprintf(w, "Note: %s\n", n)
		}
	}
}

func printEvent(w io.Writer, cfg *config.Config, t *config.Template, v *renderView) {
	if v.Event == nil {
		if v.Campaign != "" {
			fmt.Fprintln(w, "Event:   none: the campaign's runs are entered by audience, with no event")
			return
		}
		fmt.Fprintln(w, "Event:   none (-event gives one)")
		// What the template reads of it, to give.
		reads, _ := eventReads(t)
		for _, k := range reads {
			fmt.Fprintf(w, "           %s (none)\n", k)
		}
		return
	}
	typ, _ := v.Event["type"].(string)
	from := map[string]string{"flag": "from -event", "run": "the one that started the member's run under way", "sample": "a sample, every attribute empty"}[v.EventFrom]
	if v.EventSample != "" {
		from = "a sample: " + v.EventSample
	}
	if v.RunKey != "" {
		from += fmt.Sprintf(" (key %q)", v.RunKey)
	}
	reads, whole := eventReads(t)
	what := from
	if typ != "" {
		what = typ + ", " + from
	}
	if !whole && len(reads) == 0 {
		fmt.Fprintf(w, "Event:   %s (the template reads none of it)\n", what)
		return
	}
	fmt.Fprintf(w, "Event:   %s\n", what)
	// As the template reads it: a stored run's values in their declared
	// types again, as the send restores them.
	shown := v.Event
	if restored, err := events.Restore(v.Event, cfg.EventTypes); err == nil {
		shown = restored
	}
	// The attributes the template reads, or all but the common ones when
	// it reads the event whole.
	names := reads
	if whole {
		names = nil
		for k := range shown {
			if _, common := rules.EventCommon[k]; !common {
				names = append(names, k)
			}
		}
		sort.Strings(names)
	}
	for _, k := range names {
		v, ok := shown[k]
		if !ok {
			fmt.Fprintf(w, "           %s (none)\n", k)
			continue
		}
		fmt.Fprintf(w, "           %s = %s\n", k, formatValue(v))
	}
}

// printFigures shows the sample figures an alert's template reads as
// community: those it reads, or all when it reads community whole.
func printFigures(w io.Writer, t *config.Template, v *renderView) {
	if v.Figures == nil {
		return
	}
	names, whole := reads(t, "community")
	if whole {
		names = nil
		for _, f := range rules.CommunityFields() {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		fmt.Fprintf(w, "Figures: %s, as community (the template reads none of them)\n", v.figuresAbout)
		return
	}
	fmt.Fprintf(w, "Figures: %s, as community\n", v.figuresAbout)
	for _, k := range names {
		if val := risk.Value(*v.Figures, k); val != nil {
			fmt.Fprintf(w, "           %s = %s\n", k, formatValue(val))
		} else {
			fmt.Fprintf(w, "           %s (none)\n", k)
		}
	}
}

// eventReads are the event attributes t reads, sorted; whole is set when
// it reads event otherwise than by attribute (lookup(event, ...)).
func eventReads(t *config.Template) (names []string, whole bool) { return reads(t, "event") }

// reads are the attributes of root (event, community) t reads, sorted;
// whole is set when it reads root otherwise than by attribute.
func reads(t *config.Template, root string) (names []string, whole bool) {
	seen := map[string]bool{}
	for _, texts := range []map[string]hcl.Expression{t.Text, t.Subject, t.HTML} {
		for _, e := range texts {
			for _, tr := range e.Variables() {
				if tr.RootName() != root {
					continue
				}
				var a hcl.TraverseAttr
				ok := len(tr) > 1
				if ok {
					a, ok = tr[1].(hcl.TraverseAttr)
				}
				if !ok {
					whole = true
					continue
				}
				if !seen[a.Name] {
					seen[a.Name] = true
					names = append(names, a.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names, whole
}

// localeWhy says which locale the member gets and why: the fallback
// chain, member locale, language, the template's default.
func localeWhy(v *renderView, forced bool) string {
	asked := v.Member.Locale
	whose := "the member's locale"
	if forced {
		whose = "the locale given with -locale"
	}
	lang, _, _ := strings.Cut(asked, "-")
	switch v.Fallback {
	case "exact":
		return fmt.Sprintf("%s, %s", v.Locale, whose)
	case "language":
		return fmt.Sprintf("%s, the language of %s %s, which has no text", v.Locale, whose, asked)
	case "sibling":
		return fmt.Sprintf("%s, the first text in %s (the language of %s %s, which has no text of its own)", v.Locale, lang, whose, asked)
	}
	if asked == "" {
		return fmt.Sprintf("%s, the template's default locale: the member has no locale", v.Locale)
	}
	return fmt.Sprintf("%s, the template's default locale: no text for %s %s or its language %s", v.Locale, whose, asked, lang)
}
