package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// The binary member document. Stores write the member every batch touched,
// on the path from an event to its commit, so the form is built for speed
// and size: varints, times as seconds and nanoseconds, no field names,
// lists in memory order. It starts with a version byte that JSON (which
// starts with '{') never does, so a store holding documents of both forms
// reads either. Free-form maps of event attributes are kept as JSON inside
// it: they are small and rare, and JSON gives them the same types after a
// round trip as before.
//
// Never change what a version reads: add a version.
const memberBinaryV1 = 0x01

// memberBinaryV2 is version 1 followed by Member.Rules.
const memberBinaryV2 = 0x02

// memberBinaryV3 is version 2 followed by what campaign runs keep of
// their step (CampaignRun.StepName and WaitMet): a count, then campaign,
// step name and flag in campaign order, for the runs with either.
const memberBinaryV3 = 0x03

// memberBinaryV4 is version 3 followed by Member.LeftAt.
const memberBinaryV4 = 0x04

// memberBinaryV5 is version 4 with campaign runs kept under their RunID,
// name[key] for a campaign with run_key. It is written only for a member
// with such a run: a hearth that reads up to version 4 would take the
// keyed runs for runs of a campaign no longer configured and stop them,
// so it must refuse the document instead; the members without one stay
// readable by it.
const memberBinaryV5 = 0x05

// memberBinaryV6 is version 5 followed by Member.RunsDropped: a count,
// then campaign and run number in campaign order. It is written only for
// a member with dropped keyed runs: a hearth reading up to version 5
// would number a dropped key's next run from 1 again, and its messages
// would take the outbox keys of the dropped run's.
const memberBinaryV6 = 0x06

// memberBinaryV7 is version 6 followed by the holds of campaign runs
// (CampaignRun.Hold): a count, then for each held run in id order its
// id, reason, until, quiet hours, time zone and caps (a count, then scope
// and rate). It is written only for a member with a held run, so the
// others stay readable by a hearth that reads up to version 6 (which
// refuses a document with more than it knows).
const memberBinaryV7 = 0x07

// memberBinaryV8 is version 7 followed by Member.KeysEnded: a count, then
// for each campaign in name order its name and a count, then for each
// ended key in key order the key, the time and the reason (encoder.reason,
// a byte for the usual ones). It is written
// only for a member with such keys: a hearth reading up to version 7
// would not know them, and would let a key reentry = "never" refuses
// start a run again, so it must refuse the document instead.
const memberBinaryV8 = 0x08

// memberBinaryV9 is version 8 followed by Member.Unsubscribed: a count,
// then platform and time in platform order. It is written only for a
// member with an unsubscribe: a hearth reading up to version 8 would not
// know it and would email them again, so it must refuse the document
// instead.
const memberBinaryV9 = 0x09

// memberBinaryV10 is version 9 followed by the member's qualifications
// for tiers past the first (TierState.Qualifying[1:]; the first is where
// versions 1 to 9 keep the one tier they know): a count, then tier and
// since. It is written only for a member qualifying for more than one
// tier at once: a hearth reading up to version 9 would keep one of them
// and count the others' windows again from the start, so it must refuse
// the document instead.
const memberBinaryV10 = 0x0a

// memberBinaryV11 is version 10 followed by Member.Places: a count, then
// community block and the community of its family, in block order. It
// is written only for a member with a place: a hearth reading up to
// version 10 would give a member of a sub-community their roles and
// messages in the community they are not in, and not keep their place
// as they leave or move, so it must refuse the document instead.
const memberBinaryV11 = 0x0b

// memberBinaryV12 is version 11 followed by when campaign runs sent
// their latest message (CampaignRun.LastSent): a count, then for each
// run with one in id order its id and the time. It is written only for
// a member with such a run: a hearth reading up to version 11 would
// count their conversion windows from the entry instead, so it must
// refuse the document.
const memberBinaryV12 = 0x0c

