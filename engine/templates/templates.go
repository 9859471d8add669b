// Package templates renders message templates at send time: it picks the
// member's locale with fallback and evaluates the HCL template with
// member, event, community, now (the time of the send), and the
// configuration's tiers and badges by name in scope.
package templates

import (
	"fmt"
	"html"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/rules"
)

// Message is a rendered template.
type Message struct {
	Locale  string `json:"locale"`
	Text    string `json:"text"`
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	// Mentions are the places of Text where the template wrote
	// member.mention, for a platform whose adapter makes the mention
	// there (Target.MentionID).
	Mentions []platform.Mention `json:"mentions,omitempty"`
}

// Renderer renders the templates of one configuration snapshot. It is
// safe for concurrent use.
type Renderer struct {
	cfg *config.Config
	// tiers and badges are what templates read as tiers and badges,
	// made once: the configuration does not change under a renderer.
	tiers, badges cty.Value
	// zoned are cfg's functions with localdate bound to one zone, by
	// zone name: made once per zone members have, not per message.
	mu    sync.Mutex
	zoned map[string]map[string]function.Function
}

// New returns a renderer for cfg.
func New(cfg *config.Config) *Renderer {
	return &Renderer{cfg: cfg, tiers: config.TiersValue(cfg.Tiers), badges: config.BadgesValue(cfg.Badges)}
}

