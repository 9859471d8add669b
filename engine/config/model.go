package config

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/rules"
)

// Config is one loaded, validated configuration directory: the immutable
// snapshot the runtime evaluates and plan compares against platforms.
type Config struct {
	Dir string
	// BaseDir is where relative paths in the files resolve: the state's
	// path and the platforms' files (platform.Registry.Open's dir). Dir
	// unless Options.BaseDir says otherwise.
	BaseDir string
	Files   map[string]*hcl.File
	// ReadFiles are the files file() read, by their path relative to
	// Dir, with what they held: part of Hash and Fingerprint, and of a
	// plan's record of its configuration.
	ReadFiles map[string][]byte
	Hash      string // hash of the sources, the files they read, and variable values
	// Fingerprint is Hash without the sensitive variables' values: what
	// the daemon shows (status, metrics, logs) to say which configuration
	// it runs, which must not let anyone test a guess at a secret.
	Fingerprint string
	Settings    Settings

	Variables []*Variable
	// MissingSecrets are the sensitive variables left without a value
	// under Options.SecretsOptional.
	MissingSecrets []string
	Locals         map[string]cty.Value
	Platforms      []*Platform
	Communities    []*Community
	Segments       []*Segment
	Tiers          []*Tier // by rank, lowest first
	Badges         []*Badge
	Incentives     []*Incentive
	Campaigns      []*Campaign
	Templates      []*Template
	Surveys        []*Survey
	EventTypes     map[string]rules.EventType // standard and declared
	Events         []*EventDecl               // declared in files
	Moved          []*Moved
	Imports        []*Import
	Alerts         []*Alert
	Sentiment      *Sentiment // nil: the built-in lists only

	// TierMoves are the tiers renamed by moved blocks (moved { from =
	// tier.OLD  to = tier.NEW }), old name to new: the members stored on
	// the old name stay on the tier. A new name may itself be moved on.
	TierMoves map[string]string

	Graph *Graph
	// Rules are every compiled rule, in a stable order; Rule.ID indexes it.
	Rules []*Rule
	// Functions are the HCL functions of the configuration, for rendering
	// templates at send time with the same functions validate used.
	Functions map[string]function.Function
}

// Settings are the hearth block.
type Settings struct {
	RequiredVersion string
	Timezone        *time.Location
	TimezoneName    string
	DefaultLocale   string
	FrequencyCap    *durations.Rate
	State           StateSettings
	// IgnoreChanges are path.Match patterns of "ADDRESS.ATTRIBUTE" that
	// plan and drift ignore everywhere (known noise).
	IgnoreChanges []string
}

// StateSettings say where state lives.
type StateSettings struct {
	Backend string // sqlite, postgres, memory
	Path    string // absolute, for sqlite
	URL     cty.Value
	// EventIDRetention and OutcomeRetention are how long event ids and
	// outcomes are kept (state.Pruner); zero keeps them forever.
	EventIDRetention time.Duration
	OutcomeRetention time.Duration
	// OutboxRetention is how long finished outbox entries (sent, dead,
	// skipped) are kept, DefaultOutboxRetention unless set; zero keeps
	// them forever. Ended keyed campaign runs are kept at least as long.
	OutboxRetention time.Duration
}

// DefaultOutboxRetention is outbox_retention when unset: a quarter of
// messages to look back on, not every message ever sent.
const DefaultOutboxRetention = 90 * 24 * time.Hour

// Variable is a declared input and its final value.
type Variable struct {
	Name        string
	Description string
	Sensitive   bool
	Type        cty.Type
	Value       cty.Value
	// From says where Value came from when not the default: "-var",
	// "a var file", "environment variable HEARTH_VAR_x", or a test file
	// that pins it; "" for the default.
	From      string
	DeclRange hcl.Range
}