// memberBinaryV13 is version 12 followed by the reasons of tier moves
// (TierChange.Reason, "imported" for a tier hearth import members set):
// a count, then for each move with a reason its place in the history and
// the reason. It is written only for a member with such a move: a hearth
// reading up to version 12 would take the imported tier for one its rules
// promoted to, so it must refuse the document.
const memberBinaryV13 = 0x0d

// memberBinaryV14 is version 13 followed by Member.Bounced: a count,
// then for each platform in order its key, the time, the address, the
// status code and the server's reply. It is written only for a member
// with a hard bounce: a hearth reading up to version 13 would email the
// dead address again, so it must refuse the document instead.
const memberBinaryV14 = 0x0e

// memberBinaryV15 is version 14 followed by when held runs' steps came
// due (RunHold.Since): a count, then for each run with one in id order
// its id and the time. It is written only for a member with such a hold:
// a hearth reading up to version 14 would count the held send's
// expire_after from the hold's end, so it must refuse the document.
const memberBinaryV15 = 0x0f

// memberBinaryV16 is version 15 followed by Member.Referees (a count,
// then the ids in order) and the keys of once_per incentives
// (IncentiveLog.Keys): a count, then for each incentive with keys in
// Grants order its name, a count and the keys in order. It is written
// only for a member with either: a hearth reading up to version 15
// would count a friend converting again as a new referral, and grant a
// once_per incentive again for a key it granted, so it must refuse the
// document instead.
const memberBinaryV16 = 0x10

func isMemberBinary(data []byte) bool {
	return len(data) > 0 && data[0] >= memberBinaryV1 && data[0] <= memberBinaryV16
}

// errShort is what a truncated or corrupt binary document gives.
var errShort = errors.New("member document: truncated")

