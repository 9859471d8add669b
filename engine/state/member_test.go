package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSeries(t *testing.T) {
	var s Series
	for _, d := range []Day{10, 10, 12, 11, 15} { // 11 arrives out of order
		s = s.Add(d, 1)
	}
	if len(s) != 4 || s[1].Day != 11 || s[0].Count != 2 {
		t.Fatalf("series %+v", s)
	}
	cases := []struct {
		today Day
		days  int
		sum   int
		n     int
	}{
		{15, 1, 1, 1}, {15, 4, 2, 2}, {15, 5, 3, 3}, {15, 6, 5, 4}, {12, 3, 4, 3}, {9, 30, 0, 0}, {100, 30, 0, 0},
	}
	for _, c := range cases {
		if got := s.Sum(c.today, c.days); got != c.sum {
			t.Errorf("Sum(%d, %d) = %d; want %d", c.today, c.days, got, c.sum)
		}
		if got := s.Days(c.today, c.days); got != c.n {
			t.Errorf("Days(%d, %d) = %d; want %d", c.today, c.days, got, c.n)
		}
	}
	if got := s.Streak(12); got != 3 {
		t.Errorf("Streak(12) = %d; want 3", got)
	}
	if got := s.Streak(13); got != 3 { // ending yesterday still counts
		t.Errorf("Streak(13) = %d; want 3", got)
	}
	if got := s.Streak(14); got != 0 {
		t.Errorf("Streak(14) = %d; want 0", got)
	}
	s = s.Add(15+Horizon, 1)
	if s[0].Day != 16 && len(s) != 1 {
		t.Errorf("not trimmed to the horizon: %+v", s)
	}
}

// TestAsOf: counts read on a day leave out the days after it, as they
// are when events of a later date were applied first.
func TestAsOf(t *testing.T) {
	t0 := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	day := DayOf(t0)
	m := NewMember("u", t0)
	// Older than the horizon: in the total, not in the days.
	m.SetCount("reaction.received", 7, nil)
	for _, d := range []int{0, 1, 2, 30, 31} { // 30 and 31 applied first would read the same
		m.Record("reaction.received", t0.AddDate(0, 0, d), true)
	}
	cases := []struct {
		today                            Day
		total, count30, active30, streak int
	}{
		{day - 1, 7, 0, 0, 0},
		{day, 8, 1, 1, 1},
		{day + 2, 10, 3, 3, 3},
		{day + 29, 10, 3, 3, 0},
		{day + 30, 11, 3, 3, 1},
		{day + 31, 12, 3, 3, 2},
		{day + 32, 12, 2, 2, 2}, // days 0 to 2 left the window
		{day + 400, 12, 0, 0, 0},
	}
	for _, c := range cases {
		if got := m.TotalAsOf("reaction.received", c.today); got != c.total {
			t.Errorf("TotalAsOf(+%d) = %d; want %d", c.today-day, got, c.total)
		}
		if got := m.Count("reaction.received", c.today, 30); got != c.count30 {
			t.Errorf("Count(+%d, 30) = %d; want %d", c.today-day, got, c.count30)
		}
		if got := m.Active.Days(c.today, 30); got != c.active30 {
			t.Errorf("Active.Days(+%d, 30) = %d; want %d", c.today-day, got, c.active30)
		}
		if got := m.Daily("reaction.received").Streak(c.today); got != c.streak {
			t.Errorf("Streak(+%d) = %d; want %d", c.today-day, got, c.streak)
		}
	}
	if got := m.Total("reaction.received"); got != 12 {
		t.Errorf("Total = %d; want 12, every day", got)
	}
	if got := m.TotalAsOf("message.posted", day); got != 0 {
		t.Errorf("TotalAsOf of a type never seen = %d", got)
	}
	// A day past the horizon trims the days before it, never itself.
	s := Series{{Day: 10, Count: 1}}.Add(10+Horizon+5, 2)
	if got := s.After(10); got != 2 {
		t.Errorf("After with a day past the horizon = %d; want 2 (%v)", got, s)
	}
}

func TestGrantBookkeeping(t *testing.T) {
	m := NewMember("u", time.Unix(0, 0))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		m.Grant("x", t0.Add(time.Duration(i)*24*time.Hour), 5, nil, true)
	}
	if m.Log("x").Count != 3 || m.Log("x").Points.Sum(DayOf(t0)+2, 2) != 10 {
		t.Errorf("log %+v", m.Log("x"))
	}
}

func TestMemoryBatchIsolationAndDue(t *testing.T) {
	s := NewMemory()
	ctx := context.Background()
	b, _ := s.Begin(ctx)
	m := NewMember("a", time.Unix(0, 0))
	m.RecheckAt = time.Unix(100, 0)
	_ = b.SaveMember(m)
	_ = b.MarkSeen("e1", time.Unix(0, 0))
	_ = b.Rollback()
	b, _ = s.Begin(ctx)
	if seen, _ := b.Seen("e1"); seen {
		t.Error("rolled-back event counted as seen")
	}
	_ = b.SaveMember(m)
	_ = b.MarkSeen("e1", time.Unix(0, 0))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ = s.Begin(ctx)
	if seen, _ := b.Seen("e1"); !seen {
		t.Error("committed event not seen")
	}
	if ids, _ := b.Due(time.Unix(99, 0), 10); len(ids) != 0 {
		t.Errorf("due too early: %v", ids)
	}
	if ids, _ := b.Due(time.Unix(100, 0), 10); len(ids) != 1 || ids[0] != "a" {
		t.Errorf("due = %v", ids)
	}
}

func TestMemberCountsInJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	m := NewMember("ann", at)
	m.Record("post.created", at, true)
	m.Record("message.posted", at, true)
	m.Record("post.created", at.Add(24*time.Hour), true)
	m.Grant("welcome", at, 5, nil, true)
	m.Grant("answered", at, 0, nil, false)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := DayOf(at)
	// The counts keep the form stores and state dumps have always had:
	// two objects keyed by type, in type order.
	want := fmt.Sprintf(`"totals":{"message.posted":1,"post.created":2},"counts":{"message.posted":[%d,1],"post.created":[%d,1,%d,1]},`+
		`"grants":{"answered":{"count":1,"last":"2026-03-02T10:00:00Z"},"welcome":{"count":1,"last":"2026-03-02T10:00:00Z","points":[%d,5]}}}`, d, d, d+1, d)
	if !strings.HasSuffix(string(data), want) {
		t.Fatalf("member JSON\n%s\nwant it to end with\n%s", data, want)
	}
	var back Member
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Total("post.created") != 2 || back.Count("post.created", d+1, 2) != 2 || back.Total("message.posted") != 1 || back.Total("other") != 0 {
		t.Errorf("decoded counts %+v", back.Types)
	}
	if g := back.Log("welcome"); g == nil || g.Count != 1 || g.Points.Sum(d, 1) != 5 || back.Log("other") != nil {
		t.Errorf("decoded grants %+v", back.Grants)
	}
	again, _ := json.Marshal(&back)
	if string(again) != string(data) {
		t.Errorf("a second round trip changed the document:\n%s\n%s", data, again)
	}
	// A value encodes like a pointer.
	byValue, _ := json.Marshal(*m)
	if string(byValue) != string(data) {
		t.Errorf("member by value:\n%s", byValue)
	}
	// A member with no events has neither object.
	plain, _ := json.Marshal(NewMember("bob", at))
	if strings.Contains(string(plain), "totals") {
		t.Errorf("member with no events: %s", plain)
	}
}

func TestMemberJSONRefusesBadCounts(t *testing.T) {
	for _, doc := range []string{
		`{"id":"a","totals":{"x":"many"}}`,
		`{"id":"a","counts":{"x":[1,2,3]}}`,
		`{"id":"a","counts":{"x":{}}}`,
	} {
		var m Member
		if err := json.Unmarshal([]byte(doc), &m); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
}

// A stored member document decodes without panicking, and what decodes
// encodes to a document that decodes to the same member again.
func FuzzMemberJSON(f *testing.F) {
	m := NewMember("ann", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	m.Record("post.created", m.JoinedAt, true)
	m.Grant("welcome", m.JoinedAt, 5, nil, true)
	seed, _ := json.Marshal(m)
	f.Add(seed)
	f.Add([]byte(`{"id":"a","totals":{"x":2},"counts":{"y":[1,1]},"grants":{"g":null}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var a Member
		if json.Unmarshal(doc, &a) != nil {
			return
		}
		first, err := json.Marshal(&a)
		if err != nil {
			return // a time out of JSON's range, say
		}
		var b Member
		if err := json.Unmarshal(first, &b); err != nil {
			t.Fatalf("%s does not decode: %v", first, err)
		}
		second, err := json.Marshal(&b)
		if err != nil || string(second) != string(first) {
			t.Fatalf("round trip changed the document:\n%s\n%s (%v)", first, second, err)
		}
		// The admin API and hearth member show -json show a stored
		// member through View, which reads the document again.
		if _, err := a.View(nil); err != nil {
			t.Fatalf("a member that decodes cannot be shown: %v\n%s", err, first)
		}
	})
}

// A ban with a duration ends by itself; one without, or whose decision
// was pruned, lasts.
func TestBannedAt(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	timed := &Moderation{Banned: true, Decisions: []Decision{{At: at, Action: "ban", Duration: "7d"}, {At: at.Add(time.Hour), Action: "flag"}}}
	if banned, until := timed.BannedAt(at.Add(6 * 24 * time.Hour)); !banned || !until.Equal(at.Add(7*24*time.Hour)) {
		t.Errorf("six days into a 7d ban: %v until %v", banned, until)
	}
	if banned, _ := timed.BannedAt(at.Add(8 * 24 * time.Hour)); banned {
		t.Error("eight days after a 7d ban: still banned")
	}
	forGood := &Moderation{Banned: true, Decisions: []Decision{{At: at, Action: "ban"}}}
	if banned, until := forGood.BannedAt(at.AddDate(5, 0, 0)); !banned || !until.IsZero() {
		t.Errorf("a ban without a duration, five years on: %v until %v", banned, until)
	}
	if banned, _ := (&Moderation{Banned: true}).BannedAt(at); !banned {
		t.Error("a ban whose decision was pruned ended")
	}
	if banned, _ := (*Moderation)(nil).BannedAt(at); banned {
		t.Error("no record, banned")
	}
	// The member's JSON says when the ban ends, for the dashboard, and
	// reads back the same.
	m := NewMember("ann", at)
	m.Moderation = timed
	doc, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"banned_until":"2026-03-08T10:00:00Z"`) {
		t.Errorf("member JSON lacks the ban's end: %s", doc)
	}
	var back Member
	if err := json.Unmarshal(doc, &back); err != nil || !back.Moderation.Banned || len(back.Moderation.Decisions) != 2 {
		t.Errorf("read back: %v %+v", err, back.Moderation)
	}
}