// functions are cfg's HCL functions for a message to a member in zone
// (an IANA name; "" or one Go does not know: the configuration's
// timezone), localdate showing times on the member's clock.
func (r *Renderer) functions(zone string) map[string]function.Function {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fs, ok := r.zoned[zone]; ok {
		return fs
	}
	loc := r.cfg.Settings.Timezone
	if zone != "" {
		if l, err := time.LoadLocation(zone); err == nil {
			loc = l
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	fs := make(map[string]function.Function, len(r.cfg.Functions)+1)
	maps.Copy(fs, r.cfg.Functions)
	fs[config.LocalDate] = config.LocalDateFunc(loc)
	if r.zoned == nil {
		r.zoned = map[string]map[string]function.Function{}
	}
	r.zoned[zone] = fs
	return fs
}

// Locale picks the text a member gets: their locale, then its language
// ("zh" for "zh-TW", or any "zh-*" text), then the template's default.
func Locale(t *config.Template, want string) string {
	loc, _ := Pick(t, want)
	return loc
}

// Fallback is how Pick came to the locale it gives.
type Fallback int

const (
	// Exact: the member's locale has a text.
	Exact Fallback = iota
	// Language: the language of the member's locale has one ("zh" for
	// "zh-TW").
	Language
	// Sibling: another locale of that language has one, the first by
	// name ("zh-CN" for "zh-TW").
	Sibling
	// Default: none of those (or the member has no locale), so the
	// template's default locale.
	Default
)

// Pick is Locale, with how it came to the locale: hearth template render
// says why a member gets the text they get.
func Pick(t *config.Template, want string) (string, Fallback) {
	if _, ok := t.Text[want]; ok && want != "" {
		return want, Exact
	}
	if want != "" {
		lang, _, _ := strings.Cut(want, "-")
		if _, ok := t.Text[lang]; ok {
			return lang, Language
		}
		best := ""
		for loc := range t.Text {
			if strings.HasPrefix(loc, lang+"-") && (best == "" || loc < best) {
				best = loc
			}
		}
		if best != "" {
			return best, Sibling
		}
	}
	return t.DefaultLocale, Default
}

// Markup is how the platform a message goes through reads its text: Plain
// or a combination of the others.
type Markup int

const (
	// Plain text: shown as written.
	Plain Markup = 0
	// Markdown: links, images and tags in the text are rendered (a WeCom
	// or DingTalk robot's markdown messages), so what members wrote is
	// quoted with MarkdownText.
	Markdown Markup = 1 << 0
	// AtMentions: "@name" in the text mentions and notifies that user
	// (Telegram), so what members wrote is quoted with MentionText.
	AtMentions Markup = 1 << 1
	// AtTags: an <at ...> tag in the text mentions a user or the whole
	// group (Feishu's <at user_id="...">), so what members wrote is
	// quoted with AtTagText.
	AtTags Markup = 1 << 2
)

// Render renders t for a member. A value a template reads that is missing
// at send time (an event attribute that is absent, say) is an error, not
// an empty string in someone's message. With Markdown, the text and
// subject quote every string members or events could have set through
// MarkdownText, with AtMentions through MentionText; the HTML part is
// always HTML-escaped. now is the time of the send, the event time its
// step came due (or the decision or alert was made), which the template
// reads as now, RFC 3339 text in UTC as every time it reads, so
// localdate shows it on the member's clock and a replay renders what the
// live send did.
func (r *Renderer) Render(t *config.Template, m *rules.Member, event map[string]any, community *rules.Community, now time.Time, markup Markup) (Message, error) {
	return r.RenderTo(t, m, event, community, now, Target{Markup: markup})
}

// Target is what a message's platform makes of its text: its Markup,
// and Mention, the text that mentions the member there (Discord's
// <@id>), which templates read as member.mention; "" writes the
// member's name, quoted as member.name is. With MentionID (the member's
// id on the platform), the message's Mentions say where in the text
// member.mention was written, so the adapter makes the mention there:
// a Matrix pill, a Telegram text_mention.
type Target struct {
	Markup    Markup
	Mention   string
	MentionID string
}

// RenderTo is Render for a message going through a platform that can
// mention the member (to.Mention): member.mention is that mention, as it
// is, never quoted as what members wrote is, so it notifies them.
func (r *Renderer) RenderTo(t *config.Template, m *rules.Member, event map[string]any, community *rules.Community, now time.Time, to Target) (Message, error) {
	markup := to.Markup
	loc := Locale(t, m.Locale)
	ctx, err := r.context(m, event, community, now)
	if err != nil {
		return Message{}, err
	}
	msg := Message{Locale: loc}
	parts := []struct {
		texts map[string]hcl.Expression
		out   *string
		name  string
	}{{t.Text, &msg.Text, "text"}, {t.Subject, &msg.Subject, "subject"}, {t.HTML, &msg.HTML, "html"}}
	quote := func(s string) string {
		if markup&Markdown != 0 {
			s = MarkdownText(s)
		}
		if markup&AtMentions != 0 {
			s = MentionText(s)
		}
		if markup&AtTags != 0 {
			s = AtTagText(s)
		}
		return s
	}
	unmarked := func(s string) string { return quote(strings.ReplaceAll(s, mentionMark, "")) }
	for _, p := range parts {
		expr, ok := p.texts[loc]
		if !ok {
			expr, ok = p.texts[t.DefaultLocale]
		}
		if !ok {
			continue
		}
		ectx := ctx
		marked := p.name == "text" && to.MentionID != ""
		switch {
		case marked:
			// member.mention is a mark, found and replaced once the
			// text is made; what members set cannot hold one.
			ectx = quotedContext(ctx, unmarked, mentionMark)
		case p.name == "html":
			ectx = quotedContext(ctx, html.EscapeString, html.EscapeString(to.Mention))
		case markup != Plain:
			ectx = quotedContext(ctx, quote, to.Mention)
		}
		if to.Mention != "" && ectx == ctx {
			ectx = withMention(ctx, to.Mention)
		}
		s, err := evalText(t, p.name, loc, expr, ectx)
		if err != nil {
			return Message{}, err
		}
		if marked {
			shown := to.Mention
			if shown == "" {
				shown = unmarked(m.Name)
			}
			s, msg.Mentions = placeMentions(s, shown, to.MentionID)
		}
		*p.out = s
	}
	msg.Subject = SubjectLine(msg.Subject)
	return msg, nil
}

// mentionMark stands for member.mention while a text whose mentions the
// adapter makes is evaluated: a Unicode noncharacter, which no text
// shows, taken out of every value members or events set.
const mentionMark = "\uFDD0"

// placeMentions writes shown for each mentionMark in s, noting where
// (empty text is no mention).
func placeMentions(s, shown, id string) (string, []platform.Mention) {
	if !strings.Contains(s, mentionMark) {
		return s, nil
	}
	var b strings.Builder
	var out []platform.Mention
	for {
		before, after, found := strings.Cut(s, mentionMark)
		b.WriteString(before)
		if !found {
			break
		}
		if shown != "" {
			out = append(out, platform.Mention{ID: id, Start: b.Len(), End: b.Len() + len(shown)})
			b.WriteString(shown)
		}
		s = after
	}
	return b.String(), out
}

// evalText evaluates one part of t: its text as a string.
func evalText(t *config.Template, part, loc string, expr hcl.Expression, ectx *hcl.EvalContext) (string, error) {
	// Numbers as people write them (540.9, not HCL's 512-bit
	// 540.8999…); HCL's own evaluation for anything else, and for
	// its errors.
	if s, ok := config.TemplateString(expr, ectx); ok {
		return s, nil
	}
	v, diags := expr.Value(ectx)
	if diags.HasErrors() {
		return "", fmt.Errorf("template %s %s (%s): %s", t.Name, part, loc, diags.Error())
	}
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", fmt.Errorf("template %s %s (%s) did not give text", t.Name, part, loc)
	}
	return v.AsString(), nil
}

// SubjectLine is an email subject made one line: each run of line
// breaks and other control characters (a tab, an escape, U+0085, U+2028,
// U+2029) becomes one space, and the white space at either end is cut.
// A member's name with a line break in it, or a heredoc's last line
// break, then gives a subject that goes, where the mailer would refuse
// it (platform.CheckMail: a line break in a header could add one), and
// template render, simulate and the outbox all show what is sent.
func SubjectLine(s string) string {
	if !strings.ContainsFunc(s, breaksLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		if breaksLine(r) {
			gap = true
			continue
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// breaksLine reports whether r has no place in a one-line header: a
// control character, or a line or paragraph separator.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

func (r *Renderer) context(m *rules.Member, event map[string]any, community *rules.Community, now time.Time) (*hcl.EvalContext, error) {
	vars := map[string]cty.Value{}
	vs := map[string]cty.Value{}
	for _, v := range r.cfg.Variables {
		if !v.Sensitive {
			vs[v.Name] = v.Value
		}
	}
	vars["var"] = cty.ObjectVal(vs)
	vars["local"] = cty.ObjectVal(r.cfg.Locals)
	vars["member"] = memberValue(m)
	if community == nil {
		community = &rules.Community{}
	}
	vars["community"] = communityValue(community)
	ev := map[string]cty.Value{}
	for k, v := range event {
		ev[k] = toCty(v)
	}
	vars["event"] = cty.ObjectVal(ev)
	vars[config.TemplateNow] = cty.StringVal(now.UTC().Format(time.RFC3339))
	vars[config.TemplateTiers] = r.tiers
	vars[config.TemplateBadges] = r.badges
	return &hcl.EvalContext{Variables: vars, Functions: r.functions(m.Timezone)}, nil
}

func memberValue(m *rules.Member) cty.Value {
	attrs := map[string]cty.Value{}
	for k, v := range m.Attrs {
		attrs[k] = toCty(v)
	}
	t := func(x time.Time) cty.Value {
		if x.IsZero() {
			return cty.StringVal("")
		}
		return cty.StringVal(x.Format(time.RFC3339))
	}
	return cty.ObjectVal(map[string]cty.Value{
		"id": cty.StringVal(m.ID), "name": cty.StringVal(m.Name), "platform": cty.StringVal(m.Platform),
		"locale": cty.StringVal(m.Locale), "timezone": cty.StringVal(m.Timezone),
		"joined_at": t(m.JoinedAt), "last_active_at": t(m.LastActiveAt),
		"days_since_joined": cty.NumberIntVal(int64(m.DaysSinceJoined)), "days_since_active": cty.NumberIntVal(int64(m.DaysSinceActive)),
		"left": cty.BoolVal(m.Left), "left_at": t(m.LeftAt), "days_since_left": cty.NumberIntVal(int64(m.DaysSinceLeft)),
		"points": cty.NumberIntVal(int64(m.Points)), "points_earned": cty.NumberIntVal(int64(m.PointsEarned)),
		"messages": cty.NumberIntVal(int64(m.Messages)), "posts": cty.NumberIntVal(int64(m.Posts)),
		"reactions": cty.NumberIntVal(int64(m.Reactions)), "referrals": cty.NumberIntVal(int64(m.Referrals)),
		"badges": cty.NumberIntVal(int64(m.Badges)), "tier": cty.StringVal(m.Tier), "tier_rank": cty.NumberIntVal(int64(m.TierRank)),
		"strikes": cty.NumberIntVal(int64(m.Strikes)), "attrs": cty.ObjectVal(attrs),
		"unsubscribed": cty.BoolVal(m.Unsubscribed), "unsubscribed_from": stringList(m.UnsubscribedFrom),
		"bounced": cty.BoolVal(m.Bounced), "bounced_from": stringList(m.BouncedFrom),
		// The name, until RenderTo's platform gives a mention: quoted
		// as the name is, since members set it.
		config.MemberMention: cty.StringVal(m.Name),
	})
}

// withMention is ctx with member.mention set to mention, as the
// platform writes it: after quoting, so that no word joiner or escape
// keeps it from notifying the member.
func withMention(ctx *hcl.EvalContext, mention string) *hcl.EvalContext {
	vars := make(map[string]cty.Value, len(ctx.Variables))
	maps.Copy(vars, ctx.Variables)
	member := ctx.Variables["member"].AsValueMap()
	member[config.MemberMention] = cty.StringVal(mention)
	vars["member"] = cty.ObjectVal(member)
	return &hcl.EvalContext{Variables: vars, Functions: ctx.Functions}
}

func stringList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

// toCty converts decoded JSON-ish values.
func toCty(v any) cty.Value {
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case string:
		return cty.StringVal(x)
	case bool:
		return cty.BoolVal(x)
	case time.Time:
		return cty.StringVal(x.Format(time.RFC3339))
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal
		}
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			vals[i] = toCty(e)
		}
		return cty.TupleVal(vals)
	case map[string]any:
		m := map[string]cty.Value{}
		for k, e := range x {
			m[k] = toCty(e)
		}
		return cty.ObjectVal(m)
	}
	if n, err := gocty.ToCtyValue(v, cty.Number); err == nil {
		return n
	}
	return cty.StringVal(fmt.Sprint(v))
}

// communityValue is every field of community by its rule name, figures
// included, so alert templates can quote them.
func communityValue(c *rules.Community) cty.Value {
	out := map[string]cty.Value{}
	v := reflect.ValueOf(*c)
	t := v.Type()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("expr")
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			out[name] = cty.StringVal(f.String())
		case reflect.Int:
			out[name] = cty.NumberIntVal(f.Int())
		case reflect.Float64:
			out[name] = cty.NumberFloatVal(f.Float())
		}
	}
	return cty.ObjectVal(out)
}