// Platform is a platform block.
type Platform struct {
	Type     string
	Name     string
	Settings map[string]cty.Value // sensitive values carry cty marks
	// ChannelMarkdown is true when the platform reads channel messages
	// as markdown (PlatformSpec.ChannelMarkdown).
	ChannelMarkdown bool
	// AtMentions is true when "@name" in a message's text mentions that
	// user (PlatformSpec.AtMentions).
	AtMentions bool
	// CrowdMentions finds crowd mentions in a text
	// (PlatformSpec.CrowdMentions); nil where the platform has none.
	CrowdMentions func(text string) []Found
	// AtTags is true when an <at ...> tag in a message's text mentions
	// someone (PlatformSpec.AtTags).
	AtTags bool
	// DirectMarkup is true when direct messages render links and tags
	// (PlatformSpec.DirectMarkup).
	DirectMarkup bool
	// Mention is how a message through the platform mentions a member
	// (PlatformSpec.Mention); nil when it has no way.
	Mention func(MentionOf) Mention
	// ChannelLimit and DirectLimit are the most a channel message's and
	// a direct message's text may hold (PlatformSpec.TextLimit); zero for
	// no limit.
	ChannelLimit, DirectLimit TextLimit
	// MovesMembers is true when the platform can move a member into
	// another of its communities (PlatformSpec.MovesMembers).
	MovesMembers bool
	// SendsOnly is true when hearth only sends messages through the
	// platform and plans nothing there (PlatformSpec.SendsOnly).
	SendsOnly bool
	// Unheld are the channel and role settings the platform has no
	// place for ("channel.position" on Slack), sorted: those it ignores
	// (PlatformSpec.Ignored) and those validate keeps at their default
	// (PlatformSpec.Unsupported). Plans leave them out there.
	Unheld []string
	// Adopts are the kinds whose create adopts an object the platform
	// already has (PlatformSpec.Adopts).
	Adopts []string
	// UnmuteAtEnd is true when the platform's mutes last until lifted
	// (PlatformSpec.UnmuteAtEnd): hearth lifts them when they end.
	UnmuteAtEnd bool
	DeclRange   hcl.Range
	// SettingRanges are where each setting written is, by name, for
	// diagnostics about a setting's value found after the block is read.
	SettingRanges map[string]hcl.Range
	// SecretVars are the variables the credential settings (Attr.Secret)
	// are written from, by setting name (api_key: discourse_api_key),
	// so an error about a refused credential can say which variable to
	// check without its value. A setting written otherwise has none.
	SecretVars map[string]string
}

// Addr is the platform's reference address, "platform.TYPE.NAME".
func (p *Platform) Addr() string { return "platform." + p.Type + "." + p.Name }

// Lifecycle controls plan behaviour for one object.
type Lifecycle struct {
	PreventDestroy bool
	IgnoreChanges  []string
}

// Community is a community block.
type Community struct {
	Name       string
	Title      string
	Platform   *Platform
	Purpose    string
	Audience   string
	Capacity   int
	OnCapacity string
	// SubTitle is the title of a sub-community, with {title} and {n}
	// (sub_title); "" is DefaultSubTitle.
	SubTitle       string
	HouseRules     string
	WelcomeMessage string
	Channels       []*Channel
	Roles          []*Role
	Moderation     []*Moderation
	Ladder         *Ladder
	Lifecycle      Lifecycle
	DeclRange      hcl.Range
}

// Splits reports whether the community opens sub-communities past its
// capacity: a capacity and on_capacity = "split" (the default).
func (c *Community) Splits() bool {
	return c.Capacity > 0 && (c.OnCapacity == "" || c.OnCapacity == "split")
}

// Place is the name of the community at place i of its family: the
// community itself at 1, its sub-community NAME-i from 2.
func (c *Community) Place(i int) string {
	if i <= 1 {
		return c.Name
	}
	return c.Name + "-" + strconv.Itoa(i)
}

// PlaceTitle is the title of the community at place i of its family:
// the block's title, and from 2 the title plan gives its sub-community,
// "TITLE i".
func (c *Community) PlaceTitle(i int) string {
	if i <= 1 || c.Title == "" {
		return c.Title
	}
	return SubTitle(cmp.Or(c.SubTitle, DefaultSubTitle), c.Title, i)
}

// DefaultSubTitle titles a sub-community "TITLE N": "Widget OSS 2".
const DefaultSubTitle = "{title} {n}"

// SubTitle fills a sub_title format with the community's title and the
// sub-community's number.
func SubTitle(format, title string, n int) string {
	return strings.NewReplacer("{title}", title, "{n}", strconv.Itoa(n)).Replace(format)
}

// subCommunityRe matches the names plan gives a full community's
// sub-communities: NAME-2, NAME-3 ...
var subCommunityRe = regexp.MustCompile(`^(.+)-([2-9]|[1-9][0-9]+)$`)

