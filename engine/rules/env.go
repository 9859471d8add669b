package rules

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"time"
)

// Member is what a rule sees of one member as `member`. The runtime fills
// it from the store before a rule runs; derived fields (days since ...)
// are computed against the evaluation time, not the wall clock, so replays
// give the same answers as live runs.
type Member struct {
	ID               string         `expr:"id" doc:"The member's hearth id."`
	Name             string         `expr:"name" doc:"Display name."`
	Platform         string         `expr:"platform" doc:"Platform the member was first seen on."`
	Locale           string         `expr:"locale" doc:"Preferred locale, such as \"en\" or \"zh-CN\"."`
	Timezone         string         `expr:"timezone" doc:"IANA time zone, such as \"Europe/Berlin\"."`
	JoinedAt         time.Time      `expr:"joined_at" doc:"When the member joined (first event if no member.joined was seen)."`
	LastActiveAt     time.Time      `expr:"last_active_at" doc:"Time of the member's latest activity event."`
	DaysSinceJoined  int            `expr:"days_since_joined" doc:"Whole days since joined_at."`
	DaysSinceActive  int            `expr:"days_since_active" doc:"Whole days since last_active_at (very large when never active)."`
	Left             bool           `expr:"left" doc:"Whether the member has left the community (member.left) and not come back (member.joined)."`
	LeftAt           time.Time      `expr:"left_at" doc:"When the member last left the community; kept when they come back, so a welcome back can tell how long they were away. The zero time when they never left."`
	DaysSinceLeft    int            `expr:"days_since_left" doc:"Whole days since left_at (very large when never left): member.left && member.days_since_left >= 7 is a week away."`
	Unsubscribed     bool           `expr:"unsubscribed" doc:"Whether the member unsubscribed from email (email.unsubscribed, through any email platform's List-Unsubscribe link) and has not resubscribed (email.resubscribed). hearth sends them no email through the platforms they left, whatever the rules say, except sends with transactional = true; stop_when = \"member.unsubscribed\" also ends a campaign at it, as exited."`
	UnsubscribedFrom []string       `expr:"unsubscribed_from" doc:"The email platforms the member unsubscribed from, in order, such as [\"email.news\"]; \"email\" stands for all of them (an email.unsubscribed that names no platform): \"email.news\" in member.unsubscribed_from || \"email\" in member.unsubscribed_from asks about one. Empty when subscribed."`
	Bounced          bool           `expr:"bounced" doc:"Whether the member's email address bounced (a hard bounce, email.bounced) through any email platform and nothing has lifted it (email.resubscribed, or a new email identity). hearth sends that address no email through the platforms it bounced at, whatever the rules say, except sends with transactional = true; stop_when = \"member.bounced\" also ends a campaign at it, as exited."`
	BouncedFrom      []string       `expr:"bounced_from" doc:"The email platforms the member's address bounced at, in order, such as [\"email.news\"]: \"email.news\" in member.bounced_from asks about one. Empty when none did."`
	Points           int            `expr:"points" doc:"Current points balance (granted minus spent and expired)."`
	PointsEarned     int            `expr:"points_earned" doc:"All points ever granted."`
	Messages         int            `expr:"messages" doc:"Messages posted, all time."`
	Posts            int            `expr:"posts" doc:"Posts (questions, answers, topics) created, all time."`
	Reactions        int            `expr:"reactions" doc:"Reactions given, all time."`
	Referrals        int            `expr:"referrals" doc:"The distinct members this member referred who converted (referral.converted naming them as referee): a friend converting again counts once, and the member never counts themselves."`
	Referrer         string         `expr:"referrer" doc:"Who referred the member: the referrer of the member.joined they joined with (their first, or one coming back after member.left while none was credited), never the member themselves; a join again while still a member, through any link, changes nothing. Empty when none did. hearth member list -referrer ID lists the members ID referred."`
	Badges           int            `expr:"badges" doc:"Badge awards held."`
	Tier             string         `expr:"tier" doc:"Current tier name, empty when on no tier."`
	TierRank         int            `expr:"tier_rank" doc:"Rank of the current tier, 0 when on no tier."`
	Strikes          int            `expr:"strikes" doc:"Moderation strikes not yet decayed."`
	Attrs            map[string]any `expr:"attrs" doc:"Profile attributes from member.profile_updated and imports, such as member.attrs.reputation. They have no declared type and a missing one is nil, so give a default before comparing: (member.attrs.reputation ?? 0) > 10. As a condition, compare one with true: member.attrs.vip == true, false when it is missing or anything but true (validate warns about a bare member.attrs.vip, which fails at run time when it is a string or a number, and beside &&, || or ! when it is missing too). In a predicate, give the list a default too: any(member.attrs.tags ?? [], {# == 'mentor'})."`
}

