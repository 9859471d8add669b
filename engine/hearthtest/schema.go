package hearthtest

import "github.com/hearth-community/hearth/engine/config"

// Campaign run states an expectation can name: a run under way, a run
// that ended, or no run at all.
const (
	statusActive = "active"
	statusDone   = "done"
	statusNone   = "none"
)

// What can hold back a campaign run's send, as an expectation names it:
// the state's hold reasons, or none.
const (
	heldQuietHours   = "quiet_hours"
	heldFrequencyCap = "frequency_cap"
	heldNone         = "none"
)

// VariablesDoc describes a test file's variables attribute, for the
// schema and for hearth explain test.
const VariablesDoc = "Variable values every test of the file runs with, written at the top of the file: variable name = value, as in a -var-file. They win over -var, -var-file and HEARTH_VAR_ for this file's tests, so a test at a threshold a variable sets means the same whatever the command line says; the other files' tests keep the command line's values. Values must be constants of the variable's type, and pass its validation blocks."

// Schema is the format of a test file. The decoder reads test files with
// it and `hearth explain test` prints it, so the two cannot disagree.
// It is built on each call: callers may not change a shared one.
func Schema() *config.Block {
	message := &config.Block{
		Type: "message", Labels: []string{"step"},
		Doc: "The message of one of the campaign's steps that went out to the member: the latest one sent at that step (of the run with key, in a campaign with run_key; else of any run), as the test's outbox delivered it. Its text is the member's locale's, made from the template as hearth run makes it; its time is when it went out, after quiet hours or a frequency cap held it, or a late event's received. A failure prints the expected against what went out, or says the step's message never did and why. Only the attributes given are checked.",
		Attrs: []config.Attr{
			{Name: "text", Kind: config.KindString, Doc: "The whole text, exactly (an email's text part)."},
			{Name: "contains", Kind: config.KindStringList, Doc: "Pieces the text must hold, each anywhere in it. [] checks nothing, and is a warning.", Example: `["Ann", "#welcome"]`},
			{Name: "subject", Kind: config.KindString, Doc: "An email's subject, exactly."},
			{Name: "at", Kind: config.KindString, Doc: "When the message went out, written as an event's at is: an offset from the test's start such as \"1d8h\", an RFC 3339 time, or a date."},
			{Name: "not_before", Kind: config.KindString, Doc: "The message went out at this time or later: written as an event's at is (a welcome held to the morning by quiet hours)."},
		},
		Example: `message "welcome" {
  contains   = ["Welcome, Ann"]
  not_before = "1d8h"
}`,
	}
	campaign := &config.Block{
		Type: "campaign", Labels: []string{"name"},
		Doc: "Where the member is in a campaign of the configuration: the state of their run and the messages the campaign sent them. Only the attributes given are checked.",
		Attrs: []config.Attr{
			{Name: "key", Kind: config.KindString, Doc: "Which run, in a campaign with run_key: the one the member entered with this key (what run_key gave), such as \"Go Night #43\". The other attributes are then about that run alone, sent and skipped included. Without it, in such a campaign, only sent and skipped can be checked, over all the member's runs."},
			{Name: "status", Kind: config.KindEnum, Enum: []string{statusActive, statusDone, statusNone}, Doc: "The member's run: active (under way), done (ended), or none (never entered)."},
			{Name: "step", Kind: config.KindString, Doc: "The step an active run is at: the one it waits on or runs next. \"\" when no run is active."},
			{Name: "ended", Kind: config.KindEnum, Enum: []string{"goal", "exited", "finished", "left", "stopped"}, Doc: "Why the last run ended: goal (exit_when held, or the member came back, in a campaign with members = \"left\"), exited (stop_when held), finished (after its last step or at exit), left (the member left the audience, or the community in a campaign for current members) or stopped (hearth campaign stop)."},
			{Name: "variant", Kind: config.KindString, Doc: "The A/B variant a split step chose for the member; \"\" for none yet. The choice is a stable hash of the member id and the campaign; to test a variant, pin it with the test's member block (variants = { onboarding = \"short\" })."},
			{Name: "sent", Kind: config.KindStringList, Doc: "The steps whose messages the campaign sent the member, in order, over all runs. A send deferred by quiet hours or a frequency cap counts once it is sent. Sends are delivered as hearth run's outbox delivers them, when queued and after every event of that instant: one the outbox skips then (an email to a member who unsubscribed from its platform, unless transactional; a message to one who left; a win-back's to one who came back) is not sent, and is in skipped.", Example: `["welcome", "nudge"]`},
			{Name: "skipped", Kind: config.KindStringList, Doc: "The steps whose sends were not made, in order, over all runs: skipped at the step (the member unsubscribed or left, an until had passed, a full frequency cap with on_cap = \"skip\") or by the outbox at delivery (the member unsubscribed, left or came back at the instant it was queued, or the send expired: delivered later than the campaign's expire_after after its time, as a late event's, with received, may be). A failure says when and why each was skipped.", Example: `["nudge"]`},
			{Name: "runs", Kind: config.KindNumber, Doc: "How many times the member entered the campaign."},
			{Name: "held", Kind: config.KindEnum, Enum: []string{heldQuietHours, heldFrequencyCap, heldNone}, Doc: "What holds back the send of the step an active run is on: quiet_hours (the campaign's quiet hours), frequency_cap (a full frequency cap, the campaign's or the hearth block's) or none. A send of the run already queued that the outbox holds because it was to go out inside the quiet hours (delivered late: an event's received) counts too, as quiet_hours, whether or not the run is still under way. A held send is not in sent until it goes out; member show and member why show the same hold."},
			{Name: "held_until", Kind: config.KindString, Doc: "When the hold ends and the send is made again: written as an event's at is, such as \"1d8h\". The end of the quiet hours is in the member's time zone (for a member without one, the hearth block's timezone, UTC by default) unless the campaign's quiet_hours give a timezone."},
		},
		Blocks: []*config.Block{message},
		Example: `campaign "onboarding" {
  status = "active"
  step   = "nudge"
  sent   = ["welcome"]
  message "welcome" {
    contains = ["Welcome, Ann"]
    at       = "1h"
  }
}

campaign "onboarding" {
  step       = "welcome"
  held       = "quiet_hours"
  held_until = "1d8h"
}`,
	}
	expect := &config.Block{
		Type: "expect", Labels: []string{"member"},
		Doc: "The state a member must be in, after the test's events up to at. Only the attributes given are checked. The member must be one an event of the test is about, or names among its attributes (a referrer): another is an error, most likely a typo'd id, which would check an empty member.",
		Attrs: []config.Attr{
			{Name: "at", Kind: config.KindString, Doc: "When to look, written as an event's at is, such as \"2d\". Time-based rules run up to then; events after it are not applied. Before the test's start, or before the member's first event is received, is a warning: the member has no state then.", Default: "the time of the test's last event"},
			{Name: "points", Kind: config.KindNumber, Doc: "The member's points."},
			{Name: "tier", Kind: config.KindString, Doc: "The member's tier; \"\" for none."},
			{Name: "badges", Kind: config.KindStringList, Doc: "Every badge the member holds, in any order; a badge with repeat = true once per award; [] for none.", Example: `["first_post"]`},
			{Name: "in_segments", Kind: config.KindStringList, Doc: "Segments the member must be in (others may hold them too). [] checks nothing, and is a warning."},
			{Name: "not_in_segments", Kind: config.KindStringList, Doc: "Segments the member must not be in. [] checks nothing, and is a warning."},
			{Name: "attrs", Kind: config.KindAny, Doc: "Member attributes (member.attrs) and their values; other attributes are not checked.", Example: `{ email = "opted_out" }`},
			{Name: "strikes", Kind: config.KindNumber, Doc: "The member's live moderation strikes."},
			{Name: "actions", Kind: config.KindStringList, Doc: "The moderation decisions taken about the member, in order, with their durations.", Example: `["warn", "mute 1h"]`},
			{Name: "bounced", Kind: config.KindStringList, Doc: "The email platforms the member's address bounced at (member.bounced_from: a hard bounce, email.bounced, not lifted since), in any order, such as \"email.news\"; [] for none. A bounce is of the member's address, so give the member one (the test's member block, identities = { email = \"...\" }): an email.bounced of a member with none records nothing.", Example: `["email.news"]`},
			{Name: "unsubscribed", Kind: config.KindStringList, Doc: "The email platforms the member is unsubscribed from (member.unsubscribed_from), in any order: \"email.news\", or \"email\" for all of them (an email.unsubscribed naming no platform); [] for none.", Example: `["email.news"]`},
		},
		Blocks: []*config.Block{campaign},
	}
	event := &config.Block{
		Type: "event", Labels: []string{"type"},
		Doc: "An input event: a standard event type, or one an event block of the configuration declares. Events are applied in time order, whatever their order in the file.",
		Attrs: []config.Attr{
			{Name: "member", Kind: config.KindString, Required: true, Doc: "The member's id."},
			{Name: "at", Kind: config.KindString, Required: true, Doc: "When: an offset from start such as \"3d12h\" (\"0\" for start itself), an RFC 3339 time, or a date such as \"2026-06-01\" (its start in UTC, as hearth simulate -from reads one). Before the test's start is a warning."},
			{Name: "id", Kind: config.KindString, Doc: "The event's id, its idempotency key; repeated events get -1, -2 ... after it.", Default: "test-N for the N-th event block"},
			{Name: "attrs", Kind: config.KindAny, Doc: "The event's attributes, of the types its event type declares (`hearth explain events`).", Example: `{ channel = "help" }`},
			{Name: "repeat", Kind: config.KindNumber, Doc: "Send the event this many times, every apart; 0 sends nothing (handy in generated tests).", Default: "1"},
			{Name: "every", Kind: config.KindDuration, Doc: "The time between repeated events; longer than zero.", Default: "1m"},
			{Name: "received", Kind: config.KindString, Doc: "When hearth receives the event, if later than at (and every repetition's time): an event posted or replayed after it happened, such as a member.joined backdated 15 days. It is applied at its own time, as hearth run applies a late event, and the test's clock moves to received first, so events are taken in the order they are received. The steps it leads to come due at their own times, but their messages are delivered from received on, as hearth run's outbox would: a campaign's send may then expire (expire_after: in skipped) or wait for the end of its quiet hours (held = \"quiet_hours\").", Default: "at", Example: `received = "15d"`},
		},
	}
	alert := &config.Block{
		Type: "expect_alert", Labels: []string{"alert"},
		Doc: "How often an alert of the configuration fired over all the test's events, summed over communities.",
		Attrs: []config.Attr{
			{Name: "fired", Kind: config.KindNumber, Doc: "Times the alert fired."},
			{Name: "suppressed", Kind: config.KindNumber, Doc: "Times its cool-down held it back."},
		},
	}
	member := &config.Block{
		Type: "member", Labels: []string{"id"},
		Doc: "What the test sets for a member, from the test's start: their identities and name, which every event of theirs carries in its member object as hearth run's events do, and, in place of the rules, the A/B variant of a campaign's split. At most one per member in a test.",
		Attrs: []config.Attr{
			{Name: "identities", Kind: config.KindStringMap, Doc: "The member's ids on platforms, by platform type, as events give them in member.identities: email = their address, which email sends go to and which an email.bounced is of. Given with each of the member's events. Two members of a test cannot share one.", Example: `{ email = "lea@example.org" }`},
			{Name: "name", Kind: config.KindString, Doc: "The member's display name (member.name), given with each of the member's events as an event's member.name is."},
			{Name: "variants", Kind: config.KindStringMap, Doc: "The A/B variant each campaign's split gives the member: campaign name = variant name. The member's runs of the campaign take it at the split as if the split had chosen it (recorded, counted in the variant's arm, and on to its goto), where hearth run and simulate choose by a stable hash of the member id and the campaign. The campaign must have a split, and the variant be one of its variants. In a campaign with run_key, \"CAMPAIGN[KEY]\" pins the member's run with that key alone, over the campaign's pin: { rsvp = \"short\", \"rsvp[Go Night #43]\" = \"long\" }.", Example: `{ onboarding = "short" }`},
		},
		Example: `member "ann" {
  identities = { email = "ann@example.org" }
  variants   = { onboarding = "short" }
}`,
	}
	test := &config.Block{
		Type: "test", Labels: []string{"name"},
		Doc: "A rule unit test in a *.hearthtest.hcl file, run by hearth test: timed events, then the state members must be in and how often alerts fired; member blocks give members identities (an email address) and a name, and pin what the rules would otherwise choose, such as an A/B variant. Each test starts from no members; names are unique in a directory, and a test must have at least one expect or expect_alert block.",
		Attrs: []config.Attr{
			{Name: "start", Kind: config.KindString, Doc: "The time that offsets such as at = \"1h\" count from: RFC 3339, or a date (its start in UTC).", Default: "2026-01-01T00:00:00Z"},
		},
		Blocks: []*config.Block{member, event, expect, alert},
		Example: `test "ten posts make a regular" {
  event "message.posted" {
    member = "ann"
    at     = "1h"
    attrs  = { channel = "help" }
    repeat = 10
    every  = "1m"
  }
  expect "ann" {
    points = 10
    tier   = "regular"
  }
}`,
	}
	return &config.Block{
		Doc: "A rule test file: test blocks, in files named *.hearthtest.hcl next to the configuration.",
		Attrs: []config.Attr{
			{Name: "variables", Kind: config.KindAny, Doc: VariablesDoc, Example: `{ topics_created_last_100_days = 300 }`},
		},
		Blocks: []*config.Block{test},
	}
}
