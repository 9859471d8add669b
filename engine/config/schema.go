package config

import (
	"github.com/hashicorp/hcl/v2"
)

// Kind is the kind of value an attribute takes. The decoder converts and
// checks values by kind, and `hearth explain` describes them by kind, so
// the reference and the decoder cannot disagree.
type Kind int

const (
	KindString      Kind = iota // text; shown to people, so never sensitive
	KindSetting                 // text that may be sensitive (platform settings, URLs)
	KindNumber                  // a whole number
	KindBool                    // true or false
	KindDuration                // "14d", "72h"
	KindRate                    // "5/30d"
	KindClock                   // "22:00"
	KindEnum                    // one of Attr.Enum
	KindRule                    // an expr rule giving bool
	KindStringRule              // an expr rule giving a string
	KindTimeRule                // an expr rule giving a time
	KindEventTypes              // an event type or a list of them
	KindRef                     // a reference to another block
	KindStringList              // a list of strings
	KindStringMap               // a map of strings
	KindLocaleText              // locale = template text, rendered at send time
	KindLocaleLists             // locale = list of strings
	KindAny                     // any value
	KindType                    // a type constraint (variable blocks)
	KindColor                   // "#rrggbb"
)

var kindNames = map[Kind]string{
	KindString: "string", KindSetting: "string", KindNumber: "number", KindBool: "bool",
	KindDuration: "duration", KindRate: "rate", KindClock: "time of day", KindEnum: "string",
	KindRule: "rule", KindStringRule: "rule (string)", KindTimeRule: "rule (time)", KindEventTypes: "event type(s)",
	KindRef: "reference", KindStringList: "list of strings", KindStringMap: "map of strings",
	KindLocaleText: "map of locale to template", KindLocaleLists: "map of locale to list of strings",
	KindAny: "any", KindType: "type", KindColor: "color",
}

func (k Kind) String() string { return kindNames[k] }

// Attr describes one attribute of a block.
type Attr struct {
	Name     string
	Kind     Kind
	Required bool
	Doc      string
	Enum     []string // KindEnum: allowed values
	// Dropped are KindEnum values hearth once took and no longer does,
	// each with why and what to write instead: validate says so, rather
	// than only listing the values there are.
	Dropped map[string]string
	Refs    []string // KindRef: allowed reference kinds, such as "template" or "role"
	Default string   // shown by explain
	Secret  bool     // a credential: should come from a sensitive variable
	Example string
}

// Block describes one block type.
type Block struct {
	Type    string
	Labels  []string
	Doc     string
	Example string
	Attrs   []Attr
	Blocks  []*Block
	// Single blocks may appear at most once in their parent.
	Single bool
	// FreeAttrs bodies take any attribute names (locals).
	FreeAttrs bool
}

func (b *Block) attr(name string) *Attr {
	for i := range b.Attrs {
		if b.Attrs[i].Name == name {
			return &b.Attrs[i]
		}
	}
	return nil
}

func (b *Block) block(typ string) *Block {
	for _, c := range b.Blocks {
		if c.Type == typ {
			return c
		}
	}
	return nil
}

// HCLSchema is the hcl schema the decoder reads this block with.
func (b *Block) HCLSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range b.Attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, c := range b.Blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: c.Type, LabelNames: c.Labels})
	}
	return s
}

var lifecycleAttrs = []Attr{
	{Name: "prevent_destroy", Kind: KindBool, Doc: "Refuse any plan that would delete this object (and its copies in a capacity family's sub-communities, except when an empty sub-community the family no longer needs is removed).", Default: "false"},
	{Name: "ignore_changes", Kind: KindStringList, Doc: "Attributes whose drift on the platform is ignored, such as [\"topic\"].", Example: `["topic", "position"]`},
}

var ruleDoc = " A rule is an expr-lang expression in a string; see `hearth explain rules`."