// Community is what a rule sees as `community`.
type Community struct {
	Name string `expr:"name" json:"name" doc:"The name of the community the event is in: the block's, or in a capacity family's sub-community its own (oss-2)."`
	// Parent is the family's first community, the block: rules written
	// for the block read it to treat the family as one.
	Parent   string `expr:"parent" json:"parent" doc:"The community block's name, the first of its capacity family: the same as name outside a sub-community (oss in oss-2)."`
	Title    string `expr:"title" json:"title" doc:"The community's title: in a sub-community, the block's with its place (\"Widget OSS 2\"), as on the platform."`
	Platform string `expr:"platform" json:"platform" doc:"Platform address, such as \"local.main\"."`
	Members  int    `expr:"members" json:"members" doc:"Current member count."`
	Capacity int    `expr:"capacity" json:"capacity" doc:"Configured capacity (0 when unlimited)."`
	// Figures over rolling windows, kept incrementally per community
	// from its events (engine/risk), for alerts and rules.
	CapacityUsed     float64 `expr:"capacity_used" json:"capacity_used" doc:"members / capacity (0 when unlimited), of the community the event is in (a sub-community has its own); past 1 it is over capacity (see on_capacity)."`
	Joined24h        int     `expr:"joined_24h" json:"joined_24h" doc:"Members who joined in the last 24 hours."`
	Left24h          int     `expr:"left_24h" json:"left_24h" doc:"Members who left in the last 24 hours."`
	Left7d           int     `expr:"left_7d" json:"left_7d" doc:"Members who left in the last 7 days."`
	Messages1h       int     `expr:"messages_1h" json:"messages_1h" doc:"Messages in the current clock hour (windows count whole hours: _24h is this hour and the 23 before)."`
	Messages24h      int     `expr:"messages_24h" json:"messages_24h" doc:"Messages in the last 24 hours."`
	Messages7d       int     `expr:"messages_7d" json:"messages_7d" doc:"Messages in the last 7 days."`
	MessagesUsual24h float64 `expr:"messages_usual_24h" json:"messages_usual_24h" doc:"The usual level: messages per day on average over the 28 days before today, UTC (fewer while the community is younger)."`
	Flagged1h        int     `expr:"flagged_1h" json:"flagged_1h" doc:"Messages a moderation rule matched in the current clock hour."`
	Flagged24h       int     `expr:"flagged_24h" json:"flagged_24h" doc:"Messages a moderation rule matched in the last 24 hours."`
	Negative1h       int     `expr:"negative_1h" json:"negative_1h" doc:"Messages the sentiment scorer found negative in the current clock hour."`
	Negative24h      int     `expr:"negative_24h" json:"negative_24h" doc:"Messages the sentiment scorer found negative in the last 24 hours."`
	Reports24h       int     `expr:"reports_24h" json:"reports_24h" doc:"message.reported events in the last 24 hours."`
	Active1d         int     `expr:"active_1d" json:"active_1d" doc:"Members active today (UTC)."`
	Active7d         int     `expr:"active_7d" json:"active_7d" doc:"Members active in the last 7 days."`
	Active30d        int     `expr:"active_30d" json:"active_30d" doc:"Members active in the last 30 days."`
	ActiveRatio1d    float64 `expr:"active_ratio_1d" json:"active_ratio_1d" doc:"active_1d / members."`
	ActiveRatio7d    float64 `expr:"active_ratio_7d" json:"active_ratio_7d" doc:"active_7d / members."`
	ActiveRatio30d   float64 `expr:"active_ratio_30d" json:"active_ratio_30d" doc:"active_30d / members."`
}

