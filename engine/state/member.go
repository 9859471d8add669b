// Package state holds what hearth knows about members: identities,
// profile, per-day activity counters, the points ledger, badges, tier and
// segment memberships, and the bookkeeping incentives need for caps and
// cooldowns. Stores persist it; the runtime changes it.
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/durations"
)

// smallCap is the room a member's short lists start with: growing from
// one entry by doubling copies them twice before they hold four.
const smallCap = 4

// Horizon is how many days of per-day counts are kept: windows longer
// than this are refused at validate time.
const Horizon = 400

// Day numbers days since 1970-01-01 UTC.
type Day int32

// DayOf is the UTC day of t.
func DayOf(t time.Time) Day { return Day(t.Unix() / 86400) }

// Time is the start of the day.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Bucket is one day's count.
type Bucket struct {
	Day   Day `json:"d"`
	Count int `json:"n"`
}

// Series is per-day counts in day order, trimmed to the horizon. Sums over
// a window are exact and cost at most one step per active day.
type Series []Bucket

// MarshalJSON writes a series as a flat array [day, count, day, count ...]:
// member documents are written on every batch, so the form is compact and
// encoded without reflection.
func (s Series) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(s)*12)
	b = append(b, '[')
	for i, x := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x.Day), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(x.Count), 10)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads the flat form.
func (s *Series) UnmarshalJSON(data []byte) error {
	var flat []int64
	if err := json.Unmarshal(data, &flat); err != nil {
		return err
	}
	if len(flat)%2 != 0 {
		return fmt.Errorf("series: odd number of values")
	}
	out := make(Series, 0, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		out = append(out, Bucket{Day: Day(flat[i]), Count: int(flat[i+1])})
	}
	*s = out
	return nil
}

// Add counts n on day d. Days arrive mostly in order; an older day is
// inserted in place.
func (s Series) Add(d Day, n int) Series {
	i := len(s)
	for i > 0 && s[i-1].Day > d {
		i--
	}
	if i > 0 && s[i-1].Day == d {
		s[i-1].Count += n
		return s
	}
	if cap(s) == 0 {
		s = make(Series, 0, smallCap) // most series grow past one day
	}
	s = append(s, Bucket{})
	copy(s[i+1:], s[i:])
	s[i] = Bucket{Day: d, Count: n}
	// Trim what fell out of the horizon.
	cut := 0
	for cut < len(s) && s[cut].Day <= s[len(s)-1].Day-Horizon {
		cut++
	}
	return s[cut:]
}

// Sum counts the days today-days+1 ... today.
func (s Series) Sum(today Day, days int) int {
	total := 0
	from := today - Day(days) + 1
	for i := len(s) - 1; i >= 0 && s[i].Day >= from; i-- {
		if s[i].Day <= today {
			total += s[i].Count
		}
	}
	return total
}

// Days counts the days in the window with a count above zero.
func (s Series) Days(today Day, days int) int {
	n := 0
	from := today - Day(days) + 1
	for i := len(s) - 1; i >= 0 && s[i].Day >= from; i-- {
		if s[i].Day <= today && s[i].Count > 0 {
			n++
		}
	}
	return n
}

// After sums the days later than today: what a series holds beyond the
// day rules are evaluated on, when events of a later date were applied
// first (a late event, or another replica's partition ahead of this
// member's). Days are in order, so the common case, nothing later, costs
// one comparison. Trimming to the horizon keeps the latest days, so these
// are always in the series.
func (s Series) After(today Day) int {
	total := 0
	for i := len(s) - 1; i >= 0 && s[i].Day > today; i-- {
		total += s[i].Count
	}
	return total
}

// Streak counts consecutive days with a count, ending today or yesterday.
func (s Series) Streak(today Day) int {
	i := len(s) - 1
	for i >= 0 && s[i].Day > today {
		i--
	}
	if i < 0 || s[i].Day < today-1 {
		return 0
	}
	n, want := 0, s[i].Day
	for ; i >= 0 && s[i].Day == want && s[i].Count > 0; i-- {
		n++
		want--
	}
	return n
}