// SplitName reads a sub-community's name, NAME-N with N from 2, into
// NAME and N; ok is false for any other name.
func SplitName(name string) (parent string, place int, ok bool) {
	m := subCommunityRe.FindStringSubmatch(name)
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return "", 0, false
	}
	return m[1], n, true
}

// Family finds the community block a community on a platform belongs
// to, and its place in the block's family: the block of that name at
// place 1, or, for NAME-N with no block of its own, the block NAME at
// place N: a sub-community it opened, which stays in its family while
// it has members, even once the block no longer splits. nil when there
// is none. validate refuses a block named like the sub-community of one
// that splits, so the answer is the one plan and the runtime agree on.
func (cfg *Config) Family(name string) (*Community, int) {
	for _, c := range cfg.Communities {
		if c.Name == name {
			return c, 1
		}
	}
	if parent, n, ok := SplitName(name); ok {
		for _, c := range cfg.Communities {
			if c.Name == parent {
				return c, n
			}
		}
	}
	return nil, 0
}

// Channel is a channel inside a community.
type Channel struct {
	// Name is the block label: the channel's address in references,
	// state, moved and import blocks.
	Name string
	// Title is the channel's name on the platform, in any script; the
	// block label when the block sets none.
	Title         string
	Topic         string
	Purpose       string
	Color         string
	Position      int
	Category      string
	Private       bool
	PinHouseRules bool
	Lifecycle     Lifecycle
	DeclRange     hcl.Range
}

// Role is a role inside a community.
type Role struct {
	Name        string
	Title       string
	Color       string
	Permissions []string
	Hoist       bool
	Mentionable bool
	Position    int
	Lifecycle   Lifecycle
	Community   *Community
	DeclRange   hcl.Range
}

// Addr is "community.C.role.R".
func (r *Role) Addr() string { return "community." + r.Community.Name + ".role." + r.Name }

// Moderation is a moderation rule of a community.
type Moderation struct {
	Name      string
	On        []string
	When      *Rule
	Keywords  map[string][]string
	Patterns  []string
	Links     int // 0: not checked
	Mentions  int // 0: not checked
	Rate      *durations.Rate
	Action    string // "": the ladder decides
	Duration  time.Duration
	Strikes   int
	Delete    bool
	Reason    string
	DeclRange hcl.Range
}

// Ladder is a community's violation ladder.
type Ladder struct {
	Decay     time.Duration
	Template  *Template
	Rungs     []*Rung
	DeclRange hcl.Range
}

// Rung is one rung of a ladder: Action from Strikes live strikes.
type Rung struct {
	Strikes  int
	Action   string
	Duration time.Duration
}

// Sentiment is the sentiment block: word lists added to the built-in ones.
type Sentiment struct {
	Negative map[string][]string
	Positive map[string][]string
	Builtin  bool
}

// Alert is an alert block: a risk rule over community figures.
type Alert struct {
	Name        string
	Description string
	Community   *Community // nil: every community
	When        *Rule
	Severity    string
	Cooldown    time.Duration
	Campaign    *Campaign
	Responders  []string
	Notify      []*Notify
	DeclRange   hcl.Range
}

// Notify is where an alert is sent.
type Notify struct {
	Channel  string // channel, email, webhook
	Target   *Channel
	To       string
	Platform *Platform
	Template *Template
}

// Rule is a rule attribute: its source, where it is, and its program.
type Rule struct {
	Source  string
	Range   hcl.Range
	Program *rules.Program
	// Address names the rule for metrics and logs: segment.lurkers.when.
	Address string
	// ID is the rule's index in Config.Rules.
	ID    int
	attr  string
	expr  hcl.Expression
	scope rules.Scope
}

// Segment is a segment block.
type Segment struct {
	Name        string
	Community   *Community
	Description string
	When        *Rule
	Role        *Role
	DeclRange   hcl.Range
}

// ReadsLeft reports whether the rule reads member.left, left_at or
// days_since_left.
func (r *Rule) ReadsLeft() bool {
	if r == nil || r.Program == nil {
		return false
	}
	for _, f := range r.Program.Reads.Member {
		switch f {
		case "left", "left_at", "days_since_left":
			return true
		}
	}
	return false
}