// Field describes one field of member or community, for explain and
// for "did you mean" hints.
type Field struct {
	Name string
	Type string
	Doc  string
}

// MemberFields lists what `member.` offers, read from the struct tags so
// the reference cannot drift from the code.
func MemberFields() []Field { return fieldsOf(reflect.TypeOf(Member{})) }

// CommunityFields lists what `community.` offers.
func CommunityFields() []Field { return fieldsOf(reflect.TypeOf(Community{})) }

func fieldsOf(t reflect.Type) []Field {
	out := make([]Field, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, Field{Name: f.Tag.Get("expr"), Type: typeName(f.Type), Doc: f.Tag.Get("doc")})
	}
	return out
}

func typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(time.Time{}):
		return "time"
	case reflect.TypeOf(map[string]any{}):
		return "map"
	case reflect.TypeOf([]string{}):
		return "list"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "int"
	case reflect.Float64:
		return "float"
	}
	return t.Kind().String()
}

// AttrType is the type of an event attribute, as declared in an `event`
// block or built in for the standard event types.
type AttrType string

const (
	TypeString AttrType = "string"
	TypeInt    AttrType = "int"
	TypeFloat  AttrType = "float"
	TypeBool   AttrType = "bool"
	TypeTime   AttrType = "time"
	TypeList   AttrType = "list"
	TypeAny    AttrType = "any"
)

// AttrTypes are the types an event attribute may declare.
var AttrTypes = []AttrType{TypeString, TypeInt, TypeFloat, TypeBool, TypeTime, TypeList, TypeAny}

// EventType is one event type and the attributes its events carry.
type EventType struct {
	Name  string
	Doc   string
	Attrs map[string]AttrType
	// Activity marks event types that count as the member being active.
	Activity bool
}

// EventCommon are the attributes every event has, beside its own.
var EventCommon = map[string]AttrType{
	"id":     TypeString,
	"type":   TypeString,
	"at":     TypeTime,
	"member": TypeString,
	"source": TypeString,
}