// Member is one member's state.
type Member struct {
	ID           string            `json:"id"`
	Name         string            `json:"name,omitempty"`
	Platform     string            `json:"platform,omitempty"`
	Locale       string            `json:"locale,omitempty"`
	Timezone     string            `json:"timezone,omitempty"`
	Identities   map[string]string `json:"identities,omitempty"`
	Attrs        map[string]any    `json:"attrs,omitempty"`
	JoinedAt     time.Time         `json:"joined_at"`
	LastActiveAt time.Time         `json:"last_active_at,omitzero"`
	LastEventAt  time.Time         `json:"last_event_at"`
	// EvaluatedAt is the latest time rules were evaluated for the member.
	EvaluatedAt time.Time `json:"evaluated_at,omitzero"`
	Left        bool      `json:"left,omitempty"`
	// LeftAt is when the member last left the community; it stays when
	// they come back.
	LeftAt time.Time `json:"left_at,omitzero"`
	// Unsubscribed are the email platforms the member unsubscribed from
	// (email.unsubscribed) and has not resubscribed to since
	// (email.resubscribed), with when: by address, "email.news", or
	// UnsubscribedAll for every email platform. The outbox skips email
	// to them through those platforms, however long before it was queued.
	Unsubscribed map[string]time.Time `json:"unsubscribed,omitempty"`
	// Bounced are the hard bounces recorded on the member
	// (email.bounced), by email platform ("email.news"): the outbox
	// sends no email but transactional ones through that platform to the
	// address that bounced, until email.resubscribed lifts it or the
	// member's email identity changes.
	Bounced map[string]Bounce `json:"bounced,omitempty"`
	// Places are where the member is in capacity families: by community
	// block (one with a capacity that splits, or one whose sub-community
	// they are in), the community of its family they are in, the block
	// itself or a sub-community NAME-N. hearth run keeps them from the
	// joins and leaves it sees and the moves it makes, and gives the
	// member's welcome, roles, campaign messages and moderation there.
	// Where the configuration has several communities, a community that
	// does not split is kept too, as itself, while the member is in it:
	// segments limited to a community count its members.
	Places map[string]string `json:"places,omitempty"`

	Points       int `json:"points"`
	PointsEarned int `json:"points_earned"`
	Referrals    int `json:"referrals,omitempty"`
	Strikes      int `json:"strikes,omitempty"` // live moderation strikes

	// Moderation is the member's record with the moderation rules.
	Moderation *Moderation `json:"moderation,omitempty"`

	// Expiring are grants of points that expire, oldest first.
	Expiring []Lot `json:"expiring,omitempty"`

	// Types counts events per type, all time and per day. In JSON they
	// are "totals" and "counts" (see MarshalJSON); in memory one short
	// list, because every event updates both and looking a type up in
	// two maps cost more than the rest of the counting.
	Types  []TypeCount `json:"-"`
	Active Series      `json:"active,omitempty"` // activity per day
	Earned Series      `json:"earned,omitempty"` // points granted per day

	Badges   map[string]*BadgeHold `json:"badges,omitempty"`
	Tier     TierState             `json:"tier"`
	Segments map[string]time.Time  `json:"segments,omitempty"` // segment -> entered at
	// Grants is the bookkeeping of each incentive granted, in a short
	// list like Types; "grants" in JSON, keyed by incentive.
	Grants []IncentiveLog `json:"-"`
	// Referrer is who referred the member: the referrer of the join that
	// first named one (a join while still a member names none; see
	// runtime's updateBase).
	Referrer string `json:"referrer,omitempty"`
	// Referees are the ids of the members this member referred whose
	// referral.converted they have had, in order: Referrals counts each
	// once (a state written before they were kept counted every event).
	Referees []string `json:"referees,omitempty"`

	// Campaigns are the member's runs through campaigns, by RunID: the
	// campaign's name, or name[key] for the runs of a campaign with
	// run_key, one per key.
	Campaigns map[string]*CampaignRun `json:"campaigns,omitempty"`
	// RunsDropped is, by campaign, the highest run number (CampaignRun.Runs)
	// among the member's keyed runs dropped under retention (DropRun): a
	// key entering again numbers its run above it, so its outbox keys are
	// never those of a dropped run's messages, which the outbox would
	// take for sent already.
	RunsDropped map[string]int `json:"runs_dropped,omitempty"`
	// KeysEnded is, by campaign, what is kept of the member's ended keyed
	// runs of a campaign with reentry = "never" once retention would drop
	// them (CompactRun): the key, which the campaign refuses for ever,
	// and how and when the run ended, in key order. A member entering
	// such a campaign once per meetup for years keeps this small record
	// per meetup rather than a whole run.
	KeysEnded map[string][]EndedKey `json:"keys_ended,omitempty"`
	// Sends are the times of recent campaign sends, for frequency caps.
	Sends []time.Time `json:"sends,omitempty"`

	// RecheckAt is when time-dependent rules should next look at this
	// member with no event; zero means never.
	RecheckAt time.Time `json:"recheck_at,omitzero"`

	// Rules is the fingerprint of the segment, tier and badge rules the
	// member was last evaluated against as a whole; zero for a new
	// member. When the rules change, the runtime evaluates all of them
	// again for the member, not only those its latest changes feed.
	Rules uint64 `json:"rules,omitempty"`

	// Tally is what the member has added to the community tallies.
	Tally Tally `json:"tally,omitzero"`
}

// memberJSON is Member without its methods, so encoding it does not
// recurse into MarshalJSON.
type memberJSON Member

// MarshalJSON writes the member with its counts as two objects keyed by
// event type, "totals" (all time) and "counts" (per day), and its grant
// bookkeeping as "grants", keyed by incentive; keys in order. &, < and >
// are as written: an encoder that escapes HTML (json.Marshal) escapes
// them again, and one that does not (hearth's -json output, member
// export) prints "A&B <x>" rather than "A\u0026B \u003cx\u003e".
func (m Member) MarshalJSON() ([]byte, error) {
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	return unescapeHTML(b), nil
}