// quotedContext is ctx with every string members or events could have set
// (member, event, community) passed through quote: HTML-escaped for an
// email's HTML part, so a name is shown as text and cannot add a link or a
// form to mail sent in the community's name; MarkdownText for a markdown
// message. var and local are the operator's, markup included, and are
// left as they are.
func quotedContext(ctx *hcl.EvalContext, quote func(string) string, mention string) *hcl.EvalContext {
	vars := make(map[string]cty.Value, len(ctx.Variables))
	for k, v := range ctx.Variables {
		if k == "member" || k == "event" || k == "community" {
			v = quoteStrings(v, quote)
		}
		vars[k] = v
	}
	out := &hcl.EvalContext{Variables: vars, Functions: ctx.Functions}
	if mention != "" {
		out = withMention(out, mention)
	}
	return out
}

func quoteStrings(v cty.Value, quote func(string) string) cty.Value {
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			s, marks := v.Unmark()
			return cty.StringVal(quote(s.AsString())).WithMarks(marks), nil
		}
		return v, nil
	})
	return out
}

// wordJoiner is invisible and joins nothing: the text reads the same.
const wordJoiner = "\u2060"

// MarkdownText keeps s from adding markup that acts to a markdown message:
// a word joiner follows every ] and <, so "[x](url)", "![x](url)" and
// "[x][1]" are no link or image, and "<@userid>" (a WeCom mention) or
// "<font ...>" no tag, even when the rest of the construct comes from the
// template around s. A backslash would do in CommonMark, but the robots'
// renderers do not document escapes; emphasis and headings are left, as
// they only change how the member's own words look.
func MarkdownText(s string) string {
	if !strings.ContainsAny(s, "]<") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		if r == ']' || r == '<' {
			b.WriteString(wordJoiner)
		}
	}
	return b.String()
}

// atTag is the start of an <at ...> tag as Feishu reads it: any case,
// spaces before the name.
var atTag = regexp.MustCompile(`(?i)<(\s*at(?:[\s/>]|$))`)

// AtTagText keeps s from mentioning anyone where an <at ...> tag is a
// mention (Feishu's <at user_id="ou_...">, <at user_id="all">): the '<'
// of each becomes a full-width '＜', which reads the same and is no tag.
// A tag the template itself writes is the operator's and stays a
// mention.
func AtTagText(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return atTag.ReplaceAllString(s, "＜$1")
}

// MentionText keeps s from mentioning anyone where "@name" is a mention
// (Telegram's @username, which notifies that user): a word joiner follows
// every @, so "@boss" reads the same and is no mention. An @ the template
// itself writes is the operator's and stays a mention, even before a
// value: "@${member.name}" mentions whoever the name says.
func MentionText(s string) string {
	return strings.ReplaceAll(s, "@", "@"+wordJoiner)
}