// StandardEvents are the event types hearth knows without declaration.
func StandardEvents() []EventType {
	return []EventType{
		{Name: "member.joined", Doc: "A member joined the community. referrer names who referred them: hearth credits it to member.referrer when they join (their first join, or back after member.left with none credited), never to themselves, and not on a join again while still a member.", Attrs: map[string]AttrType{"referrer": TypeString, "invite": TypeString, "community": TypeString, "name": TypeString, "locale": TypeString, "timezone": TypeString}},
		{Name: "member.imported", Doc: "A member's opening state, brought over from another tool by hearth import members: joined (their join time), points (an opening balance), badges (badge names), tier (a tier name), name, locale, timezone and other profile attributes. hearth sets them as they are: no welcome, and no incentive or campaign fires unless it lists member.imported itself.", Attrs: map[string]AttrType{"joined": TypeTime, "points": TypeInt, "badges": TypeList, "tier": TypeString, "name": TypeString, "locale": TypeString, "timezone": TypeString}},
		{Name: "member.left", Doc: "A member left or was removed.", Attrs: map[string]AttrType{"community": TypeString, "reason": TypeString}},
		{Name: "member.profile_updated", Doc: "Profile attributes changed; attrs are merged into member.attrs.", Attrs: map[string]AttrType{"name": TypeString, "locale": TypeString, "timezone": TypeString, "reputation": TypeInt, "about": TypeString, "location": TypeString, "website": TypeString, "upvotes": TypeInt, "downvotes": TypeInt, "views": TypeInt}},
		{Name: "message.posted", Doc: "A chat message, comment or reply.", Activity: true, Attrs: map[string]AttrType{"channel": TypeString, "channel_id": TypeString, "text": TypeString, "length": TypeInt, "links": TypeInt, "mentions": TypeInt, "reply_to": TypeString, "thread": TypeString, "post_id": TypeString, "score": TypeInt}},
		{Name: "message.edited", Doc: "A message was edited.", Activity: true, Attrs: map[string]AttrType{"channel": TypeString, "channel_id": TypeString, "text": TypeString, "post_id": TypeString}},
		{Name: "reaction.added", Doc: "A reaction to a message or post.", Activity: true, Attrs: map[string]AttrType{"emoji": TypeString, "target": TypeString, "target_member": TypeString, "channel": TypeString, "channel_id": TypeString}},
		{Name: "post.created", Doc: "A topic, question or answer was created.", Activity: true, Attrs: map[string]AttrType{"post_id": TypeString, "kind": TypeString, "parent_id": TypeString, "parent_member": TypeString, "title": TypeString, "tags": TypeList, "length": TypeInt, "score": TypeInt}},
		{Name: "post.edited", Doc: "A post was edited by this member.", Activity: true, Attrs: map[string]AttrType{"post_id": TypeString, "kind": TypeString, "owner": TypeString, "field": TypeString}},
		{Name: "post.voted", Doc: "A vote was cast on the member's post; score is the post's score after it.", Attrs: map[string]AttrType{"post_id": TypeString, "kind": TypeString, "vote": TypeString, "score": TypeInt, "parent_id": TypeString, "parent_member": TypeString, "self_answer": TypeBool}},
		{Name: "post.accepted", Doc: "The member's answer was accepted.", Attrs: map[string]AttrType{"post_id": TypeString, "parent_id": TypeString, "parent_member": TypeString, "score": TypeInt, "self_answer": TypeBool}},
		{Name: "post.viewed", Doc: "A post's view count passed a mark.", Attrs: map[string]AttrType{"post_id": TypeString, "kind": TypeString, "views": TypeInt}},
		{Name: "referral.converted", Doc: "A member referred by this member became active; the event belongs to the referrer and names the member referred as referee. member.referrals counts each referee once, never the referrer themselves (a referee reported again, or none, adds nothing); an incentive pays once per referee with once_per = \"event.referee\".", Attrs: map[string]AttrType{"referee": TypeString, "referrer": TypeString}},
		{Name: "purchase.made", Doc: "A purchase or payment.", Attrs: map[string]AttrType{"amount": TypeFloat, "currency": TypeString, "product": TypeString}},
		{Name: "checkin", Doc: "A daily check-in or attendance.", Activity: true, Attrs: map[string]AttrType{"place": TypeString, "event_name": TypeString}},
		{Name: "reaction.received", Doc: "Someone reacted to the member's message or post (emitted by hearth for reaction.added with a target_member).", Attrs: map[string]AttrType{"from": TypeString, "emoji": TypeString, "channel": TypeString, "channel_id": TypeString, "target": TypeString}},
		{Name: "message.reported", Doc: "The member reported a message or another member to the moderators.", Attrs: map[string]AttrType{"target_member": TypeString, "post_id": TypeString, "channel": TypeString, "channel_id": TypeString, "reason": TypeString}},
		{Name: "moderation.violated", Doc: "A moderation rule matched the member's message (emitted by hearth).", Attrs: map[string]AttrType{"rule": TypeString, "action": TypeString, "strikes": TypeInt, "evidence": TypeString}},
		{Name: "alert.raised", Doc: "An alert fired; sent to its responders (emitted by hearth).", Attrs: map[string]AttrType{"alert": TypeString, "severity": TypeString, "community": TypeString, "summary": TypeString}},
		{Name: "segment.entered", Doc: "The member entered a segment (emitted by hearth).", Attrs: map[string]AttrType{"segment": TypeString}},
		{Name: "segment.left", Doc: "The member left a segment (emitted by hearth).", Attrs: map[string]AttrType{"segment": TypeString}},
		{Name: "tier.changed", Doc: "The member's tier changed (emitted by hearth).", Attrs: map[string]AttrType{"from": TypeString, "to": TypeString, "direction": TypeString}},
		{Name: "badge.awarded", Doc: "The member was awarded a badge (emitted by hearth).", Attrs: map[string]AttrType{"badge": TypeString, "class": TypeString}},
		{Name: "invite.sent", Doc: "The member invited someone; the invitee's member.joined carries the member as referrer.", Attrs: map[string]AttrType{"invite": TypeString, "to": TypeString, "channel": TypeString}},
		{Name: "message.direct", Doc: "The member wrote to hearth directly (a direct message to the app), such as a reply to a survey.", Attrs: map[string]AttrType{"text": TypeString}},
		{Name: "email.unsubscribed", Doc: "The member asked for no more email from an email platform: its List-Unsubscribe link, answered by `hearth run` at /v1/inbound/email/NAME. hearth records it on the member (member.unsubscribed, member.unsubscribed_from) and sends them no more email through that platform (platform, such as \"email.news\"; all email platforms when it names none), queued or not, except transactional sends.", Attrs: map[string]AttrType{"platform": TypeString, "list": TypeString}},
		{Name: "email.resubscribed", Doc: "The member asked for email again: lifts an email.unsubscribed from the platform (platform, such as \"email.news\"; every email platform when it names none), and an email.bounced through it. An unsubscribe or bounce recorded after the event's time stays.", Attrs: map[string]AttrType{"platform": TypeString}},
		{Name: "email.bounced", Doc: "The member's address was refused for good (a hard bounce: an SMTP 5.1.x reply, such as \"550 5.1.1 no such user\") when hearth sent through an email platform; the outbox ingests it as the email dead-letters. hearth records it on the member (member.bounced, member.bounced_from, hearth member show) and sends no more email but transactional email through that platform (platform, such as \"email.news\") to that address, queued or not, until email.resubscribed or a new email identity. code is the SMTP code and enhanced status (\"550 5.1.1\"), reply the server's reply with the address masked.", Attrs: map[string]AttrType{"platform": TypeString, "code": TypeString, "reply": TypeString}},
		{Name: "feedback.submitted", Doc: "The member answered a survey question: score (0-10) for score questions, choice for the others. Emitted by hearth for survey replies.", Attrs: map[string]AttrType{"survey": TypeString, "question": TypeString, "score": TypeInt, "choice": TypeString, "comment": TypeString}},
	}
}

