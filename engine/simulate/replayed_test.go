package simulate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
)

// The sandbox sends at event time; a replay of the same events leaves
// the sends to hearth run's outbox, which sends at the wall clock. With
// ReplayedAt, the sends a replay then would see expire are counted: the
// hello and the receipt are sent at the join, and both expire (two
// days): a transactional receipt replayed days late is no news either;
// the nudge, three days on, is a day old at the replay and would still
// go.
func TestSummaryCountsSendsExpiredIfReplayed(t *testing.T) {
	cfg := loadConfig(t, lateConfig)
	stream := `{"id":"a","type":"member.joined","member":{"id":"ann","identities":{"email":"ann@example.org"}},"at":"2026-03-01T12:00:00Z"}
`
	run := func(replayed time.Time) *simulate.Summary {
		t.Helper()
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{
			To: time.Date(2026, 3, 4, 13, 0, 0, 0, time.UTC), ReplayedAt: replayed})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	replayed := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	sum := run(replayed)
	if sum.Sends["send.dm"] != 2 || sum.Sends["send.email"] != 1 {
		t.Fatalf("sends %v; want the hello, the nudge and the receipt, sent by the sandbox", sum.Sends)
	}
	if len(sum.ExpiredIfReplayed) != 2 || sum.ExpiredIfReplayed["send.dm"] != 1 || sum.ExpiredIfReplayed["send.email"] != 1 || !sum.ReplayedAt.Equal(replayed) {
		t.Errorf("expired if replayed %v at %s; want the hello's send.dm and the receipt's send.email at %s", sum.ExpiredIfReplayed, sum.ReplayedAt, replayed)
	}
	// Replayed in time, nothing expires, and the summary says nothing.
	if sum := run(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); len(sum.ExpiredIfReplayed) != 0 || !sum.ReplayedAt.IsZero() {
		t.Errorf("replayed a day on: %v at %s; want none", sum.ExpiredIfReplayed, sum.ReplayedAt)
	}
	if sum := run(time.Time{}); len(sum.ExpiredIfReplayed) != 0 {
		t.Errorf("without ReplayedAt: %v; want none counted", sum.ExpiredIfReplayed)
	}
}

// Events dated more than MaxAhead past Now are rejected lines, as the
// daemon refuses them, with their line and the daemon's words; without
// Now every time is taken.
func TestFutureEventsRejected(t *testing.T) {
	cfg := loadConfig(t, lateConfig)
	stream := `{"id":"a","type":"member.joined","member":"ann","at":"2026-03-01T12:00:00Z"}
{"id":"b","type":"member.joined","member":"bob","at":"2026-03-01T12:04:00Z"}
{"id":"c","type":"member.joined","member":"cy","at":"2027-03-01T12:00:00Z"}
`
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var bad []*events.Error
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{
		Now: now, MaxAhead: 5 * time.Minute, BadEvent: func(e *events.Error) { bad = append(bad, e) }})
	if err != nil {
		t.Fatal(err)
	}
	want := "line 3: event at 2027-03-01T12:00:00Z is 1y in the future; the clock says 2026-03-01T12:00:00Z; at most 5m ahead is accepted, as POST /v1/events accepts"
	if sum.Events != 2 || sum.Rejected != 1 || len(bad) != 1 || bad[0].Error() != want || bad[0].ID != "c" {
		t.Fatalf("events %d, rejected %d, %v; want 2 applied and %q", sum.Events, sum.Rejected, bad, want)
	}
	if len(sum.RejectedLines) != 1 || sum.RejectedLines[0].Line != 3 {
		t.Errorf("rejected lines %+v; want line 3", sum.RejectedLines)
	}
	sum, err = simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{})
	if err != nil || sum.Events != 3 || sum.Rejected != 0 {
		t.Errorf("without Now: %d events, %d rejected, %v; want all 3", sum.Events, sum.Rejected, err)
	}
}