// AppendBinary appends the member's binary document to b.
func (m *Member) AppendBinary(b []byte) ([]byte, error) {
	version := byte(memberBinaryV4)
	if m.HasKeyedRuns() {
		version = memberBinaryV5
	}
	if len(m.RunsDropped) > 0 {
		version = memberBinaryV6
	}
	held := 0
	for _, c := range m.Campaigns {
		if c != nil && c.Hold != nil {
			held++
		}
	}
	if held > 0 {
		version = memberBinaryV7
	}
	if len(m.KeysEnded) > 0 {
		version = memberBinaryV8
	}
	if len(m.Unsubscribed) > 0 {
		version = memberBinaryV9
	}
	if len(m.Tier.Qualifying) > 1 {
		version = memberBinaryV10
	}
	if len(m.Places) > 0 {
		version = memberBinaryV11
	}
	lastSent := 0
	for _, c := range m.Campaigns {
		if c != nil && !c.LastSent.IsZero() {
			lastSent++
		}
	}
	if lastSent > 0 {
		version = memberBinaryV12
	}
	reasons := 0
	for _, c := range m.Tier.History {
		if c.Reason != "" {
			reasons++
		}
	}
	if reasons > 0 {
		version = memberBinaryV13
	}
	if len(m.Bounced) > 0 {
		version = memberBinaryV14
	}
	heldSince := 0
	for _, c := range m.Campaigns {
		if c != nil && c.Hold != nil && !c.Hold.Since.IsZero() {
			heldSince++
		}
	}
	if heldSince > 0 {
		version = memberBinaryV15
	}
	keyed := 0
	for i := range m.Grants {
		if len(m.Grants[i].Keys) > 0 {
			keyed++
		}
	}
	if keyed > 0 || len(m.Referees) > 0 {
		version = memberBinaryV16
	}
	e := encoder{b: append(b, version)}
	e.str(m.ID)
	e.str(m.Name)
	e.str(m.Platform)
	e.str(m.Locale)
	e.str(m.Timezone)
	e.strMap(m.Identities)
	if err := e.anyMap(m.Attrs); err != nil {
		return nil, fmt.Errorf("attrs: %w", err)
	}
	e.time(m.JoinedAt)
	e.time(m.LastActiveAt)
	e.time(m.LastEventAt)
	e.time(m.EvaluatedAt)
	e.bool(m.Left)
	e.int(int64(m.Points))
	e.int(int64(m.PointsEarned))
	e.int(int64(m.Referrals))
	e.int(int64(m.Strikes))

	e.bool(m.Moderation != nil)
	if mod := m.Moderation; mod != nil {
		e.uint(uint64(len(mod.Strikes)))
		for _, s := range mod.Strikes {
			e.str(s.Rule)
			e.time(s.At)
			e.int(int64(s.Count))
			e.str(s.Event)
		}
		e.times(mod.Recent)
		e.time(mod.MutedUntil)
		e.bool(mod.Banned)
		e.uint(uint64(len(mod.Decisions)))
		for _, d := range mod.Decisions {
			e.time(d.At)
			e.str(d.Rule)
			e.str(d.Action)
			e.str(d.Duration)
			e.int(int64(d.Strikes))
			e.str(d.Evidence)
			e.str(d.Event)
		}
	}

	e.uint(uint64(len(m.Expiring)))
	for _, l := range m.Expiring {
		e.int(int64(l.Points))
		e.time(l.ExpiresAt)
		e.str(l.Reason)
		e.str(l.Event)
	}
	e.uint(uint64(len(m.Types)))
	for _, t := range m.Types {
		e.str(t.Type)
		e.int(int64(t.Total))
		e.series(t.Days)
	}
	e.series(m.Active)
	e.series(m.Earned)

	_ = writeMap(&e, m.Badges, func(h *BadgeHold) error {
		e.int(int64(h.Count))
		e.time(h.First)
		e.time(h.Last)
		e.str(h.Event)
		return nil
	})

	t := &m.Tier
	e.str(t.Name)
	e.int(int64(t.Rank))
	e.time(t.Since)
	var first Qualification
	if len(t.Qualifying) > 0 {
		first = t.Qualifying[0]
	}
	e.str(first.Tier)
	e.time(first.Since)
	e.time(t.FailingSince)
	e.uint(uint64(len(t.History)))
	for _, c := range t.History {
		e.str(c.From)
		e.str(c.To)
		e.time(c.At)
		e.str(c.Event)
	}

	e.uint(uint64(len(m.Segments)))
	for _, k := range sortedKeys(m.Segments) {
		e.str(k)
		e.time(m.Segments[k])
	}

	e.uint(uint64(len(m.Grants)))
	for i := range m.Grants {
		g := &m.Grants[i]
		e.str(g.Incentive)
		e.int(int64(g.Count))
		e.time(g.Last)
		e.times(g.Recent)
		e.series(g.Points)
	}
	e.str(m.Referrer)

	err := writeMap(&e, m.Campaigns, func(c *CampaignRun) error {
		e.str(c.Status)
		e.int(int64(c.Step))
		e.time(c.StepAt)
		e.time(c.Due)
		e.time(c.Deadline)
		e.str(c.Variant)
		e.time(c.EnteredAt)
		e.time(c.EndedAt)
		e.str(c.Reason)
		e.int(int64(c.Runs))
		e.int(int64(c.Seq))
		e.times(c.Sends)
		return e.anyMap(c.Event)
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: %w", err)
	}
	e.times(m.Sends)
	e.time(m.RecheckAt)

	y := &m.Tally
	e.int(int64(y.Cohort))
	e.bool(y.Counted)
	e.int(int64(y.Left))
	e.uint(y.Weeks)
	e.uint(y.Months)
	e.bool(y.Contributed)
	e.int(int64(y.MaxRank))
	e.str(y.Tier)
	e.bool(y.Referred)
	e.bool(y.Paid)
	e.int(y.Revenue)
	_ = writeMap(&e, y.Answers, func(a *Answer) error {
		e.int(int64(a.Score))
		e.str(a.Choice)
		e.time(a.At)
		e.uint(uint64(len(a.Keys)))
		for _, key := range a.Keys {
			e.str(key)
		}
		return nil
	})
	e.uint(m.Rules)
	named := func(c *CampaignRun) bool { return c != nil && (c.StepName != "" || c.WaitMet) }
	n := 0
	for _, c := range m.Campaigns {
		if named(c) {
			n++
		}
	}
	e.uint(uint64(n))
	if n > 0 { // most members have none: no sort, no allocation
		for _, k := range sortedKeys(m.Campaigns) {
			if c := m.Campaigns[k]; named(c) {
				e.str(k)
				e.str(c.StepName)
				e.bool(c.WaitMet)
			}
		}
	}
	e.time(m.LeftAt)
	if version >= memberBinaryV6 {
		e.uint(uint64(len(m.RunsDropped)))
		for _, k := range sortedKeys(m.RunsDropped) {
			e.str(k)
			e.int(int64(m.RunsDropped[k]))
		}
	}
	if version >= memberBinaryV7 {
		e.uint(uint64(held))
		for _, k := range sortedKeys(m.Campaigns) {
			c := m.Campaigns[k]
			if c == nil || c.Hold == nil {
				continue
			}
			h := c.Hold
			e.str(k)
			e.str(h.Reason)
			e.time(h.Until)
			e.str(h.QuietHours)
			e.str(h.TimeZone)
			e.uint(uint64(len(h.Caps)))
			for _, cp := range h.Caps {
				e.str(cp.Scope)
				e.str(cp.Rate)
			}
		}
	}
	if version >= memberBinaryV8 {
		e.uint(uint64(len(m.KeysEnded)))
		for _, name := range sortedKeys(m.KeysEnded) {
			keys := m.KeysEnded[name]
			e.str(name)
			e.uint(uint64(len(keys)))
			for _, k := range keys {
				e.str(k.Key)
				e.time(k.At)
				e.reason(k.Reason)
			}
		}
	}
	if version >= memberBinaryV9 {
		e.uint(uint64(len(m.Unsubscribed)))
		for _, k := range sortedKeys(m.Unsubscribed) {
			e.str(k)
			e.time(m.Unsubscribed[k])
		}
	}
	if version >= memberBinaryV10 {
		var more []Qualification // a later version has none past the first
		if len(t.Qualifying) > 1 {
			more = t.Qualifying[1:]
		}
		e.uint(uint64(len(more)))
		for _, q := range more {
			e.str(q.Tier)
			e.time(q.Since)
		}
	}
	if version >= memberBinaryV11 {
		e.uint(uint64(len(m.Places)))
		for _, k := range sortedKeys(m.Places) {
			e.str(k)
			e.str(m.Places[k])
		}
	}
	if version >= memberBinaryV12 {
		e.uint(uint64(lastSent))
		for _, k := range sortedKeys(m.Campaigns) {
			if c := m.Campaigns[k]; c != nil && !c.LastSent.IsZero() {
				e.str(k)
				e.time(c.LastSent)
			}
		}
	}
	if version >= memberBinaryV13 {
		e.uint(uint64(reasons))
		for i, c := range t.History {
			if c.Reason != "" {
				e.uint(uint64(i))
				e.str(c.Reason)
			}
		}
	}
	if version >= memberBinaryV14 {
		e.uint(uint64(len(m.Bounced)))
		for _, k := range sortedKeys(m.Bounced) {
			b := m.Bounced[k]
			e.str(k)
			e.time(b.At)
			e.str(b.Address)
			e.str(b.Code)
			e.str(b.Reply)
		}
	}
	if version >= memberBinaryV15 {
		e.uint(uint64(heldSince))
		for _, k := range sortedKeys(m.Campaigns) {
			if c := m.Campaigns[k]; c != nil && c.Hold != nil && !c.Hold.Since.IsZero() {
				e.str(k)
				e.time(c.Hold.Since)
			}
		}
	}
	if version >= memberBinaryV16 {
		e.uint(uint64(len(m.Referees)))
		for _, id := range m.Referees {
			e.str(id)
		}
		e.uint(uint64(keyed))
		for i := range m.Grants {
			if g := &m.Grants[i]; len(g.Keys) > 0 {
				e.str(g.Incentive)
				e.uint(uint64(len(g.Keys)))
				for _, k := range g.Keys {
					e.str(k)
				}
			}
		}
	}
	return e.b, nil
}

// DecodeMember reads a member document of either form into m, replacing
// what m held.
func DecodeMember(data []byte, m *Member) error {
	var err error
	if isMemberBinary(data) {
		err = m.UnmarshalBinary(data)
	} else {
		*m = Member{}
		err = json.Unmarshal(data, m)
	}
	if err == nil && m.Left && m.LeftAt.IsZero() {
		// Stored before the time of leaving was kept: the day of their
		// latest member.left is near enough for days_since_left, where
		// the zero time would read as gone forever.
		if days := m.Daily("member.left"); len(days) > 0 {
			m.LeftAt = days[len(days)-1].Day.Time()
		}
	}
	return err
}

// UnmarshalBinary reads what AppendBinary writes, replacing what m held.
func (m *Member) UnmarshalBinary(data []byte) error {
	*m = Member{}
	if !isMemberBinary(data) {
		return errors.New("member document: not the binary form")
	}
	d := decoder{b: data[1:]}
	m.ID = d.str()
	m.Name = d.str()
	m.Platform = d.str()
	m.Locale = d.str()
	m.Timezone = d.str()
	m.Identities = d.strMap()
	m.Attrs = d.anyMap()
	m.JoinedAt = d.time()
	m.LastActiveAt = d.time()
	m.LastEventAt = d.time()
	m.EvaluatedAt = d.time()
	m.Left = d.bool()
	m.Points = d.int()
	m.PointsEarned = d.int()
	m.Referrals = d.int()
	m.Strikes = d.int()

	if d.bool() {
		mod := &Moderation{}
		if n := d.count(); n > 0 {
			mod.Strikes = make([]Strike, n)
			for i := range mod.Strikes {
				s := &mod.Strikes[i]
				s.Rule, s.At, s.Count, s.Event = d.str(), d.time(), d.int(), d.str()
			}
		}
		mod.Recent = d.times()
		mod.MutedUntil = d.time()
		mod.Banned = d.bool()
		if n := d.count(); n > 0 {
			mod.Decisions = make([]Decision, n)
			for i := range mod.Decisions {
				x := &mod.Decisions[i]
				x.At, x.Rule, x.Action, x.Duration = d.time(), d.str(), d.str(), d.str()
				x.Strikes, x.Evidence, x.Event = d.int(), d.str(), d.str()
			}
		}
		m.Moderation = mod
	}

	if n := d.count(); n > 0 {
		m.Expiring = make([]Lot, n)
		for i := range m.Expiring {
			l := &m.Expiring[i]
			l.Points, l.ExpiresAt, l.Reason, l.Event = d.int(), d.time(), d.str(), d.str()
		}
	}
	if n := d.count(); n > 0 {
		m.Types = make([]TypeCount, n)
		for i := range m.Types {
			t := &m.Types[i]
			t.Type, t.Total, t.Days = d.str(), d.int(), d.series()
		}
	}
	m.Active = d.series()
	m.Earned = d.series()

	m.Badges = readMap(&d, func() *BadgeHold {
		return &BadgeHold{Count: d.int(), First: d.time(), Last: d.time(), Event: d.str()}
	})

	t := &m.Tier
	t.Name = d.str()
	t.Rank = d.int()
	t.Since = d.time()
	if tier, since := d.str(), d.time(); tier != "" {
		t.Qualifying = []Qualification{{Tier: tier, Since: since}}
	}
	t.FailingSince = d.time()
	if n := d.count(); n > 0 {
		t.History = make([]TierChange, n)
		for i := range t.History {
			c := &t.History[i]
			c.From, c.To, c.At, c.Event = d.str(), d.str(), d.time(), d.str()
		}
	}

	if n := d.count(); n > 0 {
		m.Segments = make(map[string]time.Time, n)
		for range n {
			k := d.str()
			m.Segments[k] = d.time()
		}
	}

	if n := d.count(); n > 0 {
		m.Grants = make([]IncentiveLog, n)
		for i := range m.Grants {
			g := &m.Grants[i]
			g.Incentive, g.Count, g.Last = d.str(), d.int(), d.time()
			g.Recent, g.Points = d.times(), d.series()
		}
	}
	m.Referrer = d.str()

	m.Campaigns = readMap(&d, func() *CampaignRun {
		c := &CampaignRun{}
		c.Status, c.Step, c.StepAt, c.Due, c.Deadline = d.str(), d.int(), d.time(), d.time(), d.time()
		c.Variant, c.EnteredAt, c.EndedAt, c.Reason = d.str(), d.time(), d.time(), d.str()
		c.Runs, c.Seq, c.Sends, c.Event = d.int(), d.int(), d.times(), d.anyMap()
		return c
	})
	m.Sends = d.times()
	m.RecheckAt = d.time()

	y := &m.Tally
	y.Cohort = Day(d.int32())
	y.Counted = d.bool()
	y.Left = Day(d.int32())
	y.Weeks = d.uint()
	y.Months = d.uint()
	y.Contributed = d.bool()
	y.MaxRank = d.int()
	y.Tier = d.str()
	y.Referred = d.bool()
	y.Paid = d.bool()
	y.Revenue = d.int64()
	y.Answers = readMap(&d, func() *Answer {
		a := &Answer{Score: d.int(), Choice: d.str(), At: d.time()}
		if n := d.count(); n > 0 {
			a.Keys = make([]string, n)
			for i := range a.Keys {
				a.Keys[i] = d.str()
			}
		}
		return a
	})
	if data[0] >= memberBinaryV2 {
		m.Rules = d.uint()
	}
	if data[0] >= memberBinaryV3 {
		for range d.count() {
			k, name, met := d.str(), d.str(), d.bool()
			if c := m.Campaigns[k]; c != nil {
				c.StepName, c.WaitMet = name, met
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: step name of campaign %q, which has no run", k)
			}
		}
	}
	if data[0] >= memberBinaryV4 {
		m.LeftAt = d.time()
	}
	if data[0] >= memberBinaryV5 {
		m.setRunKeys()
	}
	if data[0] >= memberBinaryV6 {
		if n := d.count(); n > 0 {
			m.RunsDropped = make(map[string]int, n)
			for range n {
				k := d.str()
				m.RunsDropped[k] = d.int()
			}
		}
	}
	if data[0] >= memberBinaryV7 {
		for range d.count() {
			k := d.str()
			h := &RunHold{Reason: d.str(), Until: d.time(), QuietHours: d.str(), TimeZone: d.str()}
			if n := d.count(); n > 0 {
				h.Caps = make([]HoldCap, n)
				for i := range h.Caps {
					h.Caps[i] = HoldCap{Scope: d.str(), Rate: d.str()}
				}
			}
			if c := m.Campaigns[k]; c != nil {
				c.Hold = h
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: hold of campaign run %q, which is not kept", k)
			}
		}
	}
	if data[0] >= memberBinaryV8 {
		if n := d.count(); n > 0 {
			m.KeysEnded = make(map[string][]EndedKey, n)
			for range n {
				name := d.str()
				keys := make([]EndedKey, d.count())
				for i := range keys {
					keys[i] = EndedKey{Key: d.str(), At: d.time(), Reason: d.reason()}
					if i > 0 && keys[i].Key <= keys[i-1].Key && d.err == nil {
						// Looked up by binary search: out of order is corruption.
						d.err = fmt.Errorf("member document: ended keys of campaign %q out of order", name)
					}
				}
				m.KeysEnded[name] = keys
			}
		}
	}
	if data[0] >= memberBinaryV9 {
		if n := d.count(); n > 0 {
			m.Unsubscribed = make(map[string]time.Time, n)
			for range n {
				k := d.str()
				m.Unsubscribed[k] = d.time()
			}
		}
	}
	if data[0] >= memberBinaryV10 {
		if n := d.count(); n > 0 {
			t.Qualifying = slices.Grow(t.Qualifying, n)
			for range n {
				t.Qualifying = append(t.Qualifying, Qualification{Tier: d.str(), Since: d.time()})
			}
		}
	}
	if data[0] >= memberBinaryV11 {
		if n := d.count(); n > 0 {
			m.Places = make(map[string]string, n)
			for range n {
				k := d.str()
				m.Places[k] = d.str()
			}
		}
	}
	if data[0] >= memberBinaryV12 {
		for range d.count() {
			k := d.str()
			at := d.time()
			if c := m.Campaigns[k]; c != nil {
				c.LastSent = at
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: last send of campaign run %q, which is not kept", k)
			}
		}
	}
	if data[0] >= memberBinaryV13 {
		for range d.count() {
			i, reason := d.uint(), d.str()
			if i < uint64(len(t.History)) {
				t.History[i].Reason = reason
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: reason of tier move %d, which the history does not have", i)
			}
		}
	}
	if data[0] >= memberBinaryV14 {
		if n := d.count(); n > 0 {
			m.Bounced = make(map[string]Bounce, n)
			for range n {
				k := d.str()
				m.Bounced[k] = Bounce{At: d.time(), Address: d.str(), Code: d.str(), Reply: d.str()}
			}
		}
	}
	if data[0] >= memberBinaryV15 {
		for range d.count() {
			k := d.str()
			at := d.time()
			if c := m.Campaigns[k]; c != nil && c.Hold != nil {
				c.Hold.Since = at
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: due time of held campaign run %q, which is not kept held", k)
			}
		}
	}
	if data[0] >= memberBinaryV16 {
		// Both lists are looked up by binary search: out of order is
		// corruption.
		m.Referees = d.sortedStrs("referees")
		for range d.count() {
			name := d.str()
			keys := d.sortedStrs("keys of incentive " + name)
			if g := m.Log(name); g != nil {
				g.Keys = keys
			} else if d.err == nil {
				d.err = fmt.Errorf("member document: once_per keys of incentive %q, which has no grants", name)
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("member document: %d bytes left over", len(d.b))
	}
	if d.err != nil {
		*m = Member{}
		return d.err
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeMap writes a map of pointers in key order, each value behind a
// flag, since a nil value is kept as nil.
func writeMap[V any](e *encoder, m map[string]*V, value func(*V) error) error {
	e.uint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		v := m[k]
		e.bool(v != nil)
		if v != nil {
			if err := value(v); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

// readMap reads what writeMap writes; an empty map is nil.
func readMap[V any](d *decoder, value func() *V) map[string]*V {
	n := d.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]*V, n)
	for range n {
		k := d.str()
		var v *V
		if d.bool() {
			v = value()
		}
		m[k] = v
	}
	return m
}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// runReasons are the reasons a campaign run ends, written as their
// index, a byte, where a member keeps thousands (Member.KeysEnded); read
// back, they share these strings rather than allocating each. Never
// add to them: a reason added later (exited, stop_when's) goes as its
// text, since an index past these means text to a hearth that reads
// an earlier version.
var runReasons = [...]string{"", "goal", "finished", "left", "stopped"}

// reason writes a campaign run's reason for ending: its index in
// runReasons, or one past them and the text.
func (e *encoder) reason(r string) {
	for i, known := range runReasons {
		if r == known {
			e.uint(uint64(i))
			return
		}
	}
	e.uint(uint64(len(runReasons)))
	e.str(r)
}

// Time tags: the zero time, a UTC time, a time with a fixed offset (which
// is what a JSON round trip of any other zone gives too).
const (
	timeZero   = 0
	timeUTC    = 1
	timeOffset = 2
)

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, timeZero)
		return
	}
	if _, off := t.Zone(); off != 0 {
		e.b = append(e.b, timeOffset)
		e.int(int64(off))
	} else {
		e.b = append(e.b, timeUTC)
	}
	e.int(t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

func (e *encoder) times(ts []time.Time) {
	e.uint(uint64(len(ts)))
	for _, t := range ts {
		e.time(t)
	}
}

// series writes days as differences from the one before: days are in
// order, so each takes a byte or two.
func (e *encoder) series(s Series) {
	e.uint(uint64(len(s)))
	prev := Day(0)
	for _, x := range s {
		e.int(int64(x.Day - prev))
		e.int(int64(x.Count))
		prev = x.Day
	}
}

func (e *encoder) strMap(m map[string]string) {
	e.uint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		e.str(m[k])
	}
}

// anyMap writes a free-form map as JSON; nil and empty are both nothing.
func (e *encoder) anyMap(m map[string]any) error {
	if len(m) == 0 {
		e.uint(0)
		return nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	e.str(string(data))
	return nil
}

// decoder reads a binary document. The first error sticks, and every read
// after it returns a zero value, so the decoding code reads straight
// through and checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int64() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	v := d.int64()
	if v < math.MinInt || v > math.MaxInt {
		d.fail(errors.New("member document: number out of range"))
		return 0
	}
	return int(v)
}

func (d *decoder) int32() int32 {
	v := d.int64()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail(errors.New("member document: day out of range"))
		return 0
	}
	return int32(v)
}

func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		d.fail(errShort)
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail(errors.New("member document: bad flag"))
	}
	return v == 1
}