// SegmentsForLeft names the segments members who left can be in: those
// whose rule reads member.left, left_at or days_since_left, or reads with
// in_segment one that does (a win-back's "lapsed"). A member who left is
// in no other segment, whatever the rule says of them, so every count
// and list of a segment agrees with the member's stored segments.
func SegmentsForLeft(segs []*Segment) map[string]bool {
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range segs {
			if out[s.Name] || s.When == nil || s.When.Program == nil {
				continue
			}
			if s.When.ReadsLeft() || slices.ContainsFunc(s.When.Program.Reads.Segments, func(d string) bool { return out[d] }) {
				out[s.Name], changed = true, true
			}
		}
	}
	return out
}

// TierNamed is the tier a member stored on name is on: the configured
// tier of that name, or the one moved blocks renamed it to (TierMoves,
// followed along a chain); nil for a tier the configuration no longer
// has.
func (c *Config) TierNamed(name string) *Tier {
	for range len(c.TierMoves) + 1 {
		for _, t := range c.Tiers {
			if t.Name == name {
				return t
			}
		}
		to, ok := c.TierMoves[name]
		if !ok {
			return nil
		}
		name = to
	}
	return nil
}

// NoTier is the name members on no tier go by where a name is needed,
// such as the label of hearth run's hearth_tier_members metric: no tier
// may be named so.
const NoTier = "none"

// Tier is a tier block.
type Tier struct {
	Name        string
	Rank        int
	Title       string
	Description string
	Community   *Community
	When        *Rule
	Keep        *Rule // nil: same as When
	Grace       time.Duration
	DemoteAfter time.Duration
	Window      time.Duration
	Role        *Role
	Benefits    []string
	Locked      []string
	// Trust is the tier's discourse block: the trust level members on
	// the tier hold on a forum; nil when it sets none.
	Trust     *TierTrust
	DeclRange hcl.Range
	// RankRange is where rank is written, for warnings about the ladder.
	RankRange hcl.Range
}

// TrustPlatform is the platform type whose trust levels a tier's
// discourse block sets.
const TrustPlatform = "discourse"

// TierTrust is a tier's discourse block.
type TierTrust struct {
	// Platform is the forum, a discourse platform block.
	Platform *Platform
	// Level is the Discourse trust level, 0 to 4.
	Level int
	// Lock locks the level on the forum.
	Lock      bool
	DeclRange hcl.Range
}

// Badge is a badge block.
type Badge struct {
	Name        string
	Title       string
	Description string
	Class       string
	Repeat      bool
	RevokeWhen  *Rule
	// Platform, when set, also grants the platform's badge PlatformBadge.
	Platform      *Platform
	PlatformBadge string
	DeclRange     hcl.Range
}

// Incentive is an incentive block.
type Incentive struct {
	Name        string
	Description string
	Community   *Community
	On          []string
	When        *Rule
	Once        bool
	// OncePer is once_per: a rule giving a key, such as event.referee;
	// the incentive grants to a member at most once per key, ever.
	OncePer   *Rule
	Cooldown  time.Duration
	Limit     *durations.Rate
	PointsCap *durations.Rate
	Expires   time.Duration
	Grant     Grant
	DeclRange hcl.Range
}

// Grant is what an incentive grants.
type Grant struct {
	To     *Rule // nil: the event's member
	Points int
	Badge  *Badge
	Role   *Role
	Set    map[string]string
	Reason string
}

