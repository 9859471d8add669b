package state

// The reference of outcome lines (hearth simulate and replay -outcomes, GET
// /v1/members/ID/history, hearth member export): hearth explain outcomes
// prints it, the README has it in words, and tests hold the runtime and
// the README to it, so a kind, change or field added to one is added to
// all.

// OutcomeField documents one field of an outcome line.
type OutcomeField struct {
	Field string `json:"field"`
	Doc   string `json:"doc"`
}

// OutcomeKind documents one kind of outcome: what its name and rule
// hold, and each change it has.
type OutcomeKind struct {
	Kind    string          `json:"kind"`
	Doc     string          `json:"doc"`
	Name    string          `json:"name"`
	Rule    string          `json:"rule"`
	Changes []OutcomeChange `json:"changes"`
}

// OutcomeChange documents one change of a kind. Fields are the fields
// beyond those every line has (kind, member, name, change, at, rule,
// event) that it may set; a line leaves out those that are empty.
type OutcomeChange struct {
	Change string   `json:"change"`
	Doc    string   `json:"doc"`
	Fields []string `json:"fields,omitempty"`
}

// OutcomeCommonFields are the fields every outcome line has, empty or not.
var OutcomeCommonFields = []string{"kind", "member", "name", "change", "at", "rule", "event"}

// OutcomeTitleField is the field -outcomes (simulate, replay) adds to badge
// and tier lines: the title the files give the block name names. It is
// not stored.
const OutcomeTitleField = "title"

// OutcomeFields documents every field of an outcome line, in the order
// lines give them.
func OutcomeFields() []OutcomeField {
	return []OutcomeField{
		{"kind", "What the outcome is about: points, badge, tier, segment, campaign, action, moderation or alert (below)."},
		{"member", "The member it happened to (for points of a grant.to, the member who gets them); \"\" for an alert and the actions an alert queues, which concern a community."},
		{"name", "What of its kind it is about (per kind below): a badge's block name (nice_answer, not its title Nice Answer), the tier whose rule decided a move, a segment, a campaign, an action's kind ..."},
		{"change", "What happened (per kind below)."},
		{"at", "When, in RFC 3339: the event's time, or the time a time-based rule or timer ran (a grace period ending, a step coming due, a recheck)."},
		{"rule", "The address of the block that decided it: incentive.NAME, badge.NAME, tier.NAME, segment.NAME, campaign.NAME, alert.NAME, community.C.moderation.NAME; 'hearth member why MEMBER RULE' explains those of segments, tiers, badges, campaigns and incentives. A few name no block: points.expiry, imported (the opening state of a member.imported event, from hearth import members), survey (a survey answer hearth could not read), community.C.welcome_message, and a pardon's the moderation rule the operator named or \"all rules\"."},
		{"event", "The id of the event that caused it: an event of the file or stream; EVENT/TYPE/NAME/MEMBER for an event hearth derived from one (tier.changed, badge.awarded ...); recheck:MEMBER:UNIXTIME for a member's time-based recheck; check:TIME for a community's check (alerts); operator for hearth campaign stop and hearth member pardon; for a points expiry, the event that granted them."},
		{"points", "Points outcomes only: the points granted (negative for a grant that costs points) or taken back on expiry (negative)."},
		{"from", "Tier outcomes: the tier left; absent when the member had none. Action outcomes of a campaign's send (queue, and hearth simulate's skip and defer): the run's A/B variant, absent without one (a campaign without a split, a send before the split gave one, and sends recorded before hearth wrote it)."},
		{"to", "Tier outcomes: the tier entered, absent for none. Action outcomes: where the action goes: the member's platform id, an email address, a channel, a role (community.C.role.R) or a platform (platform.TYPE.NAME). Moderation outcomes: a mute's or ban's duration."},
		{"detail", "More, per kind below: a badge's class, why a campaign run ended, an action's outbox key, a moderation decision's evidence ..."},
		{OutcomeTitleField, "Badge and tier outcomes, in -outcomes lines only (hearth simulate and hearth replay; not stored): the title the files give the badge or tier name names (its name when it sets none; the summary's Badges rows show titles); absent for a block the files no longer have."},
	}
}

