package state

import (
	"slices"
	"strings"
	"time"
)

// Community is what hearth keeps about one community as a whole: the
// counters its figures (community.messages_24h ...) are computed from,
// kept up to date event by event, and the state of its alerts.
type Community struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
	// Hours are counts per hour by figure (messages, flagged, negative,
	// reports, joined, left). They reuse Series with hour numbers (hours
	// since 1970) in place of days, so they reach back Horizon hours.
	Hours map[string]Series `json:"hours,omitempty"`
	// Days are counts per day by figure, for the usual level.
	Days map[string]Series `json:"days,omitempty"`
	// LastActive counts members by the day of their latest activity:
	// members active in the last N days is a sum over N days, and a
	// member's new activity moves them from one day to another.
	LastActive Series `json:"last_active,omitempty"`
	// Alerts are the alerts' firing state, by alert name.
	Alerts map[string]*AlertState `json:"alerts,omitempty"`
}

// AlertState is what deduplication and cool-down need of one alert.
type AlertState struct {
	// Holding says the alert's rule held at the last check: it fires
	// again only after the rule stopped holding.
	Holding   bool      `json:"holding"`
	LastFired time.Time `json:"last_fired,omitzero"`
	Fired     int       `json:"fired"`
	// Suppressed counts times the rule began to hold within the cool-down.
	Suppressed int `json:"suppressed,omitempty"`
}

// Hour numbers hours since 1970-01-01 UTC, as a Day does days, so hourly
// counts can use Series.
func Hour(t time.Time) Day { return Day(t.Unix() / 3600) }

// Hourly counts are kept for KeepHours, daily ones for KeepDays: the
// longest windows of the figures, so the document written with every
// batch stays small.
const (
	KeepHours = 8 * 24
	KeepDays  = 60
)

// CountHour counts n of a figure in t's hour and day.
func (c *Community) CountHour(figure string, t time.Time, n int) {
	if c.Hours == nil {
		c.Hours = map[string]Series{}
		c.Days = map[string]Series{}
	}
	c.Hours[figure] = Keep(c.Hours[figure].Add(Hour(t), n), KeepHours)
	c.Days[figure] = Keep(c.Days[figure].Add(DayOf(t), n), KeepDays)
}

// Keep drops buckets more than n units before the newest one.
func Keep(s Series, n int) Series {
	cut := 0
	for cut < len(s) && s[cut].Day <= s[len(s)-1].Day-Day(n) {
		cut++
	}
	return s[cut:]
}

// InHours sums a figure over the hours ending with now's.
func (c *Community) InHours(figure string, now time.Time, hours int) int {
	return c.Hours[figure].Sum(Hour(now), hours)
}

// CommunityBatch is a batch that also keeps community documents. Both
// built-in stores offer it; the runtime keeps community figures and
// alerts only with stores that do.
type CommunityBatch interface {
	// Community returns the community's document, or ErrNotFound.
	Community(name string) (*Community, error)
	SaveCommunity(c *Community) error
}

// CommunityReader lists the stored community documents, outside any
// batch, for reports and the admin API.
type CommunityReader interface {
	Communities() ([]*Community, error)
}

// Community returns a community document; like members, the stored one
// itself (see memBatch.Member).
func (b *memBatch) Community(name string) (*Community, error) {
	if c, ok := b.comms[name]; ok {
		return c, nil
	}
	if c, ok := b.s.comms[name]; ok {
		return c, nil
	}
	return nil, ErrNotFound
}

// SaveCommunity keeps the document when the batch commits.
func (b *memBatch) SaveCommunity(c *Community) error {
	if b.comms == nil {
		b.comms = map[string]*Community{}
	}
	b.comms[c.Name] = c
	return nil
}

// Communities lists the committed community documents by name.
func (s *Memory) Communities() ([]*Community, error) {
	out := make([]*Community, 0, len(s.comms))
	for _, c := range s.comms {
		out = append(out, c)
	}
	sortCommunities(out)
	return out, nil
}

func sortCommunities(cs []*Community) {
	slices.SortFunc(cs, func(a, b *Community) int { return strings.Compare(a.Name, b.Name) })
}

var (
	_ CommunityBatch  = (*memBatch)(nil)
	_ CommunityReader = (*Memory)(nil)
)