// Campaign is a campaign block.
type Campaign struct {
	Name        string
	Description string
	Community   *Community
	EnterOn     []string
	EnterWhen   *Rule
	Audience    *Segment
	Members     string // who it is for: MembersCurrent, MembersLeft (a win-back) or MembersAll
	ExitOnLeave bool
	ExitWhen    *Rule // the goal: ends the run as "goal"
	// StopWhen ends the run as "exited", not a goal: the campaign is no
	// longer for the member (they unsubscribed). Checked before
	// ExitWhen, so it wins when both hold.
	StopWhen *Rule
	// ConversionWindow is how long after entering a run that finished
	// may still reach the goal and count as goal (conversion_window);
	// zero: only while the run is under way.
	ConversionWindow time.Duration
	// ConversionFrom is what the window counts from: ConversionFromEntry
	// (the default) or ConversionFromLastSend (conversion_from).
	ConversionFrom string
	Reentry        string
	ReentryAfter   time.Duration
	// RunKey, a rule over the entering event giving a string, makes each
	// distinct value its own run for the member (one per meetup);
	// reentry applies per key. Only with enter_on.
	RunKey *Rule
	// MaxRuns is how many runs with a key a member may have under way
	// at once; one more is refused (counted and logged), not started.
	MaxRuns int
	// Schedule makes the campaign a broadcast: at each occurrence the
	// members then in Audience start a run keyed by its date, once;
	// nobody enters on segment.entered. nil for the others.
	Schedule     *Schedule
	FrequencyCap *durations.Rate
	OnCap        string
	// Paused holds the campaign: no entries, no steps, no sends.
	Paused     bool
	QuietHours *QuietHours
	// ExpireAfter is how long after its time a send of the campaign may
	// still go out: the outbox skips one it has not delivered by then
	// as expired (history replayed or backdated, a daemon stopped for
	// days, retries through an outage). DefaultExpireAfter unless set;
	// zero never expires (expire_after = "never").
	ExpireAfter time.Duration
	Steps       []*Step
	// StepMoves are the campaign's steps renamed by moved blocks
	// (moved { from = campaign.C.step.OLD  to = campaign.C.step.NEW }),
	// old name to new: a run on the old name is on the new step, with
	// its wait and its records, instead of a removed step's run going on
	// past it. A new name may itself be moved on (a chain).
	StepMoves map[string]string
	DeclRange hcl.Range
}

// Who a campaign is for (Campaign.Members).
const (
	MembersCurrent = "current" // in the community; leaving ends the run
	MembersLeft    = "left"    // gone from it; coming back is the goal
	MembersAll     = "all"     // either, and moving between them changes nothing
)

// DefaultExpireAfter is expire_after when not set: a week covers a
// daemon stopped over a long weekend and a platform's outage with its
// retries, while history replayed from months ago, or a join backdated
// by weeks, sends nothing today.
const DefaultExpireAfter = 7 * 24 * time.Hour

// MinExpireAfter is the shortest expire_after: the outbox delivers in
// rounds a second or so apart, and a send must have a chance to go.
const MinExpireAfter = time.Minute

// ExpireNever is how expire_after says a campaign's sends never expire.
const ExpireNever = "never"

// DefaultMaxRuns is max_runs when not set.
const DefaultMaxRuns = 10

// MaxRunKey is the longest key, in bytes, a run may have: it goes into
// the member's document and every outbox key of the run.
const MaxRunKey = 200

// Keyed reports whether a member may have several runs of the campaign,
// one per key: with run_key, and with a schedule (a run per occurrence,
// keyed by its date).
func (c *Campaign) Keyed() bool { return c.RunKey != nil || c.Schedule != nil }

// KeyText says what gives the campaign's run keys, for messages:
// run_key's rule, or the schedule's occurrence dates.
func (c *Campaign) KeyText() string {
	if c.RunKey != nil {
		return "run_key = " + strconv.Quote(c.RunKey.Source)
	}
	if c.Schedule != nil {
		return "schedule: the occurrence's date, such as \"2026-12-01\""
	}
	return ""
}

// For reports whether the campaign takes in a member who has left the
// community (left) or is in it.
func (c *Campaign) For(left bool) bool {
	switch c.Members {
	case MembersAll:
		return true
	case MembersLeft:
		return left
	}
	return !left
}

// What conversion_from may say: the conversion window counts from the
// run's entry (the default), or from the last message the run sent, as
// Customer.io counts a conversion within a window of the message.
const (
	ConversionFromEntry    = "entry"
	ConversionFromLastSend = "last_send"
)

// ConversionEnds is when the conversion window of a finished run that
// entered at entered closes: the window after its entry, or with
// conversion_from = "last_send" after lastSent, the last message it
// sent (sends is how many it sent). ok is false without a window, and
// for a run that sent nothing counting from the last send: no message,
// nothing to credit. A run that sent before conversion_from said
// last_send kept no time of it (lastSent zero) and counts from its
// entry, as it did then.
func (c *Campaign) ConversionEnds(entered, lastSent time.Time, sends int) (time.Time, bool) {
	if c.ConversionWindow <= 0 {
		return time.Time{}, false
	}
	from := entered
	if c.ConversionFrom == ConversionFromLastSend {
		if sends == 0 {
			return time.Time{}, false
		}
		if !lastSent.IsZero() {
			from = lastSent
		}
	}
	return from.Add(c.ConversionWindow), true
}