// runKey is how campaign details end for a run of a campaign with
// run_key (RunDetail).
const runKey = ` A run of a campaign with run_key has (key "KEY") after it, or only key "KEY".`

// OutcomeKinds documents every kind of outcome and its changes.
func OutcomeKinds() []OutcomeKind {
	return []OutcomeKind{
		{
			Kind: KindPoints, Doc: "Points granted or taken back.",
			Name: "The grant's reason (grant.reason; the incentive's name by default), or the expired grant's; imported for an opening balance.",
			Rule: "incentive.NAME; points.expiry for an expiry; imported for an opening balance.",
			Changes: []OutcomeChange{
				{"grant", "An incentive granted points (negative: a grant that costs points).", []string{"points"}},
				{"expire", "Points of a grant with expires taken back when they ran out (no more than the balance), at the expiry time; event is the granting event.", []string{"points"}},
				{"import", "An opening balance a member.imported event brought (hearth import members): not a grant, so reports count it as imported, not in the month's grants.", []string{"points"}},
			},
		},
		{
			Kind: KindBadge, Doc: "A badge awarded or taken back.",
			Name: "The badge's block name (nice_answer); the summary shows its title (Nice Answer), which -outcomes gives as title.",
			Rule: "incentive.NAME that awarded it; badge.NAME for a revoke; imported for an import.",
			Changes: []OutcomeChange{
				{"award", "An incentive awarded the badge; detail is its class (bronze, silver, gold).", []string{"detail", OutcomeTitleField}},
				{"revoke", "The badge's revoke_when held: the member no longer holds it.", []string{OutcomeTitleField}},
				{"import", "A member.imported event brought the badge (hearth import members), which the member did not hold: not an award, so reports count it as imported; detail is its class.", []string{"detail", OutcomeTitleField}},
			},
		},
		{
			Kind: KindTier, Doc: "A move on the tier ladder; from and to give both ends (absent: no tier).",
			Name: "The tier whose rule decided the move: the tier entered on promote and lock, the tier left on demote (not the lower tier landed on), so grouping by name counts each tier's promotions to it and demotions from it.",
			Rule: "tier.NAME of that same tier: on a demotion, the tier whose keep (its when, with no keep) failed past grace and demote_after, or that the files no longer have; 'hearth member why MEMBER tier.NAME' explains it and lists the member's moves on the tier.",
			Changes: []OutcomeChange{
				{"promote", "The when of a tier above held (through its window): to is the highest such tier.", []string{"from", "to", OutcomeTitleField}},
				{"demote", "The keep of the tier held failed past grace and demote_after (or the files dropped the tier): to is the highest tier below whose keep holds, absent for none.", []string{"from", "to", OutcomeTitleField}},
				{"lock", "The member is in the tier's locked list and was moved onto it.", []string{"from", "to", OutcomeTitleField}},
				{"import", "A member.imported event set the tier (hearth import members; never lower than the one held): name is the tier, rule imported; it is held 30 days (or its grace, if longer) before its keep is judged.", []string{"from", "to", OutcomeTitleField}},
			},
		},
		{
			Kind: KindSegment, Doc: "A member entering or leaving a segment.",
			Name: "The segment.", Rule: "segment.NAME.",
			Changes: []OutcomeChange{
				{"enter", "The segment's when came to hold.", nil},
				{"leave", "The segment's when stopped holding.", nil},
			},
		},
		{
			Kind: KindCampaign, Doc: "A campaign run's progress." + runKey,
			Name: "The campaign.", Rule: "campaign.NAME.",
			Changes: []OutcomeChange{
				{"enter", "A run began; detail is run N, the member's Nth.", []string{"detail"}},
				{"exit", "A run ended; detail is why: goal (exit_when held), exited (stop_when held), finished, left, stopped (removed from the files, or hearth campaign stop); to is the run's A/B variant, as on convert (absent without one, and on exits recorded before hearth wrote it).", []string{"to", "detail"}},
				{"convert", "A run that had finished (its exit says finished) reached the goal within the campaign's conversion_window of entering (of its last message, with conversion_from = \"last_send\"), and counts as goal from now; to is the run's A/B variant (absent without one), detail goal.", []string{"to", "detail"}},
				{"refused", "An entry with a new key turned away: the member had max_runs runs under way; detail says how many.", []string{"detail"}},
				{"defer", "A step's send put off; detail is the step, what held it and until when: hello: quiet hours until 2026-01-02T08:00:00Z, or hello: frequency cap until ... (before hearth said why, a quiet-hours one read hello until ...).", []string{"detail"}},
				{"skip", "A step's send not made (its until had passed, the member left or unsubscribed, a frequency cap); detail is the step and why.", []string{"detail"}},
				{"timeout", "A step's wait_until did not hold within its timeout; detail is the step.", []string{"detail"}},
				{"variant", "The run was given an A/B variant; detail is the variant.", []string{"detail"}},
			},
		},
		{
			Kind: KindAction, Doc: "Something for the outbox to do on a platform.",
			Name: "The action's kind, as the outbox lists it: send.dm, send.email, send.channel, send.webhook, role.add, role.remove, badge.grant, badge.revoke, trust_level.set, trust_level.raise, trust_level.lock, trust_level.unlock, moderation.mute, moderation.unmute (a mute lifted when it ended or was pardoned), moderation.kick, moderation.ban, moderation.delete, member.move (a join moved into a sub-community with room) ...",
			Rule: "What queued it: campaign.NAME, tier.NAME or segment.NAME (a role), incentive.NAME (a platform badge), community.C.moderation.NAME, alert.NAME, community.C.welcome_message, survey.",
			Changes: []OutcomeChange{
				{"queue", "Put in the outbox; to is its target (an email's, the member's address: absent when they have no email identity, never their id), detail its outbox key; from, of a campaign's send, the run's A/B variant (absent without one), as on the run's exit.", []string{"from", "to", "detail"}},
				{"failed", "A campaign send whose message could not be made from its template, or was longer than its platform takes; detail is the step and the error.", []string{"detail"}},
				{"skip", "hearth simulate only: a queued send its sandbox outbox skipped at delivery, as hearth run's would (the member left, unsubscribed, came back before a win-back's message, or it expired: not sent within its campaign's expire_after); rule, event, from and to as queued, detail the outbox key and why. Also, everywhere: a moderation.delete a decision could not queue, its event having no post_id; detail says so.", []string{"from", "to", "detail"}},
				{"defer", "hearth simulate only: a queued campaign send its sandbox outbox held at delivery because it would go out inside its campaign's quiet hours, as hearth run's would; rule, event, from and to as queued, detail the outbox key, why and until when (RFC 3339).", []string{"from", "to", "detail"}},
			},
		},
		{
			Kind: KindModeration, Doc: "A moderation decision on a member's message, or a pardon.",
			Name: "The moderation rule's name (ads); for a pardon, the rule named or \"all rules\".",
			Rule: "community.C.moderation.NAME; for a pardon, as name.",
			Changes: []OutcomeChange{
				{"flag", "Recorded only; detail is the evidence, the strikes added and live, and the ladder rung.", []string{"detail"}},
				{"warn", "The member is sent a warning; detail as for flag.", []string{"detail"}},
				{"mute", "The member is muted for to (a duration); detail as for flag.", []string{"to", "detail"}},
				{"remove", "The message is deleted; detail as for flag.", []string{"detail"}},
				{"kick", "The member is removed from the community; detail as for flag.", []string{"detail"}},
				{"ban", "The member is banned: for to, a duration, or for good without one; detail as for flag.", []string{"to", "detail"}},
				{"pardon", "An operator cleared strikes (hearth member pardon); event is operator, detail how many.", []string{"detail"}},
			},
		},
		{
			Kind: KindAlert, Doc: "An alert on a community's figures; member is \"\".",
			Name: "The alert.", Rule: "alert.NAME.",
			Changes: []OutcomeChange{
				{"fire", "The alert's rule came to hold; detail is its summary.", []string{"detail"}},
				{"suppressed", "It held again within its cool-down and sent nothing; detail says since when.", []string{"detail"}},
				{"resolved", "Its rule stopped holding; detail is the community.", []string{"detail"}},
			},
		},
	}
}
