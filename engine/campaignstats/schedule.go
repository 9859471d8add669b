package campaignstats

import (
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// Schedule is a scheduled campaign's schedule block (a broadcast), the
// members its audience holds now, and its next occurrences.
type Schedule struct {
	Text     string `json:"text"` // "every month on day 1 at 10:00 Europe/Berlin"
	Every    string `json:"every"`
	Day      string `json:"day,omitempty"` // "1", "-1" (the last day) or "monday"
	At       string `json:"at"`
	TimeZone string `json:"time_zone"` // a zone's name, or "member"
	Starts   string `json:"starts,omitempty"`
	Ends     string `json:"ends,omitempty"`
	LateBy   string `json:"late_by"`
	// Audience is how many stored members the next occurrence would
	// start a run for now: in the audience segment, and for whom the
	// campaign is (members).
	Audience int `json:"audience"`
	// Next are the next occurrences after the time asked (NextAt), in
	// UTC; with time_zone = "member", in the hearth block's zone, as for
	// a member without one.
	Next []time.Time `json:"next,omitempty"`
}

// NextOccurrences is how many occurrences NextAt lists.
const NextOccurrences = 3

func scheduleOf(c *config.Campaign) *Schedule {
	s := c.Schedule
	if s == nil {
		return nil
	}
	out := &Schedule{Text: s.String(), Every: s.Every, At: s.At.String(), TimeZone: s.ZoneName(), LateBy: durations.Format(s.LateBy)}
	switch s.Every {
	case config.ScheduleMonth:
		out.Day = strconv.Itoa(s.Day)
	case config.ScheduleWeek:
		out.Day = strings.ToLower(s.Weekday.String())
	}
	if !s.Starts.IsZero() {
		out.Starts = s.Starts.UTC().Format(time.RFC3339)
	}
	if !s.Ends.IsZero() {
		out.Ends = s.Ends.UTC().Format(time.RFC3339)
	}
	return out
}

// audience counts m when an occurrence would take them in now.
func (t *Tally) audience(m *state.Member) {
	if t.rep.Schedule == nil || t.c.Audience == nil || !t.c.For(m.Left) {
		return
	}
	if _, in := m.Segments[t.c.Audience.Name]; in {
		t.rep.Schedule.Audience++
	}
}

// NextAt fills the report's next occurrences after now, for a
// scheduled campaign c; def is the hearth block's zone, the one a member
// without a zone of their own has.
func (r *Report) NextAt(c *config.Campaign, now time.Time, def *time.Location) {
	if r.Schedule == nil || c.Schedule == nil {
		return
	}
	r.Schedule.Next = c.Schedule.Upcoming(now, def, NextOccurrences)
}