// Converts reports whether a finished run of c (entered at entered, its
// last message at lastSent, sends messages in all) may still count as
// goal at now: within its conversion window (ConversionEnds). Event
// time decides, so a replay converts the runs a live run did.
func (c *Campaign) Converts(entered, lastSent time.Time, sends int, now time.Time) bool {
	end, ok := c.ConversionEnds(entered, lastSent, sends)
	return ok && !now.After(end)
}

// HasGoal reports whether a run can end at the goal: with exit_when, or
// in a win-back, where coming back is the goal.
// SplitControl is the variant of c's split the others are compared
// with (Step.Control), "" when c has no split.
func (c *Campaign) SplitControl() string {
	for _, st := range c.Steps {
		if len(st.Split) > 0 {
			return st.Control
		}
	}
	return ""
}

func (c *Campaign) HasGoal() bool { return c.ExitWhen != nil || c.Members == MembersLeft }

// StepIndex is where a run stored at step index i, on the step named
// name, is in c now: at the step of that name, wherever a reload moved it.
// A removed step's run goes on to the first step that followed it, in
// after (c's StepOrders), and is still in c: len(c.Steps) when the
// removed step was the last, or all after it are gone too. Without a
// record of the name (no after, or a run stored before names were kept)
// the run is at i, the step now in its place. The result may be
// len(c.Steps) or more: past the end.
func (c *Campaign) StepIndex(i int, name string, after map[string]string) int {
	if name == "" || i >= 0 && i < len(c.Steps) && c.Steps[i].Name == name {
		return i
	}
	if j := c.stepNamed(name); j >= 0 {
		return j
	}
	if to := c.StepMovedTo(name); to != "" {
		return c.stepNamed(to)
	}
	seen := map[string]bool{name: true}
	for n, ok := after[name]; ok; n, ok = after[n] {
		if n == "" {
			return len(c.Steps)
		}
		if j := c.stepNamed(n); j >= 0 {
			return j
		}
		if seen[n] {
			break // a cycle of removed names: nothing to go on to
		}
		seen[n] = true
	}
	return i
}

// StepRemoved reports whether a run on the step named name finds it gone
// from c: it goes on to another step (StepIndex). A step a moved block
// renamed is not removed: its runs are on the new name.
func (c *Campaign) StepRemoved(name string) bool {
	return name != "" && c.stepNamed(name) < 0 && c.StepMovedTo(name) == ""
}

// StepMovedTo is the step of c that moved blocks renamed the step named
// name to, following a chain of them; "" when name is no renamed step of
// c (a step c has, or one removed).
func (c *Campaign) StepMovedTo(name string) string {
	to, ok := c.StepMoves[name]
	for seen := 0; ok && seen <= len(c.StepMoves); seen++ {
		if c.stepNamed(to) >= 0 {
			return to
		}
		to, ok = c.StepMoves[to]
	}
	return ""
}

// HasStep reports whether c has a step named name, under that name.
func (c *Campaign) HasStep(name string) bool { return c.stepNamed(name) >= 0 }

func (c *Campaign) stepNamed(name string) int {
	for j, s := range c.Steps {
		if s.Name == name {
			return j
		}
	}
	return -1
}

// PathsDir is where relative paths in the files resolve (BaseDir), for
// a Config made without Load too.
func (c *Config) PathsDir() string {
	if c.BaseDir != "" {
		return c.BaseDir
	}
	return c.Dir
}

// QuietHours is a window with no sends.
type QuietHours struct {
	From, To durations.ClockTime
	Timezone *time.Location // nil: the member's
}

// Holds reports whether the time of day is inside the window, which may
// run past midnight.
func (q *QuietHours) Holds(t durations.ClockTime) bool {
	if q.From < q.To {
		return t >= q.From && t < q.To
	}
	return t >= q.From || t < q.To
}

