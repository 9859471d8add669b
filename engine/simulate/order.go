package simulate

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/stamp"
)

// Source is a stream of events with the line of the file each came
// from: an *events.Reader in file order, or a Sorted one in time order.
type Source interface {
	// Next returns the next event, io.EOF at the end, or an
	// *events.Error for a line that is not an event.
	Next() (events.Event, error)
	// Line is the line of the file the event Next returned last came
	// from.
	Line() int
	// Raw is the text of that event, valid until the next call to Next.
	Raw() []byte
}

var (
	_ Source = (*events.Reader)(nil)
	_ Source = (*Sorted)(nil)
)

// OutOfOrder describes the events of a file dated before an event above
// them. A replay applies such an event at its own time, as the daemon
// applies a late one, but time-based rules and timers have by then run
// up to the later time, so the result can differ from the same events
// in time order: a campaign nudge sent on the 4th to a member whose post
// of the 2nd, further down the file, would have reached the goal.
type OutOfOrder struct {
	// Count is the number of events dated before the latest event
	// above them.
	Count int `json:"count"`
	// Line and At are the first such event's line and time; LatestLine
	// and Latest the line and time of the latest event above it.
	Line       int        `json:"first_line"`
	At         stamp.Time `json:"first_at"`
	LatestLine int        `json:"latest_line"`
	Latest     stamp.Time `json:"latest_at"`
	// Sorted is set when the replay sorted the events by time first
	// (Options.Sort): the counts are of the file, not of the replay.
	Sorted bool `json:"sorted,omitempty"`
}

// OrderCheck counts the events of a stream, in file order, dated
// before an event above them. Events of the same time are in order.
type OrderCheck struct {
	latest     time.Time
	latestLine int
	seen       bool
	report     OutOfOrder
}

// See takes the next event of the stream, from the given line.
func (c *OrderCheck) See(line int, at time.Time) {
	switch {
	case !c.seen || at.After(c.latest):
		c.latest, c.latestLine, c.seen = at, line, true
	case at.Before(c.latest):
		if c.report.Count == 0 {
			c.report.Line, c.report.At = line, stamp.Of(at)
			c.report.LatestLine, c.report.Latest = c.latestLine, stamp.Of(c.latest)
		}
		c.report.Count++
	}
}

// Report is what the check found, nil when every event was in order.
func (c *OrderCheck) Report() *OutOfOrder {
	if c.report.Count == 0 {
		return nil
	}
	r := c.report
	return &r
}

// Sorted is a whole file of events held in memory and sorted stably by
// time: the lines that are not events first, in file order (each an
// *events.Error from Next), then the events, those of one time in file
// order. Lines keep their numbers in the file.
type Sorted struct {
	bad   []*events.Error
	lines []sortedLine
	next  int // in bad, then in lines
	cur   *sortedLine
	line  int // of what Next returned last
	total int
	order *OutOfOrder
}

// sortedLine is one event of a Sorted file. Only its text is kept, the
// smallest form of it, and read again when its turn comes.
type sortedLine struct {
	at   time.Time
	line int
	raw  []byte
}

// Sort reads every line of r and sorts the events by time. It holds the
// whole file in memory. progress, if not nil, is called every 10,000
// events with the events (and lines that are not events) read so far,
// and at the end with all of them.
func Sort(r io.Reader, progress func(read int)) (*Sorted, error) {
	rd := events.NewReader(r)
	s := &Sorted{}
	var check OrderCheck
	for n := 1; ; n++ {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			if progress != nil {
				progress(rd.Line()) // the whole file: what applying it counts against
			}
			break
		}
		if progress != nil && n%10000 == 0 {
			progress(n)
		}
		var bad *events.Error
		if errors.As(err, &bad) {
			s.bad = append(s.bad, bad)
			continue
		}
		if err != nil {
			return nil, err
		}
		check.See(rd.Line(), ev.At)
		s.lines = append(s.lines, sortedLine{at: ev.At, line: rd.Line(), raw: bytes.Clone(rd.Raw())})
	}
	s.total = rd.Line()
	if s.order = check.Report(); s.order != nil {
		s.order.Sorted = true
		slices.SortStableFunc(s.lines, func(a, b sortedLine) int { return a.at.Compare(b.at) })
	}
	return s, nil
}

// Next returns the next line: the lines that are not events first, as
// *events.Error, then the events by time; io.EOF at the end.
func (s *Sorted) Next() (events.Event, error) {
	if s.cur != nil {
		s.cur.raw = nil // replayed: its memory can go
		s.cur = nil
	}
	if s.next < len(s.bad) {
		e := s.bad[s.next]
		s.next++
		s.line = e.Line
		return events.Event{}, e
	}
	i := s.next - len(s.bad)
	if i >= len(s.lines) {
		s.line = 0
		return events.Event{}, io.EOF
	}
	s.next++
	s.cur = &s.lines[i]
	s.line = s.cur.line
	ev, err := events.Parse(s.cur.raw)
	if err != nil {
		// Read once already: only a change to the parser between the
		// two readings gets here.
		return ev, &events.Error{Index: i, Line: s.cur.line, Err: err}
	}
	return ev, nil
}

// Line is the line of the file the line Next returned last came from.
func (s *Sorted) Line() int { return s.line }

// Raw is the text of the event Next returned last.
func (s *Sorted) Raw() []byte {
	if s.cur == nil {
		return nil
	}
	return s.cur.raw
}

// Lines is the number of lines of the file.
func (s *Sorted) Lines() int { return s.total }

// OutOfOrder is what the file's order was: nil when its events were in
// time order already.
func (s *Sorted) OutOfOrder() *OutOfOrder { return s.order }
