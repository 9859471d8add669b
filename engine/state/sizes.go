package state

import (
	"context"
	"strconv"
	"strings"
)

// The size history of segments and tiers is read from tallies engine/
// analytics keeps by day: a segment's size at the end of a day is the
// members who entered it minus those who left it up to that day, a
// tier's the sum of its changes by day. A store written before those
// were counted (or before an erased member's segments were counted out)
// holds members the moves never counted. Anchoring adds, once, the
// difference between the members holding each segment or tier now and
// what the tallies sum to, as a correction on the day of the latest
// event: from that day on the sums are the sizes, and the day is kept
// (TallySizesAnchor) so a report can say since when. The stores anchor
// in the migration that adds it, so these keys live here, where both
// the stores and engine/analytics read them.
const (
	TallySegmentEnter = "s/in/"  // SEGMENT/DAY: members who entered the segment that day
	TallySegmentLeave = "s/out/" // SEGMENT/DAY: members who left the segment that day
	TallySegmentFix   = "s/fix/" // SEGMENT/DAY: correction of the members holding the segment
	TallyTierNow      = "t/cur/" // TIER: members on the tier now
	TallyTierDay      = "t/day/" // TIER/DAY: change of the members on the tier that day
	TallyTierFix      = "t/fix/" // TIER/DAY: correction of the members on the tier
	// TallySizesAnchor and TallyTiersAnchor mark, by DAY, the day the
	// segment (tier) sizes were anchored with a correction: kept from
	// then on. Absent when the counts were whole from the store's start.
	TallySizesAnchor = "s/anchor/"
	TallyTiersAnchor = "t/anchor/"
)

// SizeCounter counts what anchoring compares the tallies with: the
// members holding each segment (those who left included: the moves
// count them, and the report leaves them out as the population does)
// and the latest day any member had an event.
type SizeCounter struct {
	Holders map[string]int64
	Latest  Day
	Members int64
}

// Add counts one member.
func (c *SizeCounter) Add(m *Member) {
	if c.Holders == nil {
		c.Holders = map[string]int64{}
	}
	c.Members++
	for s := range m.Segments {
		c.Holders[s]++
	}
	if !m.LastEventAt.IsZero() {
		c.Latest = max(c.Latest, DayOf(m.LastEventAt))
	}
}

// SizeAnchor is the tally changes that anchor the size history of a
// store holding t, whose members c counted: nil when the tallies agree
// with the members already, or there are none. It is idempotent: on
// tallies it was added to, it gives nil.
func SizeAnchor(t Tallies, c *SizeCounter) Tallies {
	if c.Members == 0 {
		return nil
	}
	sums := map[string]int64{}
	tiers := map[string]int64{}
	// The day of the correction: the latest event's, of the members or
	// of the tallies (a member stored without events has no time).
	day := c.Latest
	for k, n := range t {
		if n != 0 {
			if rest, ok := strings.CutPrefix(k, TallySegmentEnter); ok {
				day = max(day, dayOfKey(rest))
			} else if rest, ok := strings.CutPrefix(k, TallyTierDay); ok {
				day = max(day, dayOfKey(rest))
			}
		}
		switch {
		case strings.HasPrefix(k, TallySegmentEnter):
			if name, ok := nameOfDayKey(k[len(TallySegmentEnter):]); ok {
				sums[name] += n
			}
		case strings.HasPrefix(k, TallySegmentLeave):
			if name, ok := nameOfDayKey(k[len(TallySegmentLeave):]); ok {
				sums[name] -= n
			}
		case strings.HasPrefix(k, TallySegmentFix):
			if name, ok := nameOfDayKey(k[len(TallySegmentFix):]); ok {
				sums[name] += n
			}
		case strings.HasPrefix(k, TallyTierDay):
			if name, ok := nameOfDayKey(k[len(TallyTierDay):]); ok {
				tiers[name] -= n
			}
		case strings.HasPrefix(k, TallyTierFix):
			if name, ok := nameOfDayKey(k[len(TallyTierFix):]); ok {
				tiers[name] -= n
			}
		case strings.HasPrefix(k, TallyTierNow):
			tiers[k[len(TallyTierNow):]] += n
		}
	}
	out := Tallies{}
	names := map[string]bool{}
	for s := range sums {
		names[s] = true
	}
	for s := range c.Holders {
		names[s] = true
	}
	segFixed := false
	for s := range names {
		if fix := c.Holders[s] - sums[s]; fix != 0 {
			out[TallySegmentFix+s+"/"+strconv.Itoa(int(day))] = fix
			segFixed = true
		}
	}
	tierFixed := false
	for tier, fix := range tiers {
		if fix != 0 {
			out[TallyTierFix+tier+"/"+strconv.Itoa(int(day))] = fix
			tierFixed = true
		}
	}
	if segFixed {
		out[TallySizesAnchor+strconv.Itoa(int(day))] = 1
	}
	if tierFixed {
		out[TallyTiersAnchor+strconv.Itoa(int(day))] = 1
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// dayOfKey is the DAY of "NAME/DAY", 0 when it has none.
func dayOfKey(rest string) Day {
	i := strings.LastIndexByte(rest, '/')
	d, err := strconv.Atoi(rest[i+1:])
	if err != nil {
		return 0
	}
	return Day(d)
}

// nameOfDayKey splits "NAME/DAY" and gives NAME.
func nameOfDayKey(rest string) (string, bool) {
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	if _, err := strconv.Atoi(rest[i+1:]); err != nil {
		return "", false
	}
	return rest[:i], true
}

// SizeAnchorer is a store that can anchor the size history of its
// segments and tiers (SizeAnchor) from its members and tallies, in one
// transaction. The stores do it in the migration that adds it; it is
// idempotent, so doing it again changes nothing on consistent tallies.
type SizeAnchorer interface {
	AnchorSizes(ctx context.Context) (Tallies, error)
}

var _ SizeAnchorer = (*Memory)(nil)

// AnchorSizes anchors the size history of the memory store's segments
// and tiers, and returns the changes it made.
func (s *Memory) AnchorSizes(context.Context) (Tallies, error) {
	var c SizeCounter
	for _, m := range s.members {
		c.Add(m)
	}
	d := SizeAnchor(s.tallies, &c)
	if d != nil {
		if s.tallies == nil {
			s.tallies = Tallies{}
		}
		s.tallies.Merge(d)
	}
	return d, nil
}