// End is the end of the window when t is inside it, in the window's own
// zone, or else member's (the member's zone, or the hearth block's for a
// member without one), in UTC; ok is false when t is outside it. The
// runtime defers a step's send with it, and the outbox a send whose
// delivery comes late (after a restart, a retry, a backdated event), so
// the two cannot disagree on what the window is.
func (q *QuietHours) End(t time.Time, member *time.Location) (time.Time, bool) {
	loc := q.Timezone
	if loc == nil {
		loc = member
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if !q.Holds(durations.ClockTime(lt.Hour()*60 + lt.Minute())) {
		return time.Time{}, false
	}
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), q.To.Hour(), q.To.Minute(), 0, 0, loc)
	if end.Before(t) {
		end = time.Date(lt.Year(), lt.Month(), lt.Day()+1, q.To.Hour(), q.To.Minute(), 0, 0, loc)
	}
	return end.UTC(), true
}

// Window is the quiet hours as member show and the outbox write them,
// "22:00–08:00", and Zone the zone they are in: "member" for the
// member's own, or the zone the campaign names.
func (q *QuietHours) Window() string { return q.From.String() + "–" + q.To.String() }

// Zone is "member", or the zone the campaign's quiet hours name.
func (q *QuietHours) Zone() string {
	if q.Timezone != nil {
		return q.Timezone.String()
	}
	return "member"
}

// Step is one campaign step.
type Step struct {
	Name      string
	Wait      time.Duration
	At        *durations.ClockTime
	WaitUntil *Rule
	// Until gives the time the step waits for, worked out when the run
	// reaches the step; IfPast ("skip" or "send") is what the step does
	// when that time has passed already.
	Until     *Rule
	IfPast    string
	Timeout   time.Duration
	OnTimeout string
	When      *Rule
	Goto      string
	Send      *Send
	Branches  []*Branch
	Split     []*Variant
	// Control is the split's variant the others are compared with: its
	// control attribute, else the first variant ("" without a split).
	Control   string
	DeclRange hcl.Range
}

// Exit is the step name that ends a campaign.
const Exit = "exit"

// Send is a step's send action.
type Send struct {
	Channel  string // dm, channel, email, webhook
	Template *Template
	Survey   *Survey // questions sent after the template's text
	Target   *Channel
	Platform *Platform
	// Transactional marks an email the member must get even after
	// unsubscribing (a receipt, a password reset): it is sent, and
	// carries no List-Unsubscribe.
	Transactional bool
	// NotAfter gives a time past which the send is dropped (a reminder
	// that would land after the meetup began): worked out when the step
	// comes due, and kept with the queued send so the outbox drops it too
	// if it has not gone out by then.
	NotAfter *Rule
}

// Branch goes to a step when a rule holds.
type Branch struct {
	When *Rule
	Goto string
}

// Variant is one arm of an A/B split.
type Variant struct {
	Name   string
	Weight int
	Goto   string
}

// Template is a template block.
type Template struct {
	Name          string
	Description   string
	DefaultLocale string
	Text          map[string]hcl.Expression
	Subject       map[string]hcl.Expression
	HTML          map[string]hcl.Expression
	DeclRange     hcl.Range
}

// EventDecl is an event block: a custom event type, or attributes added
// to a standard one.
type EventDecl struct {
	// Standard marks a block for a standard event type: Type holds only
	// the attributes it adds.
	Standard  bool
	Type      rules.EventType
	DeclRange hcl.Range
}

// Moved is a moved block: an address renamed in the configuration.
type Moved struct {
	From, To  string
	DeclRange hcl.Range
	// FromRange and ToRange are where from and to are written, for the
	// diagnostics about each.
	FromRange, ToRange hcl.Range
}

// Import is an import block: an existing platform object to adopt.
type Import struct {
	To, ID    string
	DeclRange hcl.Range
	// ToRange and IDRange are where to and id are written, for the
	// errors a plan finds about each.
	ToRange, IDRange hcl.Range
}

// LikelyEventType is the standard or declared event type that typ looks
// like a slip of ("message.posted" for "mesage.posted"), or "" when typ
// is one itself or looks like none. Events of an undeclared type are
// taken, but no rule reads them, so a sender's typo would go unseen.
func (c *Config) LikelyEventType(typ string) string {
	if _, known := c.EventTypes[typ]; known {
		return ""
	}
	return rules.Closest(typ, sortedNames(c.EventTypes))
}

// ProfileEventType is the event type whose attributes are all merged
// into member.attrs, declared or not: none of its names is a slip.
const ProfileEventType = "member.profile_updated"