// Encode is MarshalJSON for stores, which write every member a batch
// touched: called directly, it skips the copy and the second pass
// encoding/json gives a Marshaler's output. It keeps json.Marshal's
// HTML escapes (\u0026 for &): stores read either form, and what people
// read goes through MarshalJSON or View, which undo them.
func (m *Member) Encode() ([]byte, error) {
	b, err := json.Marshal((*memberJSON)(m))
	if err != nil || len(m.Types) == 0 && len(m.Grants) == 0 {
		return b, err
	}
	out := make([]byte, 0, len(b)+len(m.Types)*64+len(m.Grants)*96)
	out = append(out, b[:len(b)-1]...) // without the closing brace
	sep := func() {
		if len(out) > 1 {
			out = append(out, ',')
		}
	}
	if len(m.Types) > 0 {
		sep()
		out = append(out, `"totals":`...)
		out, err = appendObject(out, len(m.Types), func(i int) string { return m.Types[i].Type }, func(out []byte, i int) ([]byte, error) {
			return strconv.AppendInt(out, int64(m.Types[i].Total), 10), nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, `,"counts":`...)
		out, err = appendObject(out, len(m.Types), func(i int) string { return m.Types[i].Type }, func(out []byte, i int) ([]byte, error) {
			days, _ := m.Types[i].Days.MarshalJSON()
			return append(out, days...), nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(m.Grants) > 0 {
		sep()
		out = append(out, `"grants":`...)
		out, err = appendObject(out, len(m.Grants), func(i int) string { return m.Grants[i].Incentive }, func(out []byte, i int) ([]byte, error) {
			log, err := json.Marshal(&m.Grants[i])
			return append(out, log...), err
		})
		if err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// appendObject appends a JSON object of n entries, in key order.
func appendObject(out []byte, n int, key func(int) string, value func([]byte, int) ([]byte, error)) ([]byte, error) {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return key(order[i]) < key(order[j]) })
	out = append(out, '{')
	for i, k := range order {
		if i > 0 {
			out = append(out, ',')
		}
		q, err := json.Marshal(key(k))
		if err != nil {
			return nil, err
		}
		out = append(append(out, q...), ':')
		if out, err = value(out, k); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Member) UnmarshalJSON(data []byte) error {
	aux := struct {
		*memberJSON
		Totals map[string]int           `json:"totals"`
		Counts map[string]Series        `json:"counts"`
		Grants map[string]*IncentiveLog `json:"grants"`
	}{memberJSON: (*memberJSON)(m)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	m.Types = m.Types[:0]
	for typ, n := range aux.Totals {
		m.SetCount(typ, n, aux.Counts[typ])
	}
	for typ, days := range aux.Counts {
		if _, ok := aux.Totals[typ]; !ok {
			m.SetCount(typ, 0, days)
		}
	}
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Type < m.Types[j].Type })
	if len(m.Types) == 0 {
		m.Types = nil
	}
	m.Grants = nil
	for name, g := range aux.Grants {
		if g == nil {
			continue
		}
		g.Incentive = name
		g.Keys = sortedUnique(g.Keys)
		m.Grants = append(m.Grants, *g)
	}
	m.Referees = sortedUnique(m.Referees)
	sort.Slice(m.Grants, func(i, j int) bool { return m.Grants[i].Incentive < m.Grants[j].Incentive })
	m.setRunKeys()
	for _, keys := range m.KeysEnded {
		// Looked up by binary search; a document edited by hand may
		// list them in another order.
		slices.SortFunc(keys, func(a, b EndedKey) int { return strings.Compare(a.Key, b.Key) })
	}
	return nil
}

// sortedUnique sorts a list looked up by binary search, which a document
// edited by hand may give in another order or with repeats.
func sortedUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return slices.Compact(list)
}

// Lot is points granted with an expiry.
type Lot struct {
	Points    int       `json:"points"`
	ExpiresAt time.Time `json:"expires_at"`
	Reason    string    `json:"reason"`
	Event     string    `json:"event"`
}

// CampaignRun is where a member is in a campaign.
type CampaignRun struct {
	Status string `json:"status"` // active, done
	Step   int    `json:"step"`   // index of the current step
	// StepName is the current step's name, so a reload that adds, moves
	// or removes steps finds the run where it was (older runs have none).
	StepName string `json:"step_name,omitempty"`
	// WaitMet is set once the step's wait_until held: a send the quiet
	// hours or a frequency cap then defer does not wait for it again.
	WaitMet   bool           `json:"wait_met,omitempty"`
	StepAt    time.Time      `json:"step_at"`
	Due       time.Time      `json:"due"`               // the step may proceed from then
	Deadline  time.Time      `json:"deadline,omitzero"` // wait_until gives up then
	Variant   string         `json:"variant,omitempty"` // the A/B variant, once split
	EnteredAt time.Time      `json:"entered_at"`
	EndedAt   time.Time      `json:"ended_at,omitzero"`
	Reason    string         `json:"reason,omitempty"` // goal, exited, finished, left, stopped
	Runs      int            `json:"runs"`             // times entered
	Seq       int            `json:"seq"`              // sends so far in this run
	Sends     []time.Time    `json:"sends,omitempty"`  // recent sends, for the campaign's cap
	Event     map[string]any `json:"event,omitempty"`  // the entering event, for templates
	// Key is what the campaign's run_key gave on entering; "" for the
	// run of a campaign without one. It is kept in the run's id too
	// (RunID), and read back from there.
	Key string `json:"key,omitempty"`
	// Hold is what deferred the send of the step the run is on, set when
	// the runtime defers it and cleared when the send goes out, is
	// skipped, or the run moves on or ends: Due is then the hold's time,
	// not the step's, and member why says why from this record rather
	// than guessing it from the time.
	Hold *RunHold `json:"hold,omitempty"`
	// LastSent is when the run's latest message was queued (event time),
	// kept in a campaign whose conversion window counts from it
	// (conversion_from = "last_send"); zero otherwise.
	LastSent time.Time `json:"last_sent,omitzero"`
}

// Hold reasons: what deferred a campaign run's send.
const (
	HoldQuietHours   = "quiet_hours"
	HoldFrequencyCap = "frequency_cap"
)

// RunHold is what deferred a campaign run's send, as it was when the
// runtime deferred it: a reload that changes the quiet hours or the caps
// afterwards changes neither the run's next time nor this record.
type RunHold struct {
	Reason string    `json:"reason"` // HoldQuietHours or HoldFrequencyCap
	Until  time.Time `json:"until"`  // the end of the quiet hours, or when the caps free up
	// QuietHours is the window that held the send, "22:00–08:00", and
	// TimeZone its zone: "member" for the member's own, or the zone the
	// campaign named.
	QuietHours string `json:"quiet_hours,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
	// Caps are the frequency caps that were full.
	Caps []HoldCap `json:"caps,omitempty"`
	// Since is when the step's send was first held (its due time): the
	// send is queued at the hold's end, and its expire_after counts from
	// here, so a reminder held past its point does not go out as new.
	Since time.Time `json:"since,omitzero"`
}

// HoldCap is a full frequency cap that held a send.
type HoldCap struct {
	Scope string `json:"scope"` // "campaign" or "global"
	Rate  string `json:"rate"`  // 2/1d
}

// Active reports whether the run is under way.
func (c *CampaignRun) Active() bool { return c != nil && c.Status == "active" }

// Action is a side effect waiting in the outbox: written in the same batch
// as the state change that caused it, sent by the dispatcher at least
// once, applied at most once per Key.
type Action struct {
	Key      string    `json:"key"` // idempotency key
	Kind     string    `json:"kind"`
	Member   string    `json:"member"`
	At       time.Time `json:"at"`
	Platform string    `json:"platform,omitempty"`
	// Community is the community block the action happens in.
	Community string `json:"community,omitempty"`
	// Target is the member's identity on the platform (direct messages)
	// or the channel block's name (channel messages).
	Target string `json:"target,omitempty"`
	// Role is the role's name on the platform, for role changes; the
	// platform's badge name, for badge grants and revocations; the trust
	// level, for trust_level.set, .raise and .lock.
	Role string `json:"role,omitempty"`
	// Into is the community block or sub-community a member.move moves
	// the member into, out of Community.
	Into     string `json:"into,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	// RunKey is the key of the campaign run that sent it (run_key).
	RunKey   string `json:"run_key,omitempty"`
	Step     string `json:"step,omitempty"`
	Template string `json:"template,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Text     string `json:"text,omitempty"`
	Subject  string `json:"subject,omitempty"`
	HTML     string `json:"html,omitempty"`
	// Mentions are where Text mentions the member, for the adapter to
	// make the mention there (platform.Mention).
	Mentions []Mention `json:"mentions,omitempty"`
	Event    string    `json:"event,omitempty"`
	// Message is the platform id of a message to delete; Duration how
	// long a mute or ban lasts; Reason goes to the platform's audit log.
	Message  string        `json:"message,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	// ToLeft marks a message decided while its member was away (a
	// win-back's): it is for someone who left, so their having left does
	// not skip it, and their coming back before it is due does.
	ToLeft bool `json:"to_left,omitempty"`
	// Transactional marks an email sent even to a member who unsubscribed
	// from its platform (send { transactional = true }).
	Transactional bool `json:"transactional,omitempty"`
	// Due is when the send's step came due, for a send the runtime held
	// (quiet hours, a frequency cap) and queued later, at At: its
	// campaign's expire_after counts from Due. Zero when it is At.
	Due time.Time `json:"due,omitzero"`
	// NotAfter is the time the step's send { not_after } gave: the outbox
	// skips the send, as expired, once it is past. Zero for no limit.
	NotAfter time.Time `json:"not_after,omitzero"`
}

// Mention is a part of an action's text that mentions someone: bytes
// Start to End show the member whose id on the platform is ID.
type Mention struct {
	ID    string `json:"id"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// DueAt is the time a campaign's send counts its expire_after from: when
// its step came due.
func (a *Action) DueAt() time.Time {
	if !a.Due.IsZero() {
		return a.Due
	}
	return a.At
}

// OutboxEntry is an action with its delivery state.
type OutboxEntry struct {
	Action
	Status    string    `json:"status"` // pending, sent, dead, skipped
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	// QueuedAt is when the action went into the outbox, by the clock of
	// the process that committed it; a dead letter retried goes in again
	// then. Action.At is when it was decided, in event time, which a
	// backfill of old events puts days back: an entry's wait in the
	// outbox counts from QueuedAt. Entries queued before hearth kept it
	// have their At.
	QueuedAt time.Time `json:"queued_at,omitzero"`
	// FinishedAt is when the entry was sent, moved to the dead letters
	// or skipped (zero while pending): what an operator asks of a dead
	// letter, and what outbox retention counts from.
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
	// OutboxSkipped is an action dropped at delivery, never sent: a
	// message to a member who had left by then, or an email to one who
	// had unsubscribed.
	OutboxSkipped = "skipped"
)

// The reasons stored with a skipped outbox entry (its LastError):
// OutboxSkippedLeft with a message skipped because its member left the
// community; OutboxSkippedBack with a message for a member who had left
// (a win-back's) skipped because they came back before it was due.
const (
	OutboxSkippedLeft = "member left the community before it was sent"
	OutboxSkippedBack = "member came back to the community before it was sent"
	// OutboxSkippedNotGiven is the reason stored with a role.remove
	// skipped because hearth did not give the member the role (a
	// moderator did, by hand, or it was there before a tier or segment
	// gave it): hearth takes back only what it gave.
	OutboxSkippedNotGiven = "hearth did not give the member this role (given by hand, or before hearth did): left alone"
	// OutboxSkippedUnreachable heads the reason stored with a message the
	// platform would not deliver to the member by their own choice (DMs
	// closed, the bot blocked: platform.ErrMemberUnreachable); the
	// platform's answer follows.
	OutboxSkippedUnreachable = "member unreachable"
	// OutboxSkippedStopped is the reason stored with a send of a
	// campaign run an operator stopped (hearth campaign stop), skipped
	// at the stop rather than left to go out after it.
	OutboxSkippedStopped = "its campaign run was stopped (hearth campaign stop) before it was sent"
)

const (
	skippedUnsubscribed = "member unsubscribed from "
	skippedSent         = " before it was sent"
)

// WelcomeKeyPrefix begins the key of a community's welcome message
// (welcome_message), queued when a member joins: the outbox expires it
// as it expires a campaign's sends (IsWelcome).
const WelcomeKeyPrefix = "welcome/"

// IsWelcome reports whether a is a community's welcome message.
func IsWelcome(a *Action) bool {
	return a.Kind == "send.channel" && a.Campaign == "" && strings.HasPrefix(a.Key, WelcomeKeyPrefix)
}

// OutboxSkippedExpired begins the reason stored with a campaign's send
// the outbox did not deliver within its campaign's expire_after of its
// time (OutboxExpired writes it whole).
const OutboxSkippedExpired = "expired: "

// OutboxExpired is the reason stored with a send skipped as expired:
// "expired: not sent within 1w of its time (2026-03-02 09:00 UTC)",
// after written as the configuration writes durations.
func OutboxExpired(after string, due time.Time) string {
	return OutboxSkippedExpired + "not sent within " + after + " of its time (" + due.UTC().Format("2006-01-02 15:04") + " UTC)"
}

// OutboxPastNotAfter is the reason stored with a campaign's send not
// delivered before the time its send { not_after } gave: an expiry too,
// counted with the others.
func OutboxPastNotAfter(limit time.Time) string {
	return OutboxSkippedExpired + "not sent before its not_after (" + limit.UTC().Format("2006-01-02 15:04") + " UTC)"
}

// IsOutboxExpired reports whether reason is an OutboxExpired one.
func IsOutboxExpired(reason string) bool { return strings.HasPrefix(reason, OutboxSkippedExpired) }

// outboxHeldQuiet begins the reason stored with a campaign's send the
// outbox holds because it would go out inside the campaign's quiet hours
// (OutboxHeldQuietHours); the entry's next time is when they end.
const outboxHeldQuiet = "held by quiet hours ("

// OutboxHeldQuietHours is the reason stored with a campaign's send held
// at delivery by its quiet hours, window ("22:00–08:00") in zone
// ("member" for the member's own, or the campaign's zone): "held by
// quiet hours (22:00–08:00 in the member's time zone) when it was to go
// out". The entry stays pending, due at the window's end.
func OutboxHeldQuietHours(window, zone string) string {
	where := "the member's time zone"
	if zone != "member" {
		where = zone
	}
	return outboxHeldQuiet + window + " in " + where + ") when it was to go out"
}

// OutboxHeldQuiet reads back an OutboxHeldQuietHours reason: the window
// and the zone, as given to it; ok is false for another reason.
func OutboxHeldQuiet(reason string) (window, zone string, ok bool) {
	rest, ok := strings.CutPrefix(reason, outboxHeldQuiet)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, ") when it was to go out")
	if !ok {
		return "", "", false
	}
	window, where, ok := strings.Cut(rest, " in ")
	if !ok || window == "" || where == "" {
		return "", "", false
	}
	if where == "the member's time zone" {
		where = "member"
	}
	return window, where, true
}

// SentAfterHoldMarker is an outbox store that can finish an action as
// sent keeping the hold at delivery it went out after (an
// OutboxHeldQuietHours reason) as its reason, where MarkSent clears it:
// the sent entry still tells that the outbox held it, for hearth
// campaign show's step figures, in the same column, with no change to
// the schema.
type SentAfterHoldMarker interface {
	MarkSentAfterHold(ctx context.Context, key string, attempts int, at time.Time, hold string) error
}

// OutboxSkippedUnsubscribed is the reason stored with an email skipped
// because its member unsubscribed from its platform ("email.news") or
// from all email (UnsubscribedAll) before it was sent.
func OutboxSkippedUnsubscribed(from string) string {
	if from == UnsubscribedAll {
		return skippedUnsubscribed + "all email" + skippedSent
	}
	return skippedUnsubscribed + from + skippedSent
}

// OutboxSkippedBounced is the reason stored with an email skipped
// because its address bounced (a hard bounce, email.bounced) through
// its platform ("email.news").
func OutboxSkippedBounced(platform string, b Bounce) string {
	why := skippedBounced + platform
	if b.Code != "" {
		why += " (" + b.Code + ")"
	}
	return why + " on " + b.At.UTC().Format("2006-01-02") + "; email.resubscribed or a new address lifts it"
}

const skippedBounced = "the address bounced at "

// IsOutboxSkippedBounced reports whether reason is an
// OutboxSkippedBounced one, stored by the outbox or a campaign's skip.
func IsOutboxSkippedBounced(reason string) bool {
	return strings.HasPrefix(reason, skippedBounced)
}

// OutboxSkippedFrom reads back what an OutboxSkippedUnsubscribed reason
// says the member unsubscribed from; ok is false for another reason.
func OutboxSkippedFrom(reason string) (from string, ok bool) {
	rest, ok := strings.CutPrefix(reason, skippedUnsubscribed)
	if !ok {
		return "", false
	}
	if from, ok = strings.CutSuffix(rest, skippedSent); !ok || from == "" {
		return "", false
	}
	if from == "all email" {
		from = UnsubscribedAll
	}
	return from, true
}

// BadgeHold is a badge a member holds.
type BadgeHold struct {
	Count int       `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Event string    `json:"event,omitempty"` // the event of the latest award
}

// TierState is a member's place on the ladder.
type TierState struct {
	Name  string    `json:"name,omitempty"`
	Rank  int       `json:"rank,omitempty"`
	Since time.Time `json:"since,omitzero"`
	// Qualifying are the tiers above the one held that have a
	// qualification window and whose when holds, each with since when it
	// has held without a break. Each window counts on its own: a member
	// can qualify for several tiers at once, and reaches each when its
	// own window ends.
	Qualifying []Qualification `json:"qualifying,omitempty"`
	// FailingSince is when keep started to fail, for demote_after.
	FailingSince time.Time    `json:"failing_since,omitzero"`
	History      []TierChange `json:"history,omitempty"`
}

// Qualification is a tier whose when holds, for its qualification
// window: since when it has held at every evaluation.
type Qualification struct {
	Tier  string    `json:"tier"`
	Since time.Time `json:"since"`
}

// QualifyingSince is since when the member has qualified for tier, for
// its window; ok is false when they do not qualify for it.
func (t *TierState) QualifyingSince(tier string) (since time.Time, ok bool) {
	for _, q := range t.Qualifying {
		if q.Tier == tier {
			return q.Since, true
		}
	}
	return time.Time{}, false
}

// UnmarshalJSON reads the tier state, and the form stored before each
// tier's qualification was kept apart: one tier, qualifying_for, since
// qualifying_since, which becomes that tier's qualification.
func (t *TierState) UnmarshalJSON(data []byte) error {
	type plain TierState
	aux := struct {
		*plain
		For   string    `json:"qualifying_for"`
		Since time.Time `json:"qualifying_since"`
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	if aux.For != "" && len(t.Qualifying) == 0 {
		t.Qualifying = []Qualification{{Tier: aux.For, Since: aux.Since}}
	}
	return nil
}

// TierChange records one move on the ladder.
type TierChange struct {
	From  string    `json:"from"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Event string    `json:"event,omitempty"`
	// Reason is why the tier was set other than by its rules: "imported"
	// for the tier a member.imported event brought; "" for a move the
	// rules made.
	Reason string `json:"reason,omitempty"`
}

// IncentiveLog is what caps, cooldowns and once need to know.
type IncentiveLog struct {
	Incentive string      `json:"-"` // its name, the key in JSON
	Count     int         `json:"count"`
	Last      time.Time   `json:"last"`
	Recent    []time.Time `json:"recent,omitempty"` // grant times inside the limit window
	Points    Series      `json:"points,omitempty"` // points per day, for points_cap
	// Keys are the once_per keys granted for, in order: each at most
	// once, ever.
	Keys []string `json:"keys,omitempty"`
}

// HasKey reports whether the incentive granted for once_per key k.
func (g *IncentiveLog) HasKey(k string) bool {
	if g == nil {
		return false
	}
	_, found := slices.BinarySearch(g.Keys, k)
	return found
}

// AddKey records once_per key k as granted for.
func (g *IncentiveLog) AddKey(k string) {
	if i, found := slices.BinarySearch(g.Keys, k); !found {
		g.Keys = slices.Insert(g.Keys, i, k)
	}
}

// RemoveKey forgets once_per key k (a member erased), reporting whether
// it was there.
func (g *IncentiveLog) RemoveKey(k string) bool {
	i, found := slices.BinarySearch(g.Keys, k)
	if found {
		g.Keys = slices.Delete(g.Keys, i, i+1)
		if len(g.Keys) == 0 {
			g.Keys = nil
		}
	}
	return found
}

// AddReferee records that id, a member this member referred, converted,
// and counts it in Referrals unless it was recorded before.
func (m *Member) AddReferee(id string) bool {
	i, found := slices.BinarySearch(m.Referees, id)
	if found {
		return false
	}
	m.Referees = slices.Insert(m.Referees, i, id)
	m.Referrals++
	return true
}

// RemoveReferee forgets id among the member's referees (a member erased),
// keeping the count of Referrals, reporting whether it was there.
func (m *Member) RemoveReferee(id string) bool {
	i, found := slices.BinarySearch(m.Referees, id)
	if found {
		m.Referees = slices.Delete(m.Referees, i, i+1)
		if len(m.Referees) == 0 {
			m.Referees = nil
		}
	}
	return found
}

// HasReferee reports whether id is among the member's converted referees.
func (m *Member) HasReferee(id string) bool {
	_, found := slices.BinarySearch(m.Referees, id)
	return found
}

// NewMember starts a member first seen at t.
func NewMember(id string, t time.Time) *Member {
	return &Member{ID: id, JoinedAt: t}
}

// TypeCount is a member's events of one type.
type TypeCount struct {
	Type  string
	Total int    // all time
	Days  Series // per day, within the horizon
}

// typeCount is the member's count of typ, or nil.
func (m *Member) typeCount(typ string) *TypeCount {
	for i := range m.Types {
		if m.Types[i].Type == typ {
			return &m.Types[i]
		}
	}
	return nil
}

// Total is the member's events of a type, all time.
func (m *Member) Total(typ string) int {
	if c := m.typeCount(typ); c != nil {
		return c.Total
	}
	return 0
}

// TotalAsOf is the member's events of a type up to the end of today: the
// all-time total less the days after it (Series.After), so rules on an
// event see the totals as of its day whatever was applied before it.
func (m *Member) TotalAsOf(typ string, today Day) int {
	if c := m.typeCount(typ); c != nil {
		return c.Total - c.Days.After(today)
	}
	return 0
}

// Daily is the member's events of a type per day.
func (m *Member) Daily(typ string) Series {
	if c := m.typeCount(typ); c != nil {
		return c.Days
	}
	return nil
}

// Count is the member's events of a type in the last days, ending on today.
func (m *Member) Count(typ string, today Day, days int) int {
	return m.Daily(typ).Sum(today, days)
}

// SetCount sets the member's events of a type, as a store or a test
// building a member does.
func (m *Member) SetCount(typ string, total int, days Series) {
	if c := m.typeCount(typ); c != nil {
		c.Total, c.Days = total, days
		return
	}
	m.Types = append(m.Types, TypeCount{Type: typ, Total: total, Days: days})
}

// Record counts one event of a type.
func (m *Member) Record(typ string, at time.Time, activity bool) {
	d := DayOf(at)
	c := m.typeCount(typ)
	switch {
	case c == nil:
		if m.Types == nil {
			m.Types = make([]TypeCount, 0, smallCap)
		}
		m.Types = append(m.Types, TypeCount{Type: typ})
		c = &m.Types[len(m.Types)-1]
	case c != &m.Types[0]:
		// The type just counted goes first, where the next look-up of
		// a member's counts most often ends (the order means nothing
		// else: JSON sorts by type).
		i := c
		m.Types[0], *i = *i, m.Types[0]
		c = &m.Types[0]
	}
	c.Total++
	c.Days = c.Days.Add(d, 1)
	if activity {
		m.Active = m.Active.Add(d, 1)
		if at.After(m.LastActiveAt) {
			m.LastActiveAt = at
		}
	}
	if at.After(m.LastEventAt) {
		m.LastEventAt = at
	}
}

// AddPoints changes the balance; positive amounts count as earned.
func (m *Member) AddPoints(n int, at time.Time) {
	m.Points += n
	if n > 0 {
		m.PointsEarned += n
		m.Earned = m.Earned.Add(DayOf(at), n)
	}
}

// Grant records an incentive grant for caps and cooldowns. points is kept
// per day only when capped is set (the incentive has a points_cap).
func (m *Member) Grant(incentive string, at time.Time, points int, limit *durations.Rate, capped bool) {
	m.GrantLog(incentive).Record(at, points, limit, capped)
}

// Log is the member's bookkeeping for an incentive, or nil.
func (m *Member) Log(incentive string) *IncentiveLog {
	for i := range m.Grants {
		if m.Grants[i].Incentive == incentive {
			return &m.Grants[i]
		}
	}
	return nil
}

// GrantLog is the member's bookkeeping for an incentive, made when new.
// The pointer is good until the next GrantLog of a new incentive.
func (m *Member) GrantLog(incentive string) *IncentiveLog {
	if g := m.Log(incentive); g != nil {
		return g
	}
	return m.NewGrantLog(incentive)
}

// NewGrantLog adds bookkeeping for an incentive the member has none for,
// as GrantLog does after a Log that found nothing, without looking again.
func (m *Member) NewGrantLog(incentive string) *IncentiveLog {
	if m.Grants == nil {
		m.Grants = make([]IncentiveLog, 0, smallCap)
	}
	m.Grants = append(m.Grants, IncentiveLog{Incentive: incentive})
	return &m.Grants[len(m.Grants)-1]
}

// Record counts one grant; see Member.Grant.
func (g *IncentiveLog) Record(at time.Time, points int, limit *durations.Rate, capped bool) {
	g.Count++
	g.Last = at
	if limit != nil {
		// The grants before the limit's window, rolling or the current
		// calendar period, no longer count.
		g.Recent = append(pruneBefore(g.Recent, limit.Since(at).Add(-1)), at)
	}
	if points != 0 && capped {
		g.Points = g.Points.Add(DayOf(at), points)
	}
}

func pruneBefore(ts []time.Time, t time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
	return ts[i:]
}

// GrantsInWindow counts grants of an incentive within the window ending at.
func (m *Member) GrantsInWindow(incentive string, at time.Time, window time.Duration) int {
	g := m.Log(incentive)
	if g == nil {
		return 0
	}
	return len(pruneBefore(g.Recent, at.Add(-window)))
}

// GrantsSince counts grants of an incentive at since or after: those in
// a limit's window, from its Since.
func (m *Member) GrantsSince(incentive string, since time.Time) int {
	g := m.Log(incentive)
	if g == nil {
		return 0
	}
	return len(pruneBefore(g.Recent, since.Add(-1)))
}

// UnsubscribedAll is the key of Member.Unsubscribed that stands for every
// email platform: an email.unsubscribed that names none.
const UnsubscribedAll = "email"

// SubscriptionKey is the key of Member.Unsubscribed for the platform an
// email.unsubscribed or email.resubscribed names, or an email action is
// sent through: "email.news" as the unsubscribe endpoint writes it (also
// "news", or "platform.email.news" as actions name it), or
// UnsubscribedAll for none ("" or "email").
func SubscriptionKey(platform string) string {
	p := strings.TrimPrefix(strings.TrimSpace(platform), "platform.")
	switch {
	case p == "" || p == UnsubscribedAll:
		return UnsubscribedAll
	case !strings.Contains(p, "."):
		return UnsubscribedAll + "." + p
	}
	return p
}

// UnsubscribedFrom reports whether the member unsubscribed from email
// through the platform at address ("email.news"): from that platform, or
// from all email; what it gives is the key that says so.
func (m *Member) UnsubscribedFrom(address string) (string, bool) {
	if len(m.Unsubscribed) == 0 {
		return "", false
	}
	if _, ok := m.Unsubscribed[address]; ok && address != "" {
		return address, true
	}
	if _, ok := m.Unsubscribed[UnsubscribedAll]; ok && strings.HasPrefix(address, UnsubscribedAll+".") {
		return UnsubscribedAll, true
	}
	return "", false
}

// Bounce is a hard bounce: the server refused the member's address for
// good (an SMTP 5.1.x reply) when hearth sent through a platform.
type Bounce struct {
	At      time.Time `json:"at"`
	Address string    `json:"address"`
	Code    string    `json:"code,omitempty"`  // "550 5.1.1"
	Reply   string    `json:"reply,omitempty"` // the server's reply, the address masked
}

// BouncedAt is the hard bounce recorded for the email platform at
// address ("email.news") that still holds for the member's address to
// ("ada@example.org"): a bounce of another address (the member changed
// theirs since) does not stop email to the new one.
func (m *Member) BouncedAt(address, to string) (Bounce, bool) {
	b, ok := m.Bounced[address]
	if !ok || !strings.EqualFold(strings.TrimSpace(b.Address), strings.TrimSpace(to)) {
		return Bounce{}, false
	}
	return b, true
}

// RecordBounce records a hard bounce through the platform at key and
// reports whether that changed anything: a second bounce of the same
// address keeps the first.
func (m *Member) RecordBounce(key string, b Bounce) bool {
	if old, ok := m.Bounced[key]; ok && strings.EqualFold(old.Address, b.Address) {
		return false
	}
	if m.Bounced == nil {
		m.Bounced = map[string]Bounce{}
	}
	m.Bounced[key] = b
	return true
}

// LiftBounces drops the hard bounces through the platform at key
// (UnsubscribedAll: every one) recorded at t or before, and those of an
// address other than the member's email identity now, and reports
// whether that changed anything.
func (m *Member) LiftBounces(key string, t time.Time, identity string) bool {
	changed := false
	for k, b := range m.Bounced {
		resub := (key == UnsubscribedAll || k == key) && !b.At.After(t)
		if resub || (identity != "" && !strings.EqualFold(b.Address, identity)) {
			delete(m.Bounced, k)
			changed = true
		}
	}
	return changed
}

// BouncedList is the keys of Member.Bounced in order: what rules see as
// member.bounced_from. A bounce of an address the member no longer has
// is lifted when the new one comes (LiftBounces), so each is of theirs.
func (m *Member) BouncedList() []string { return sortedKeys(m.Bounced) }

// UnsubscribedList is the keys of Member.Unsubscribed in order: what rules
// see as member.unsubscribed_from.
func (m *Member) UnsubscribedList() []string { return sortedKeys(m.Unsubscribed) }

// Unsubscribe records that the member unsubscribed from the platform at
// key (an address, or UnsubscribedAll) at t, and reports whether that
// changed anything: unsubscribing again keeps the first time, and
// unsubscribing from one platform after all of them adds nothing.
func (m *Member) Unsubscribe(key string, t time.Time) bool {
	if _, ok := m.UnsubscribedFrom(key); ok {
		return false
	}
	if key == UnsubscribedAll {
		// All of them covers each: one record says it.
		clear(m.Unsubscribed)
	}
	if m.Unsubscribed == nil {
		m.Unsubscribed = map[string]time.Time{}
	}
	m.Unsubscribed[key] = t
	return true
}

// Resubscribe lifts, at t, the member's unsubscribe from the platform at
// key (an address, or UnsubscribedAll for every one) and reports whether
// that changed anything. An unsubscribe recorded after t stays: a late
// event does not undo a later choice. others are the configured email
// platforms' addresses: resubscribing to one of them after unsubscribing
// from all leaves the member unsubscribed from the others.
func (m *Member) Resubscribe(key string, t time.Time, others []string) bool {
	changed := false
	if key == UnsubscribedAll {
		for k, at := range m.Unsubscribed {
			if !at.After(t) {
				delete(m.Unsubscribed, k)
				changed = true
			}
		}
	} else {
		if at, ok := m.Unsubscribed[key]; ok && !at.After(t) {
			delete(m.Unsubscribed, key)
			changed = true
		}
		if at, ok := m.Unsubscribed[UnsubscribedAll]; ok && !at.After(t) {
			delete(m.Unsubscribed, UnsubscribedAll)
			for _, o := range others {
				if o != key {
					m.Unsubscribed[o] = at
				}
			}
			changed = true
		}
	}
	if len(m.Unsubscribed) == 0 {
		m.Unsubscribed = nil
	}
	return changed
}

// Recipient is what the outbox needs to know of a message's member when
// it delivers: whether they left the community, the email platforms
// they unsubscribed from, and their time zone (the quiet hours of a
// campaign's send are in it).
type Recipient struct {
	Left         bool
	Unsubscribed map[string]time.Time
	Bounced      map[string]Bounce
	// Timezone is the member's IANA zone; "" for none.
	Timezone string
}

// UnsubscribedFrom is Member.UnsubscribedFrom of the recipient.
func (r Recipient) UnsubscribedFrom(address string) (string, bool) {
	m := Member{Unsubscribed: r.Unsubscribed}
	return m.UnsubscribedFrom(address)
}

// ToMember reports whether an action of kind is pointless once its
// member left: a message for them, a role for them to hold (someone
// outside the community holds no roles; hearth plan gives tier roles back
// when they return), or a move into a sub-community.
func ToMember(kind string) bool {
	switch kind {
	case "send.dm", "send.email", "send.webhook", "role.add", "member.move":
		return true
	}
	return false
}

// SkipReason is the reason the outbox stores when it skips a at delivery
// by what r says of its member (known: the member is stored), or "" when
// a goes: an email through a platform they unsubscribed from (not a
// transactional one), a message decided while they were in the community
// whose member has left since, or one decided while they were away (a
// win-back's) whose member has come back. The outbox decides with it, and
// member why forecasts with it what a queued send will meet.
func (r Recipient) SkipReason(a *Action, known bool) string {
	if !ToMember(a.Kind) {
		return ""
	}
	if a.Kind == "send.email" && !a.Transactional {
		if from, ok := r.UnsubscribedFrom(SubscriptionKey(a.Platform)); ok {
			return OutboxSkippedUnsubscribed(from)
		}
		key := SubscriptionKey(a.Platform)
		if b, ok := (&Member{Bounced: r.Bounced}).BouncedAt(key, a.Target); ok {
			return OutboxSkippedBounced(key, b)
		}
	}
	switch {
	case !a.ToLeft && r.Left:
		return OutboxSkippedLeft
	case a.ToLeft && known && !r.Left:
		return OutboxSkippedBack
	}
	return ""
}

// Recipients reads, for each of ids stored, what the outbox needs to know
// of them (Recipient), in one batch that it rolls back; unknown ids are
// absent (and so read as members who neither left nor unsubscribed).
// Where a store's batches share members with a running processor, call it
// from there.
func Recipients(ctx context.Context, s Store, ids []string) (map[string]Recipient, error) {
	b, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.Rollback() }()
	out := map[string]Recipient{}
	for _, id := range ids {
		m, err := b.Member(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// A copy: the memory store hands out the member it keeps.
		out[id] = Recipient{Left: m.Left, Unsubscribed: maps.Clone(m.Unsubscribed), Bounced: maps.Clone(m.Bounced), Timezone: m.Timezone}
	}
	return out, nil
}

// Place is the community of block's capacity family the member is in:
// their sub-community, or block itself when they have no place in it.
func (m *Member) Place(block string) string {
	if p := m.Places[block]; p != "" {
		return p
	}
	return block
}