// sortedKeys returns the keys of m in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// namedAttrs are the attributes of hearth's own events whose values are
// names from the configuration.
var namedAttrs = map[string]map[string]ArgKind{
	"message.posted":    {"channel": ArgChannel},
	"message.edited":    {"channel": ArgChannel},
	"message.reported":  {"channel": ArgChannel},
	"reaction.added":    {"channel": ArgChannel},
	"reaction.received": {"channel": ArgChannel},
	"segment.entered":   {"segment": ArgSegment},
	"segment.left":      {"segment": ArgSegment},
	"tier.changed":      {"from": ArgTier, "to": ArgTier},
	"badge.awarded":     {"badge": ArgBadge},
}

// choiceAttrs are the attributes of hearth's own events that only ever
// hold one of a few values.
var choiceAttrs = map[string]map[string][]string{
	"tier.changed":        {"direction": {"down", "up"}},
	"moderation.violated": {"action": {"ban", "flag", "kick", "mute", "remove", "warn"}},
}

// EventChoices is Scope.EventChoices for a rule listening to the types:
// the attributes that hold one of a fixed set of values in every one of
// them, with the values any of them can hold.
func EventChoices(types []string) map[string][]string {
	var out map[string][]string
	for i, t := range types {
		attrs := choiceAttrs[t]
		if i == 0 {
			out = maps.Clone(attrs)
			continue
		}
		for k, vals := range out {
			more, ok := attrs[k]
			if !ok {
				delete(out, k)
				continue
			}
			merged := slices.Clone(vals)
			for _, v := range more {
				if !slices.Contains(merged, v) {
					merged = append(merged, v)
				}
			}
			sort.Strings(merged)
			out[k] = merged
		}
	}
	return out
}

// EventNames is Scope.EventNames for a rule listening to the types: the
// attributes that name the same kind of thing in every one of them.
func EventNames(types []string) map[string]ArgKind {
	var out map[string]ArgKind
	for i, t := range types {
		attrs := namedAttrs[t]
		if i == 0 {
			out = maps.Clone(attrs)
			continue
		}
		for k, kind := range out {
			if got, ok := attrs[k]; !ok || got != kind {
				delete(out, k)
			}
		}
	}
	return out
}