// LikelyEventAttr is the attribute of event type typ that attr looks
// like a slip of ("channel" for "chanel" on message.posted), or "" when
// typ is neither standard nor declared, declares attr, or declares
// nothing close. Attributes an event type does not declare are taken
// and no rule reads them, as `hearth test` warns: a sender's typo of a
// declared one would leave the rules reading "" without a word. The
// names are those of the type's event block or of `hearth explain
// events`, never the fields every event has (id, type, at, member,
// source), which are not attributes.
func (c *Config) LikelyEventAttr(typ, attr string) string {
	et, known := c.EventTypes[typ]
	if !known || typ == ProfileEventType {
		return ""
	}
	if _, declared := et.Attrs[attr]; declared {
		return ""
	}
	return rules.Closest(attr, sortedNames(et.Attrs))
}

// StepVariants names, for each step only some variants of an A/B split
// lead to, the variants that do: "personal_msg" is on variant personal.
// Steps every variant reaches (those after the arms join) are not in it.
func (c *Campaign) StepVariants() map[string][]string {
	out := map[string][]string{}
	for i, st := range c.Steps {
		if len(st.Split) == 0 {
			continue
		}
		reach := make([]map[string]bool, len(st.Split))
		for k, v := range st.Split {
			to := v.Goto
			if to == "" && i+1 < len(c.Steps) {
				to = c.Steps[i+1].Name
			}
			reach[k] = c.reachable(to)
		}
		for _, s := range c.Steps {
			var on []string
			for k, v := range st.Split {
				if reach[k][s.Name] {
					on = append(on, v.Name)
				}
			}
			if len(on) > 0 && len(on) < len(st.Split) {
				out[s.Name] = append(out[s.Name], on...)
			}
		}
	}
	return out
}

// reachable is the set of steps a run at step from can come to, by any
// path: the next step, goto, branches, split arms and on_timeout.
func (c *Campaign) reachable(from string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{from}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		j := c.stepNamed(name)
		if j < 0 || seen[name] {
			continue // exit, or a step seen
		}
		seen[name] = true
		queue = append(queue, c.successors(j)...)
	}
	return seen
}

// successors are where a run at step j can go on to: the next step,
// goto, branches, split arms and on_timeout; "" past the last step and
// "exit" are the run finishing.
func (c *Campaign) successors(j int) []string {
	st := c.Steps[j]
	var out []string
	for _, b := range st.Branches {
		out = append(out, b.Goto)
	}
	for _, v := range st.Split {
		out = append(out, v.Goto)
	}
	if st.OnTimeout != "" {
		out = append(out, st.OnTimeout)
	}
	next := ""
	if j+1 < len(c.Steps) {
		next = c.Steps[j+1].Name
	}
	switch {
	case len(st.Split) > 0 && slices.ContainsFunc(st.Split, func(v *Variant) bool { return v.Goto == "" }):
		out = append(out, next)
	case len(st.Split) > 0:
	case st.Goto != "":
		out = append(out, st.Goto)
		if st.When != nil {
			out = append(out, next) // the step skipped: on to the next
		}
	default:
		out = append(out, next)
	}
	return out
}

// Loop describes how c's steps go round, for a campaign written as a
// loop (a weekly digest: goto back to an earlier step after a wait):
// Back is a step a goto (branch, variant or on_timeout) leads back to
// from From, an earlier step or itself, and Finishes says whether a run
// can still finish (reach goto = "exit" or pass the last step). Such a
// campaign's runs end mostly at the goal, stop_when or leaving, so most
// stay running: goal rates count them as not converted yet. ok is false
// for a campaign whose steps never go back.
func (c *Campaign) Loop() (from, back string, finishes, ok bool) {
	if len(c.Steps) == 0 {
		return "", "", false, false
	}
	seen := c.reachable(c.Steps[0].Name)
	for j, st := range c.Steps {
		if !seen[st.Name] {
			continue // no run comes here: its goto loops nothing
		}
		for _, to := range c.successors(j) {
			if k := c.stepNamed(to); k >= 0 && k <= j && !ok && c.reachable(to)[st.Name] {
				from, back, ok = st.Name, to, true
			}
			if to == "" || to == "exit" {
				finishes = true
			}
		}
	}
	return from, back, finishes, ok
}