// Root is the schema of a hearth configuration directory.
var Root = &Block{
	Type: "",
	Doc:  "A hearth configuration: every *.hcl file of a directory, read as one.",
	Blocks: []*Block{
		{
			Type: "hearth", Single: true,
			Doc: "Settings of hearth itself: where state lives, defaults for members.",
			Example: `hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}`,
			Attrs: []Attr{
				{Name: "required_version", Kind: KindString, Doc: "Version constraint hearth must meet, such as \">= 0.1\" or \"~> 0.1\"."},
				{Name: "timezone", Kind: KindString, Doc: "IANA time zone for members who have none (quiet hours, times of day).", Default: "UTC"},
				{Name: "default_locale", Kind: KindString, Doc: "Locale used when a member's locale has no template text.", Default: "en"},
				{Name: "frequency_cap", Kind: KindRate, Doc: "Global cap on campaign sends per member across all campaigns, such as \"3/24h\"."},
				{Name: "ignore_changes", Kind: KindStringList, Doc: "Known noise plan and drift leave alone: patterns of ADDRESS.ATTRIBUTE where * matches any text, such as \"community.*.channel.*.position\"."},
			},
			Blocks: []*Block{{
				Type: "state", Single: true,
				Doc: "Where member state, the ledger, timers and the outbox are kept.",
				Attrs: []Attr{
					{Name: "backend", Kind: KindEnum, Enum: []string{"sqlite", "postgres", "memory"}, Doc: "Storage backend.", Default: "sqlite"},
					{Name: "path", Kind: KindSetting, Doc: "SQLite file, relative to the configuration directory. Its journal (the same name with -batches.0 and -batches.1) sits beside it.", Default: ".hearth/state.db"},
					{Name: "url", Kind: KindSetting, Doc: "PostgreSQL URL (postgres backend), such as postgres://hearth@db:5432/community?sslmode=verify-full&search_path=hearth; pass it through a sensitive variable when it holds a password. Several `hearth run -bus` replicas share it.", Example: `var.database_url`},
					{Name: "event_id_retention", Kind: KindDuration, Doc: "How long the ids of applied events are remembered, by event time, so a resent event is recognised. Older ids are forgotten (hourly by `hearth run`, or by `hearth state prune`), and an event older than this is refused (HTTP 422), since it could no longer be told apart from one already applied. At least 1d; unset remembers every id forever.", Example: `"90d"`},
					{Name: "outcome_retention", Kind: KindDuration, Doc: "How long the outcome history (points, badges, tiers, segments, sends; what `hearth member` shows) is kept, by event time. Members' balances, badges and tiers are not touched. Unset keeps it forever.", Example: `"400d"`},
					{Name: "outbox_retention", Kind: KindDuration, Doc: "How long finished outbox entries (sent, dead letters, skipped), each with the message it carried, are kept after they finished (FINISHED in `hearth outbox list`): a dead letter this long after it died, however long before that it was due; pending ones always stay. Older ones are removed hourly by `hearth run`, or by `hearth state prune`. Ended runs of campaigns with run_key are kept at least this long too. At least 1d; \"0s\" keeps them forever.", Default: "90d"},
				},
			}},
		},
		{
			Type: "variable", Labels: []string{"name"},
			Doc: "An input value, set with -var name=value, -var-file FILE, or the environment variable HEARTH_VAR_<name>.",
			Example: `variable "discord_token" {
  type      = string
  sensitive = true
}`,
			Attrs: []Attr{
				{Name: "type", Kind: KindType, Doc: "Type constraint: string, number, bool, list(string), map(number), object({...}), any.", Default: "any"},
				{Name: "default", Kind: KindAny, Doc: "Value used when none is given; without it the variable is required."},
				{Name: "description", Kind: KindString, Doc: "What the variable is for."},
				{Name: "sensitive", Kind: KindBool, Doc: "Never show the value: plans, logs and the dashboard print (sensitive).", Default: "false"},
				{Name: "nullable", Kind: KindBool, Doc: "Whether null is an acceptable value.", Default: "true"},
			},
			Blocks: []*Block{{
				Type: "validation",
				Doc:  "A condition the value must meet; repeatable.",
				Attrs: []Attr{
					{Name: "condition", Kind: KindAny, Required: true, Doc: "An HCL expression over var.<name> that must be true."},
					{Name: "error_message", Kind: KindString, Required: true, Doc: "What to tell the user when the condition is false."},
				},
			}},
		},
		{
			Type: "locals", FreeAttrs: true,
			Doc:     "Named values computed once, read as local.<name>.",
			Example: "locals {\n  support = \"#help\"\n}",
		},
		{
			Type: "platform", Labels: []string{"type", "name"},
			Doc:     "A connection to a community platform. The settings depend on the type; see `hearth explain platform.TYPE`.",
			Example: "platform \"local\" \"main\" {\n  path = \".hearth/local-platform.json\"\n}",
		},
		{
			Type: "community", Labels: []string{"name"},
			Doc: "A community on one platform: its purpose, channels, roles, house rules and capacity.",
			Example: `community "explorers" {
  title       = "Future Tech Explorers"
  platform    = platform.local.main
  purpose     = "Builders sharing what they make"
  capacity    = 150
  house_rules = "Be kind. No spam."
  channel "welcome" { topic = "Say hi" }
  role "core" { color = "#f1c40f" }
}`,
			Attrs: []Attr{
				{Name: "title", Kind: KindString, Required: true, Doc: "Name people see."},
				{Name: "platform", Kind: KindRef, Refs: []string{"platform"}, Required: true, Doc: "The platform the community lives on: platform.TYPE.NAME."},
				{Name: "purpose", Kind: KindString, Doc: "Why the community exists."},
				{Name: "audience", Kind: KindString, Doc: "Who it is for."},
				{Name: "capacity", Kind: KindNumber, Doc: "Members one community holds (about 150 keeps a group personal): counted in each community of its family on its own, on the platform where it lists members, else by hearth from the joins and leaves it hears. 0 means no limit.", Default: "0"},
				{Name: "on_capacity", Kind: KindEnum, Enum: []string{"split", "warn"},
					Doc: "What happens past capacity. split: plan adds a sub-community NAME-2, NAME-3 ..., with the same channels, roles and pinned rules, once every community of the family is full and one is past its capacity, " +
						"and removes an empty one the family no longer needs (never one with members); hearth run welcomes each member, gives their tier and segment roles and runs the community's campaigns, incentives and moderation in the community of the family they are in, " +
						"and on a platform that can move members (local) moves one joining a full community into the first with room. No other block may be named like a sub-community (NAME-2). " +
						"On a platform hearth only sends through (a WeCom, Feishu or DingTalk robot) nothing splits: validate warns, and plans warn past capacity by hearth's count of joins and leaves, as with warn. warn: plans only warn.",
					Default: "split",
					Dropped: map[string]string{"waitlist": "hearth cannot keep a person who joined a platform's community out of it, so a waitlist would only be a warning: " +
						"write on_capacity = \"warn\" for that, or \"split\" to open sub-communities"}},
				{Name: "sub_title", Kind: KindString, Doc: "The title plan gives a sub-community: {title} is the community's title and {n} the sub-community's number (2, 3 ...), which the text must hold, so each has its own title. \"{title}{n}群\" titles the second of 创客 创客2群.", Default: "\"{title} {n}\""},
				{Name: "house_rules", Kind: KindString, Doc: "House rules, pinned in every channel with pin_house_rules = true."},
				{Name: "welcome_message", Kind: KindString, Doc: "Message posted in the first channel when a member joins."},
				lifecycleAttrs[0],
			},
			Blocks: []*Block{
				{
					Type: "channel", Labels: []string{"name"},
					Doc: "A channel, room or category of the community. Its block name is its address (references, state, moved and import blocks); title is its name on the platform.",
					Attrs: append([]Attr{
						{Name: "title", Kind: KindString, Doc: "Name shown on the platform, in any script (\"公告\", \"📣-announcements\", \"Help & Support\"); defaults to the block name. Changing it renames the channel in place. validate refuses a name the platform would refuse or change (Discord and Slack keep text channel names in lower case, without spaces)."},
						{Name: "topic", Kind: KindString, Doc: "Channel topic."},
						{Name: "purpose", Kind: KindString, Doc: "What the channel is for, where the platform keeps it apart from the topic (Slack's channel purpose)."},
						{Name: "color", Kind: KindColor, Doc: "Color, where channels have one (a Discourse category's)."},
						{Name: "position", Kind: KindNumber, Doc: "Order among channels; by default the order in the file."},
						{Name: "category", Kind: KindString, Doc: "Category or section the channel belongs to."},
						{Name: "private", Kind: KindBool, Doc: "Visible to invited members and roles only.", Default: "false"},
						{Name: "pin_house_rules", Kind: KindBool, Doc: "Pin the community's house rules here.", Default: "false"},
					}, lifecycleAttrs...),
				},
				{
					Type: "role", Labels: []string{"name"},
					Doc: "A role or group members can hold; tiers and segments give and take roles.",
					Attrs: append([]Attr{
						{Name: "title", Kind: KindString, Doc: "Name shown on the platform; defaults to the block name."},
						{Name: "color", Kind: KindColor, Doc: "Color as \"#rrggbb\"."},
						{Name: "permissions", Kind: KindStringList, Doc: "Platform permissions, such as [\"manage_messages\"]."},
						{Name: "hoist", Kind: KindBool, Doc: "List holders separately.", Default: "false"},
						{Name: "mentionable", Kind: KindBool, Doc: "Whether the role can be mentioned.", Default: "false"},
						{Name: "position", Kind: KindNumber, Doc: "Order among roles."},
					}, lifecycleAttrs...),
				},
				{
					Type: "moderation", Labels: []string{"name"},
					Doc: "A moderation rule over message events: keywords, patterns, link spam, mention spam, a message rate or a rule, and the action to take (or the ladder's). Rules are tried in order and the first that matches decides; the decision, its rule and its evidence are recorded in the member's state. Removing the message is spelled three ways: action = \"remove\" (the decision), delete = true (remove it whatever the action) and, for either, one moderation.delete in the outbox; hearth simulate's removed column counts those messages. Deleting needs the event's post_id: without it nothing is deleted (a skipped moderation.delete with the reason). Moderation decides before incentives, and a removed message earns nothing: no incentive or campaign hears it.",
					Attrs: []Attr{
						{Name: "on", Kind: KindEventTypes, Doc: "Event types checked. With several, `when` reads only the event attributes they all have.", Default: `"message.posted"`},
						{Name: "when", Kind: KindRule, Doc: "Extra condition, for example \"event.links > 3\". A rule on other events than messages (on = [\"member.joined\"]) may leave it out, with no other check: it then matches each of those events." + ruleDoc},
						{Name: "keywords", Kind: KindLocaleLists, Doc: "Words and phrases per locale, matched case-insensitively in every message whatever its language: as whole words in Latin and other spaced scripts, as substrings in Chinese, Japanese and Korean, which have no spaces between words. Spacing does not hide a phrase (two spaces or a line break match one space; \"加 微 信\" matches \"加微信\"), nor do full-width letters or invisible characters such as zero-width spaces.", Example: `{ en = ["spam"], zh-CN = ["广告"] }`},
						{Name: "patterns", Kind: KindStringList, Doc: "Regular expressions matched against the message text."},
						{Name: "links", Kind: KindNumber, Doc: "Link spam: a message with at least this many links (the event's links attribute, or the http(s) URLs in its text) matches."},
						{Name: "mentions", Kind: KindNumber, Doc: "Mention spam: a message with at least this many mentions (the event's mentions attribute, or the @names in its text) matches."},
						{Name: "rate", Kind: KindRate, Doc: "Message rate: more than N messages from one member within the window, such as \"5/10s\", matches (the message that passes it and every one after it inside the window). One burst is one offence: the message past the limit costs the rule's strikes, and the rest of the burst within the window after it is flagged (and deleted with delete = true) at no further cost."},
						{Name: "action", Kind: KindEnum, Enum: []string{"flag", "warn", "mute", "remove", "kick", "ban"}, Doc: "What to do with a match: flag only records it; warn sends the member a direct message; mute stops them posting for duration; remove deletes the message; kick removes the member; ban keeps them out. Without it the community's ladder decides by the member's strikes.", Default: "the ladder's rung"},
						{Name: "duration", Kind: KindDuration, Doc: "How long a mute (or a ban; none is forever) lasts."},
						{Name: "strikes", Kind: KindNumber, Doc: "Strikes a match adds to the member's record; they decay after the ladder's decay.", Default: "1 (0 with action = \"flag\")"},
						{Name: "delete", Kind: KindBool, Doc: "Also delete the offending message, whatever the action.", Default: "false"},
						{Name: "reason", Kind: KindString, Doc: "Reason recorded and shown to the member."},
					},
				},
				{
					Type: "ladder", Single: true,
					Doc: "The violation ladder: each moderation match adds strikes, and the rung for the member's live strikes decides the action, so repeat offenders climb from a warning to a ban. Strikes decay: one older than decay no longer counts. hearth member pardon clears them.",
					Example: `ladder {
  decay = "30d"
  rung { action = "warn" }
  rung {
    action   = "mute"
    duration = "1h"
  }
  rung {
    action   = "mute"
    duration = "24h"
  }
  rung { action = "kick" }
  rung { action = "ban" }
}`,
					Attrs: []Attr{
						{Name: "decay", Kind: KindDuration, Required: true, Doc: "How long a strike counts, such as \"30d\"."},
						{Name: "template", Kind: KindRef, Refs: []string{"template"}, Doc: "Warning sent to the member by direct message with every action, template.NAME; its text sees event.rule, event.action, event.duration, event.decision (\"mute 1h\"), event.reason, event.strikes and event.evidence. Without it a plain text with the reason is sent."},
					},
					Blocks: []*Block{{
						Type: "rung",
						Doc:  "One rung: the action at a number of live strikes. Rungs are climbed in order; past the last, the last one repeats.",
						Attrs: []Attr{
							{Name: "strikes", Kind: KindNumber, Doc: "Live strikes from which this rung applies; more than the rung before.", Default: "the rung's position: 1, 2, 3 ..."},
							{Name: "action", Kind: KindEnum, Enum: []string{"warn", "mute", "remove", "kick", "ban"}, Required: true, Doc: "What to do: warn, mute for duration, remove the message, kick, or ban (for duration, or forever)."},
							{Name: "duration", Kind: KindDuration, Doc: "How long a mute or a ban lasts."},
						},
					}},
				},
			},
		},
		{
			Type: "segment", Labels: []string{"name"},
			Doc: "A set of members defined by a rule over member state. Members enter and leave as their state changes; entering and leaving are events (segment.entered, segment.left).",
			Example: `segment "lurkers" {
  description = "Joined, read, never post"
  when        = "member.days_since_joined >= 14 && count('message.posted', '30d') == 0"
}`,
			Attrs: []Attr{
				{Name: "community", Kind: KindRef, Refs: []string{"community"}, Doc: "Limit the segment to one community's members: with several communities, those whose member.joined named it (the event's community) or one of its sub-communities, until a member.left naming it; a member whose joins named no community is in every one. The member's other communities' members are in no segment limited to this one, whatever its rule gives."},
				{Name: "description", Kind: KindString, Doc: "What the segment means."},
				{Name: "when", Kind: KindRule, Required: true, Doc: "Membership rule over member state." + ruleDoc},
				{Name: "role", Kind: KindRef, Refs: []string{"role"}, Doc: "A role given to members while they are in the segment: community.NAME.role.ROLE."},
			},
		},
		{
			Type: "tier", Labels: []string{"name"},
			Doc: "One rung of the membership ladder. Members are promoted to the highest tier whose `when` holds (after its `window`); they leave a tier only when its `keep` rule fails, once its `grace` and `demote_after` are over, and land on the highest lower tier whose `keep` holds (else on no tier). A member whose tier is removed from the files, or whose lock (`locked`) ends and whose `keep` fails, is placed by the promotion rules instead: on the highest tier, at most at the rank held (below it, for a lock), whose `when` holds, windows aside, with no grace on it. A renamed tier keeps its members with a moved block (moved { from = tier.OLD  to = tier.NEW }); without one it is a removal. No tier may be named \"none\": hearth run's metrics name members on no tier so.",
			Example: `tier "core" {
  rank  = 2
  when  = "member.points >= 1000 && active_days('30d') >= 10"
  keep  = "member.points >= 900"
  grace = "14d"
  role  = community.explorers.role.core
}`,
			Attrs: []Attr{
				{Name: "rank", Kind: KindNumber, Required: true, Doc: "Position on the ladder, 1 for the first rung; unique."},
				{Name: "title", Kind: KindString, Doc: "Name people see."},
				{Name: "description", Kind: KindString, Doc: "What the tier means."},
				{Name: "community", Kind: KindRef, Refs: []string{"community"}, Doc: "Limit the tier to one community."},
				{Name: "when", Kind: KindRule, Required: true, Doc: "Promotion rule." + ruleDoc},
				{Name: "keep", Kind: KindRule, Doc: "Rule to stay on the tier (hysteresis); defaults to `when`." + ruleDoc},
				{Name: "grace", Kind: KindDuration, Doc: "No demotion for this long after the member reached the tier (a promotion, or a demotion onto it; not a placement after a tier was removed or a lock ended). With `demote_after`, the two overlap: the member is demoted once both are over.", Default: "0s"},
				{Name: "demote_after", Kind: KindDuration, Doc: "How long `keep` must keep failing, without a break, before the member is demoted. It counts from the first evaluation `keep` failed at, inside the grace period or not: with `grace`, the member is demoted at the later of the grace's end and that time plus demote_after, not their sum.", Default: "0s"},
				{Name: "window", Kind: KindDuration, Doc: "Qualification window: how long `when` must hold without a break before the promotion. Each tier's window counts from when its own `when` started holding, and starts again after an evaluation where it fails: a member whose `when` holds for several tiers with windows reaches each as its window ends (the highest whose window has ended, at an evaluation), and a promotion to a lower tier does not restart a higher one's.", Default: "0s"},
				{Name: "role", Kind: KindRef, Refs: []string{"role"}, Doc: "Role given while on the tier: community.NAME.role.ROLE."},
				{Name: "benefits", Kind: KindStringList, Doc: "Perks that come with the tier, shown to members."},
				{Name: "locked", Kind: KindStringList, Doc: "Member ids held on this tier whatever the rules say. Taken off the list, a member keeps the tier while its `keep` holds; once it fails, no grace or demote_after holds them (a lock is no promotion), and they land on the highest lower tier whose `when` holds, not on one whose `keep` alone does."},
			},
			Blocks: []*Block{{
				Type: "discourse", Single: true,
				Doc: "The member's own trust level on a Discourse forum while on the tier: set through the admin API (PUT /admin/users/{id}/trust_level) as they are promoted or demoted to it. A move to a tier without this block sets no level and lifts a lock hearth set, leaving the level to the forum's own rules.",
				Attrs: []Attr{
					{Name: "trust_level", Kind: KindNumber, Required: true, Doc: "Discourse trust level, 0 to 4."},
					{Name: "lock", Kind: KindBool, Doc: "Lock the level on the forum (PUT /admin/users/{id}/trust_level_lock), so Discourse's own promotions and its daily level 3 review leave it to hearth. Members held on the tier by `locked` are always locked. Without it a lock the member has is lifted before the level is set, and Discourse's rules go on from there (Discourse itself locks a demotion below what its settings give).", Default: "false"},
					{Name: "platform", Kind: KindRef, Refs: []string{"platform"}, Doc: "The forum: platform.discourse.NAME.", Default: "the platform of the tier's community or of its role, when a discourse one; else the one discourse platform block"},
				},
			}},
		},
		{
			Type: "badge", Labels: []string{"name"},
			Doc: "An honour members can earn; incentives award badges.",
			Example: `badge "first_post" {
  title = "First post"
  class = "bronze"
}`,
			Attrs: []Attr{
				{Name: "title", Kind: KindString, Doc: "Name people see; defaults to the block name."},
				{Name: "description", Kind: KindString, Doc: "What earns it."},
				{Name: "class", Kind: KindEnum, Enum: []string{"bronze", "silver", "gold"}, Doc: "Badge class.", Default: "bronze"},
				{Name: "repeat", Kind: KindBool, Doc: "Whether a member can earn it more than once.", Default: "false"},
				{Name: "revoke_when", Kind: KindRule, Doc: "Take the badge back when this rule over member state holds." + ruleDoc},
				{Name: "platform", Kind: KindRef, Refs: []string{"platform"}, Doc: "Platform whose own badge members are also granted when they earn this one, such as a Discourse forum (POST /user_badges.json): platform.TYPE.NAME."},
				{Name: "platform_badge", Kind: KindString, Doc: "Name of the badge on that platform.", Default: "the title"},
			},
		},
		{
			Type: "incentive", Labels: []string{"name"},
			Doc: "Grants points, badges, roles or attributes when a member event matches.",
			Example: `incentive "referral" {
  on    = "member.joined"
  when  = "event.referrer != ''"
  limit = "5/30d"
  grant {
    to     = "event.referrer"
    points = 50
  }
}`,
			Attrs: []Attr{
				{Name: "description", Kind: KindString, Doc: "What the incentive rewards."},
				{Name: "community", Kind: KindRef, Refs: []string{"community"}, Doc: "Limit to one community's events."},
				{Name: "on", Kind: KindEventTypes, Required: true, Doc: "Event type or list of event types that trigger it. With several, rules read only the event attributes they all have."},
				{Name: "when", Kind: KindRule, Doc: "Condition over the event and the member." + ruleDoc},
				{Name: "once", Kind: KindBool, Doc: "Grant at most once per member, ever.", Default: "false"},
				{Name: "once_per", Kind: KindStringRule, Doc: "Grant to a member at most once per key, ever: a rule over the event giving a string, such as \"event.referee\" (once per referred member) or \"member.id\" on member.joined with to = \"member.referrer\". The keys granted for are kept with the member who receives the grant, so a restart or a replay of the same events grants no key twice; an event whose key is empty grants nothing. limit, cooldown and points_cap still apply: a key they hold back is not used up and may grant later." + ruleDoc},
				{Name: "cooldown", Kind: KindDuration, Doc: "Minimum time between two grants to the same member."},
				{Name: "limit", Kind: KindRate, Doc: "At most N grants per member per window: a rolling one, such as \"5/30d\" (any 30 days up to now), or a calendar period, \"5/day\", \"5/week\" (weeks start on Monday) or \"5/month\", which starts again at midnight on its first day in hearth.timezone (UTC unless set)."},
				{Name: "points_cap", Kind: KindRate, Doc: "At most N points per member from this incentive in a window of whole UTC days, such as \"100/1d\" (the current UTC day) or \"100/7d\" (the current UTC day and the 6 days before it); a grant that would pass it is cut to fit. The window must be a whole number of days (\"24h\" is one, \"36h\" is an error), or a calendar period of UTC days: \"100/day\", \"100/week\" (from Monday) or \"100/month\" (from the 1st, 00:00 UTC)."},
				{Name: "expires", Kind: KindDuration, Doc: "Points granted expire after this long."},
			},
			Blocks: []*Block{{
				Type: "grant", Single: true,
				Doc: "What is granted.",
				Attrs: []Attr{
					{Name: "to", Kind: KindStringRule, Doc: "Member who receives the grant, as a rule giving a member id, such as \"event.referrer\".", Default: "the event's member"},
					{Name: "points", Kind: KindNumber, Doc: "Points to grant (negative to spend)."},
					{Name: "badge", Kind: KindRef, Refs: []string{"badge"}, Doc: "Badge to award: badge.NAME."},
					{Name: "role", Kind: KindRef, Refs: []string{"role"}, Doc: "Role to give: community.NAME.role.ROLE."},
					{Name: "set", Kind: KindStringMap, Doc: "Profile attributes to set, such as { ambassador = \"yes\" }."},
					{Name: "reason", Kind: KindString, Doc: "Reason written to the points ledger; defaults to the incentive name."},
				},
			}},
		},
		{
			Type: "campaign", Labels: []string{"name"},
			Doc: "A sequence of steps members go through: waits, conditions, branches, A/B splits and sends, on durable timers.",
			Example: `campaign "onboarding" {
  enter_on      = "member.joined"
  exit_when     = "member.messages > 0"
  frequency_cap = "2/24h"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "welcome" {
    send {
      channel  = "dm"
      template = template.welcome
    }
  }
}`,
			Attrs: []Attr{
				{Name: "description", Kind: KindString, Doc: "What the campaign is for."},
				{Name: "community", Kind: KindRef, Refs: []string{"community"}, Doc: "Limit to one community."},
				{Name: "enter_on", Kind: KindEventTypes, Doc: "Event type(s) that enroll the member. The campaign's rules (enter_when, exit_when, stop_when, and its steps' until, wait_until, when and branch rules) read the entering event as event, for the whole run; with several types, only the attributes they all have."},
				{Name: "enter_when", Kind: KindRule, Doc: "Extra condition on the entering event." + ruleDoc},
				{Name: "audience", Kind: KindRef, Refs: []string{"segment"}, Doc: "Enroll members when they enter this segment: segment.NAME; also when they come back to the community (or, with members = \"left\", leave it) while in the segment, as reentry allows. With a schedule block, who each occurrence goes to: the members in the segment then (nobody enters on entering it)."},
				{Name: "members", Kind: KindEnum, Enum: []string{"current", "left", "all"}, Doc: "Who the campaign is for. current: members of the community; leaving it ends their run (counted as left). left: members who have left (not those a moderation ladder banned), for a win-back: they enter on member.left or any later event or segment while away, their run goes on while they stay away, and coming back (member.joined) is the goal, ending the run as goal. Send by email (platform = platform.email.NAME, to their email identity) or webhook: a direct message on a chat platform cannot reach someone who left, and validate refuses it. all: both; leaving or coming back changes nothing, and a direct message on a chat platform to someone who has left is skipped. Rules tell who is who with member.left, member.left_at and member.days_since_left.", Default: "current"},
				{Name: "exit_on_leave", Kind: KindBool, Doc: "With audience: leave the campaign when leaving the segment.", Default: "true"},
				{Name: "exit_when", Kind: KindRule, Doc: "The goal: a rule over member state (and the entering event, in a campaign entered with enter_on) that ends the campaign for the member as a success, ended as goal, which hearth campaign show counts in the goal rate and A/B splits compare. For a way out that is no success (they unsubscribed, or bought elsewhere), use stop_when." + ruleDoc},
				{Name: "stop_when", Kind: KindRule, Doc: "A way out that is not the goal: a rule over member state (and the entering event, in a campaign entered with enter_on), such as \"member.unsubscribed\" (an unsubscribed member gets no email anyway; this also ends their run, and counts it), that ends the campaign for the member as exited: nothing more is sent, and hearth campaign show counts the run apart from the goal, not as a conversion. It is checked whenever what it reads changes (and as time passes, for a rule over time) and before every step, so a member it holds for gets no further message. When stop_when and exit_when hold at once, stop_when wins: the campaign was no longer for the member, so the run is not counted a success. It ends a run in a paused campaign too." + ruleDoc},
				{Name: "conversion_window", Kind: KindDuration, Doc: "How long after entering a member still counts as converted: a run that has finished (past its last step, or at goto = \"exit\") ends as goal when the goal (exit_when, or coming back in a win-back) holds within this long of the run's entry (or of its last message, with conversion_from = \"last_send\"), by event time, so a variant whose message is its last step is credited with the members it brought to the goal afterwards. The run counts once, as goal, for its A/B variant, in hearth campaign show, simulate and the dashboard; its outcome is convert. A run that ended any other way (exited, left, stopped) never converts, nor does one a new run of the same campaign (or key) replaced. Needs a goal; a duration such as \"7d\".", Example: `conversion_window = "7d"`},
				{Name: "conversion_from", Kind: KindEnum, Enum: []string{ConversionFromEntry, ConversionFromLastSend}, Doc: "What conversion_window counts from. entry: the run's entry, so a step's wait uses up part of the window. last_send: the last message the run sent (when its send was queued: the time its step came due, or the end of the quiet hours or cap that held it), as Customer.io counts a conversion within a window of the message, so a shorter wait does not by itself raise conversions. A run that sent nothing (its sends skipped or failed) never converts with last_send; one that sent before conversion_from was last_send kept no time of it and counts from its entry. Needs conversion_window.", Default: ConversionFromEntry, Example: `conversion_from = "last_send"`},
				{Name: "reentry", Kind: KindEnum, Enum: []string{"never", "always", "after"}, Doc: "Whether a member may go through it again.", Default: "never"},
				{Name: "reentry_after", Kind: KindDuration, Doc: "With reentry = \"after\": how long after finishing."},
				{Name: "run_key", Kind: KindRule, Doc: "With enter_on: a rule over the entering event giving a string, such as \"event.meetup\". Each distinct key is a run of its own for the member, alongside the others (one per meetup); entering with a key the member has a run of follows reentry. An event of an enter_on type with the key of a run under way starts nothing and becomes that run's event, whatever enter_when says of it: its rules and templates read the latest one (a changed RSVP; stop_when = \"event.answer != 'yes'\" ends the run on a no). Without it a member has one run of the campaign at a time, which keeps its entering event." + ruleDoc},
				{Name: "max_runs", Kind: KindNumber, Doc: "With run_key: how many runs a member may have under way at once. Entering with a new key beyond it starts no run (the runs under way are never dropped for it): the refusal is logged, kept as the member's outcome \"refused\" and counted by hearth simulate and, in hearth run, by hearth_campaign_runs_refused_total.", Default: "10"},
				{Name: "frequency_cap", Kind: KindRate, Doc: "At most N sends per member per window from this campaign, such as \"2/24h\"."},
				{Name: "on_cap", Kind: KindEnum, Enum: []string{"defer", "skip"}, Doc: "What happens to a send over a frequency cap.", Default: "defer"},
				{Name: "expire_after", Kind: KindString, Doc: "How long after its time a send of the campaign may still go out, such as \"2d\" (at least 1m), or \"never\". The outbox skips a send it has not delivered by then, recorded as skipped with the reason \"expired\" (hearth outbox list, member why, campaign show, hearth_outbox_deliveries_total{result=\"expired\"}): messages decided from history replayed into the state, from an event posted days after its time, or waiting while hearth run was stopped or a platform was down, are not sent late. Its time is when the step came due, also when quiet hours or a frequency cap held its send past then (a send { not_after } bounds it by a time instead): event time, not when the send was queued in the outbox (its queued_at, which the outbox's wait, hearth_outbox_oldest_pending_seconds, counts from). It applies to the campaign's transactional sends too (quiet hours do not): a confirmation decided from history replayed months later is not sent either. hearth simulate and hearth test deliver as hearth run does, each send when the events that queued it arrived (a test event's received).", Default: "7d", Example: `expire_after = "2d"`},
				{Name: "paused", Kind: KindBool, Doc: "Hold the campaign, the emergency brake: nobody enters, members in it stay at their step (reaching the goal, stop_when or leaving still ends a run), and its messages waiting in the outbox are held. Set it back to false to go on from where each member was; a running hearth run takes it at the next reload, in seconds. A member who triggers the campaign while it is paused (its enter_on event, entering its audience) does not enter it at the resume either: the trigger is not kept. hearth campaign stop ends runs and holds nothing: members go on entering a campaign that is not paused.", Default: "false"},
			},
			Blocks: []*Block{
				{
					Type: "schedule", Single: true,
					Doc: "A broadcast on fixed calendar dates (a monthly digest on the 1st): at each occurrence every member then in the audience segment (and for whom the campaign is: members) starts a run keyed by the occurrence's date (\"2026-12-01\"), once, whatever reentry would say; members do not enter on segment.entered. Needs audience (a broadcast to everyone is a segment with when = \"true\"); enter_on, enter_when, run_key, reentry and reentry_after are refused with it, and late_by replaces expire_after. hearth run keeps each audience member's next occurrence as one of their time-based rechecks (set as they enter the audience, at their events and after a reload; cleared as they leave), so no occurrence scans every member. hearth simulate, replay and hearth test run occurrences as time passes; hearth campaign show NAME gives the schedule, the next three occurrences and the audience's size.",
					Example: `schedule {
  every     = "month"
  day       = 1
  at        = "10:00"
  time_zone = "Europe/Berlin"
}`,
					Attrs: []Attr{
						{Name: "every", Kind: KindEnum, Enum: []string{ScheduleDay, ScheduleWeek, ScheduleMonth}, Required: true, Doc: "How often: every day, every week (on day, a weekday) or every month (on day, a day of the month)."},
						{Name: "day", Kind: KindAny, Doc: "With every = \"month\": the day of the month, 1 to 28 (every month has them), or -1 for the last day. With every = \"week\": the weekday, such as \"monday\". Not with every = \"day\"."},
						{Name: "at", Kind: KindClock, Required: true, Doc: "The time of day of each occurrence, \"HH:MM\", in time_zone."},
						{Name: "time_zone", Kind: KindString, Doc: "The IANA zone the dates and at are in, such as \"Europe/Berlin\", or \"member\": each member's own zone (member.attrs.timezone, else the hearth block's), as a step's at, so each member gets it at ten on their clock and the run key is the date there.", Default: "the hearth block's timezone"},
						{Name: "starts", Kind: KindString, Doc: "No occurrence before this: an RFC 3339 time (\"2026-01-01T00:00:00Z\") or a date (\"2026-01-01\", the start of that day in time_zone; in the hearth block's zone with \"member\")."},
						{Name: "ends", Kind: KindString, Doc: "No occurrence after this; as starts. An occurrence at it counts."},
						{Name: "late_by", Kind: KindDuration, Doc: "How long after its time a send of an occurrence may still go out: the campaign's expire_after (which a scheduled campaign does not take). An occurrence hearth run missed while it was stopped runs when it starts again, in event time (the run enters at the occurrence), and its message goes out if that is within late_by of its time; beyond it the outbox skips it as expired, counted (hearth outbox list, campaign show, hearth_outbox_deliveries_total{result=\"expired\"}, simulate's expired column). At least 1m.", Default: "1d"},
					},
				},
				{
					Type: "quiet_hours", Single: true,
					Doc: "Hours in the member's time zone when nothing is sent; sends wait for the end of the window. They hold when the message goes out, not only when its step comes due: the outbox holds a send whose delivery falls inside them (hearth run restarted late, a retry, an event posted after its time) until they end, and says so in hearth outbox list and member why.",
					Attrs: []Attr{
						{Name: "from", Kind: KindClock, Required: true, Doc: "Start, \"HH:MM\"."},
						{Name: "to", Kind: KindClock, Required: true, Doc: "End, \"HH:MM\"; may be earlier than from (overnight)."},
						{Name: "timezone", Kind: KindString, Doc: "Use this zone instead of the member's."},
					},
				},
				{
					Type: "step", Labels: []string{"name"},
					Doc: "One step. Steps run in order; each may wait, check a condition, branch, split or send. Steps that loop back must wait somewhere in the loop.",
					Attrs: []Attr{
						{Name: "wait", Kind: KindDuration, Doc: "Wait this long before the step."},
						{Name: "at", Kind: KindClock, Doc: "Then wait until this time of day in the member's zone, \"HH:MM\"; the whole days of wait pick a calendar day there and this is that day's time, so wait = \"1d\" with at = \"09:00\" is nine the next day, for an evening arrival too and across a daylight-saving change."},
						{Name: "until", Kind: KindTimeRule, Doc: "Wait until the time this rule gives, such as a day before a time the entering event carries. It is worked out when the member reaches the step; if that time has passed already, if_past decides. Not with wait, at or wait_until." + ruleDoc, Example: `until = "event.starts_at - duration('24h')"`},
						{Name: "if_past", Kind: KindEnum, Enum: []string{"skip", "send"}, Doc: "With until: what the step does when its time has passed already as the member reaches it (they RSVP two hours before the meetup, and a day before is gone). skip: its send is not made, and the run goes on (branches, goto) as if it had been; send: it is sent at once. Quiet hours and frequency caps apply to the send either way.", Default: "skip"},
						{Name: "wait_until", Kind: KindRule, Doc: "Wait until this rule holds: a rule over member state (and the entering event, in a campaign entered with enter_on)." + ruleDoc},
						{Name: "timeout", Kind: KindDuration, Doc: "With wait_until: give up after this long, from when the step's wait (if any) is over, and go on to the next step or to on_timeout. Without it a member for whom the rule never holds waits for ever: validate warns."},
						{Name: "on_timeout", Kind: KindString, Doc: "With timeout: step to go to on timeout; \"exit\" ends the campaign.", Default: "the next step"},
						{Name: "when", Kind: KindRule, Doc: "Skip the step unless this holds." + ruleDoc},
						{Name: "goto", Kind: KindString, Doc: "Step to go to after this one; \"exit\" ends the campaign. A goto back to this step or an earlier one makes the campaign a loop, the way to write a recurring message (a weekly digest: wait = \"7d\", a send, goto back to the same step): each round needs a wait, at, until or wait_until (validate refuses a loop without one), and runs end only at the goal, stop_when, leaving or a stop unless a branch goes to \"exit\". hearth campaign show and simulate say the campaign loops, and count running runs in its goal rates as not converted yet.", Default: "the next step"},
					},
					Blocks: []*Block{
						{
							Type: "send", Single: true,
							Doc: "Send a message.",
							Attrs: []Attr{
								{Name: "channel", Kind: KindEnum, Enum: []string{"dm", "channel", "email", "webhook"}, Required: true, Doc: "How: direct message, channel message, email or webhook."},
								{Name: "template", Kind: KindRef, Refs: []string{"template"}, Doc: "What: template.NAME. Required unless survey is set."},
								{Name: "survey", Kind: KindRef, Refs: []string{"survey"}, Doc: "A survey to send: survey.NAME. Its questions and how to answer follow the template's text, in the member's locale."},
								{Name: "target", Kind: KindRef, Refs: []string{"channel"}, Doc: "With channel = \"channel\": community.NAME.channel.CHANNEL."},
								{Name: "platform", Kind: KindRef, Refs: []string{"platform"}, Doc: "Platform to send through; defaults to the member's community's. Email goes through an email platform (platform.email.NAME): validate refuses channel = \"email\" through any other."},
								{Name: "transactional", Kind: KindBool, Doc: "With channel = \"email\": a message the member must get even after unsubscribing from the platform (a receipt, a password reset, an RSVP's confirmation). It is sent to unsubscribed members too, and carries no List-Unsubscribe header, since the link would not stop it. Without it, a member who unsubscribed (email.unsubscribed) gets no email through that platform: the step's send is skipped and the run goes on, and one queued before the unsubscribe is skipped at delivery. Quiet hours do not hold a transactional send; the campaign's expire_after (7d by default) skips it when delivered too late.", Default: "false"},
								{Name: "not_after", Kind: KindTimeRule, Doc: "A time past which this send is dropped, such as the start of the meetup a reminder is about. Worked out when the step comes due; the send is skipped (not_after had passed) when it would go out after it, held by quiet hours or a frequency cap say, and the outbox skips it as expired if it has not gone out by then (an outage, quiet hours at delivery). The run goes on either way. A rule that fails counts as passed. Not with transactional." + ruleDoc, Example: `not_after = "event.starts_at"`},
							},
						},
						{
							Type: "branch",
							Doc:  "Go to another step when a rule holds; branches are tried in order.",
							Attrs: []Attr{
								{Name: "when", Kind: KindRule, Required: true, Doc: "Condition." + ruleDoc},
								{Name: "goto", Kind: KindString, Required: true, Doc: "Step name, or \"exit\"."},
							},
						},
						{
							Type: "split", Single: true,
							Doc: "A/B split: each member gets one variant, chosen by a stable hash of member and campaign, weighted; the variant is recorded. A rule test can pin a member's variant instead (hearth explain test.member). One split per campaign: a run keeps its variant. `hearth campaign show NAME` (and the dashboard, and hearth simulate) compares the variants' goal rates, with a p-value. A variant whose last message ends the run (goto = \"exit\", or the last step) finishes it at once: give the campaign a conversion_window (conversion_window = \"7d\") so a goal reached in the days after it counts for the variant.",
							Attrs: []Attr{
								{Name: "control", Kind: KindString, Doc: "The variant the others are compared with (the control, or holdout): each one's lift and p-value are against its goal rate. By default the first variant. With more than two variants the p-values are not corrected for multiple comparisons; the verdicts use Bonferroni's threshold, 0.05 divided by the comparisons made.", Example: `"holdout"`},
							},
							Blocks: []*Block{{
								Type: "variant", Labels: []string{"name"},
								Doc: "One arm of the split.",
								Attrs: []Attr{
									{Name: "weight", Kind: KindNumber, Required: true, Doc: "The variant's share of members, relative to the split's other weights: 60 and 30 give 66.7% and 33.3%. Validate warns, with the shares, when the weights neither add up to 100 nor are all equal."},
									{Name: "goto", Kind: KindString, Required: true, Doc: "Step name, or \"exit\"."},
								},
							}},
						},
					},
				},
			},
		},
		{
			Type: "template", Labels: []string{"name"},
			Doc: "Message text per locale. Texts are HCL templates rendered at send time with member, event, community, now, tiers and badges in scope (tiers[event.to].title is a tier's title, member.mention mentions the member on the platform the message goes through: <@id> on Discord, Slack and WeCom markdown robots, a pill on Matrix, a text_mention on Telegram, @username on Discourse, an <at> tag on Feishu, @userId with the at list on DingTalk; the name in email and elsewhere); a member gets their locale, then its language, then the default locale.",
			Example: `template "welcome" {
  text = {
    en    = "Welcome, ${member.name}!"
    zh-CN = "欢迎，${member.name}！"
  }
}`,
			Attrs: []Attr{
				{Name: "description", Kind: KindString, Doc: "What the message is for."},
				{Name: "default_locale", Kind: KindString, Doc: "Locale to fall back to; defaults to hearth.default_locale."},
				{Name: "text", Kind: KindLocaleText, Required: true, Doc: "Plain text per locale."},
				{Name: "subject", Kind: KindLocaleText, Doc: "Email subject per locale."},
				{Name: "html", Kind: KindLocaleText, Doc: "Email HTML per locale."},
			},
		},
		surveySpec,
		{
			Type: "sentiment", Single: true,
			Doc: "The word lists of the built-in sentiment scorer, which counts a message negative when it has more negative words and phrases than positive ones. Risk alerts read the count of negative messages as community.negative_1h and community.negative_24h. Lists per locale are matched like moderation keywords (substrings in Chinese, Japanese and Korean, whole words elsewhere).",
			Example: `sentiment {
  negative = { en = ["refund", "scam"], zh-CN = ["退款", "骗子"] }
  positive = { en = ["thanks"], zh-CN = ["谢谢"] }
}`,
			Attrs: []Attr{
				{Name: "negative", Kind: KindLocaleLists, Doc: "Negative words and phrases per locale, added to the built-in lists."},
				{Name: "positive", Kind: KindLocaleLists, Doc: "Positive words and phrases per locale, added to the built-in lists."},
				{Name: "builtin", Kind: KindBool, Doc: "Use the built-in en and zh-CN lists as well.", Default: "true"},
			},
		},
		{
			Type: "alert", Labels: []string{"name"},
			Doc: "A risk rule over a community's figures in rolling windows (see `hearth explain rules` for community.*). When its rule starts to hold, it notifies the ops channels and can start a crisis playbook campaign for its responders; it does not fire again while the rule keeps holding (deduplication), nor within cooldown of the last firing.",
			Example: `alert "negative_spike" {
  community  = community.explorers
  when       = "community.negative_1h >= 5 && community.negative_1h * 4 >= community.messages_1h"
  severity   = "critical"
  cooldown   = "6h"
  campaign   = campaign.crisis
  responders = ["mod-ana"]
  notify {
    channel = "channel"
    target  = community.explorers.channel.ops
  }
}`,
			Attrs: []Attr{
				{Name: "description", Kind: KindString, Doc: "What the alert means, included in its message."},
				{Name: "community", Kind: KindRef, Refs: []string{"community"}, Doc: "The community watched, community.NAME; without it, every community, each on its own."},
				{Name: "when", Kind: KindRule, Required: true, Doc: "Condition over community figures, such as \"community.left_24h >= 10\"; it reads community and now, not member or event." + ruleDoc},
				{Name: "severity", Kind: KindEnum, Enum: []string{"info", "warning", "critical"}, Doc: "How serious, included in the message.", Default: "warning"},
				{Name: "cooldown", Kind: KindDuration, Doc: "No new firing within this long of the last one.", Default: "1h"},
				{Name: "campaign", Kind: KindRef, Refs: []string{"campaign"}, Doc: "Crisis playbook: the campaign the responders are enrolled in when the alert fires, campaign.NAME; its enter_when sees the alert.raised event."},
				{Name: "responders", Kind: KindStringList, Doc: "Member ids who receive the alert.raised event (and enter the campaign), such as the moderators."},
			},
			Blocks: []*Block{{
				Type: "notify",
				Doc:  "Where the alert is sent; repeatable. The message is the template's text, or a plain summary of the alert and the figures it read.",
				Attrs: []Attr{
					{Name: "channel", Kind: KindEnum, Enum: []string{"channel", "email", "webhook"}, Required: true, Doc: "How: a message in a community channel, an email, or a webhook call."},
					{Name: "target", Kind: KindRef, Refs: []string{"channel"}, Doc: "With channel = \"channel\": community.NAME.channel.CHANNEL."},
					{Name: "to", Kind: KindString, Doc: "With email: the address, sent through an email platform (platform = platform.email.NAME); with webhook: the recipient the receiving system knows, such as \"ops\", sent as the message's member."},
					{Name: "platform", Kind: KindRef, Refs: []string{"platform"}, Doc: "Platform to send through; defaults to the community's."},
					{Name: "template", Kind: KindRef, Refs: []string{"template"}, Doc: "Message text, template.NAME; it sees event.alert, event.severity, event.community, event.summary and community.*."},
				},
			}},
		},
		{
			Type: "moved",
			Doc:  "Records that a block was renamed, so plan moves the platform object to the new address in state instead of destroying it and creating a new one. Keep it until every state has been applied past it. A campaign's step renamed (from = campaign.NAME.step.OLD, to = campaign.NAME.step.NEW) keeps the runs waiting at the old name on the new step, with their wait and the step's figures in hearth campaign show, instead of sending them on past it; a tier renamed (from = tier.OLD, to = tier.NEW) keeps its members on it, with their grace, demote_after and windows, instead of placing them by the promotion rules; keep either until the daemon's log says the stored members are under the rules in force.",
			Example: `moved {
  from = community.explorers.channel.chat
  to   = community.explorers.channel.general
}`,
			Attrs: []Attr{
				{Name: "from", Kind: KindString, Required: true, Doc: "The old address, such as community.explorers.channel.chat, campaign.onboarding.step.welcome or tier.regular (unquoted, as in Terraform, or quoted); its block may be gone."},
				{Name: "to", Kind: KindString, Required: true, Doc: "The new address, of the same kind (a step of the same campaign). Two moved blocks may not move one address to two places, two addresses to one, or go round in a circle."},
			},
		},
		{
			Type: "import",
			Doc:  "Adopts an object that already exists on the platform (a channel made by hand) as a block of the configuration: plan reads it by id and diffs it against the block instead of creating a new one. Remove the block once applied, or keep it; it does nothing more.",
			Example: `import {
  to = community.explorers.channel.general
  id = "ch-12"
}`,
			Attrs: []Attr{
				{Name: "to", Kind: KindString, Required: true, Doc: "The address of the block the object becomes, such as community.explorers.channel.general (unquoted or quoted); the block must be in the configuration."},
				{Name: "id", Kind: KindString, Required: true, Doc: "The object's platform id."},
			},
		},
		{
			Type: "event", Labels: []string{"type"},
			Doc: "Declares a custom event type and its attributes, so rules that read them are type-checked.",
			Example: `event "meetup.attended" {
  description = "A member came to a meetup"
  activity    = true
  attributes = {
    city   = "string"
    guests = "int"
  }
}`,
			Attrs: []Attr{
				{Name: "description", Kind: KindString, Doc: "What the event means."},
				{Name: "activity", Kind: KindBool, Doc: "Whether it counts as the member being active.", Default: "false"},
				{Name: "attributes", Kind: KindStringMap, Doc: "Attribute name = type: string, int, float, bool, time, list or any."},
			},
		},
	},
}