// count reads a list's length, which cannot be more than the bytes left:
// every entry takes at least one. A corrupt length so fails instead of
// asking for a huge allocation.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

// reason reads what encoder.reason writes.
func (d *decoder) reason() string {
	code := d.uint()
	switch {
	case code < uint64(len(runReasons)):
		return runReasons[code]
	case code == uint64(len(runReasons)):
		return d.str()
	}
	d.fail(errors.New("member document: bad reason"))
	return ""
}

func (d *decoder) time() time.Time {
	if len(d.b) == 0 {
		d.fail(errShort)
		return time.Time{}
	}
	tag := d.b[0]
	d.b = d.b[1:]
	var loc *time.Location
	switch tag {
	case timeZero:
		return time.Time{}
	case timeUTC:
		loc = time.UTC
	case timeOffset:
		off := d.int64()
		if off < -24*3600 || off > 24*3600 || off == 0 {
			d.fail(errors.New("member document: bad time offset"))
			return time.Time{}
		}
		loc = time.FixedZone("", int(off))
	default:
		d.fail(errors.New("member document: bad time"))
		return time.Time{}
	}
	sec := d.int64()
	nsec := d.uint()
	if nsec >= 1e9 {
		d.fail(errors.New("member document: bad time"))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).In(loc)
	if t.IsZero() {
		// The zero time has its own tag; this one would not round-trip.
		d.fail(errors.New("member document: bad time"))
	}
	return t
}

// sortedStrs reads a count and that many strings, which must be in
// increasing order (what is the list, for the error).
func (d *decoder) sortedStrs(what string) []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
		if i > 0 && out[i] <= out[i-1] && d.err == nil {
			d.err = fmt.Errorf("member document: %s out of order", what)
		}
	}
	return out
}

func (d *decoder) times() []time.Time {
	n := d.count()
	if n == 0 {
		return nil
	}
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = d.time()
	}
	return ts
}

func (d *decoder) series() Series {
	n := d.count()
	if n == 0 {
		return nil
	}
	s := make(Series, n)
	prev := int64(0)
	for i := range s {
		prev += d.int64()
		if prev < math.MinInt32 || prev > math.MaxInt32 {
			d.fail(errors.New("member document: day out of range"))
			return nil
		}
		s[i] = Bucket{Day: Day(prev), Count: d.int()}
	}
	return s
}

func (d *decoder) strMap() map[string]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) anyMap() map[string]any {
	data := d.bytes()
	if len(data) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		d.fail(fmt.Errorf("member document: %w", err))
		return nil
	}
	return m
}
