package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/daemon"
	evpkg "github.com/hearth-community/hearth/engine/events"
)

func dated(id string, at time.Time) string {
	return fmt.Sprintf(`{"id":%q,"type":"message.posted","member":"m1","at":%q}`+"\n", id, at.UTC().Format(time.RFC3339))
}

// An event dated past the daemon's clock by more than -max-ahead is
// refused wherever it comes in: one event from 2036 would take its
// member's evaluations, segments and the reports to 2036.
func TestFutureEventsRefused(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Now = func() time.Time { return now } })
	code, out := post(t, f, "/v1/events", dated("ok", now.Add(-time.Hour))+dated("far", time.Date(2036, 11, 23, 12, 0, 0, 0, time.UTC)), "")
	want := "event at 2036-11-23T12:00:00Z is 10y 3d in the future; the daemon's clock says 2026-11-23T12:00:00Z; at most 5m ahead is accepted"
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out), want) || !strings.Contains(fmt.Sprint(out), "1 of 2 events is dated in the future") {
		t.Fatalf("an event from 2036: %d %v", code, out)
	}
	if bad := out["events"].([]any); len(bad) != 1 || bad[0].(map[string]any)["index"] != 1.0 || bad[0].(map[string]any)["line"] != 2.0 {
		t.Errorf("reported as %v; want index 1, line 2", bad)
	}
	if p := points(t, f); p != 0 {
		t.Errorf("the request was applied in part: %d points", p)
	}
	// A few minutes' skew is allowed for; a backfill of history is
	// taken as ever, and refused the same when dated in the future.
	for _, tc := range []struct {
		path, body string
		code       int
	}{
		{"/v1/events", dated("skew", now.Add(4*time.Minute)), http.StatusAccepted},
		{"/v1/events", dated("late", now.Add(6*time.Minute+30*time.Second)), http.StatusUnprocessableEntity},
		{"/v1/events?backfill=true", dated("h1", now.AddDate(-1, 0, 0)) + dated("h2", now.AddDate(0, -1, 0)), http.StatusAccepted},
		{"/v1/events?backfill=true", dated("h3", now.AddDate(0, 0, 1)), http.StatusUnprocessableEntity},
	} {
		if code, out := post(t, f, tc.path, tc.body, ""); code != tc.code {
			t.Errorf("%s %s: %d %v; want %d", tc.path, strings.TrimSpace(tc.body), code, out, tc.code)
		}
	}
	if _, out := post(t, f, "/v1/events", dated("late2", now.Add(6*time.Minute+30*time.Second)), ""); !strings.Contains(fmt.Sprint(out), "is 6m 30s in the future") {
		t.Errorf("a little late: %v", out)
	}
	if p := points(t, f); p != 3 {
		t.Errorf("%d points; want 3 (the skewed event and the backfill)", p)
	}
	// The metric counts events, as for streams and files: a request
	// with two events from the future counts two.
	if code, _ := post(t, f, "/v1/events", dated("ok2", now)+dated("far2", now.AddDate(1, 0, 0))+dated("far3", now.AddDate(2, 0, 0)), ""); code != http.StatusUnprocessableEntity {
		t.Errorf("two events from the future: %d", code)
	}
	if m := metricsText(t, f); !strings.Contains(m, `hearth_events_rejected_total{reason="future"} 6`) {
		t.Errorf("metrics lack the refused events:\n%s", grepLines([]byte(m), "hearth_events_rejected"))
	}
	// An events file skips them.
	var bad []string
	res, err := f.d.Feed(context.Background(), strings.NewReader(dated("f1", now)+dated("f2", now.AddDate(1, 0, 0))), 10, func(e *evpkg.Error) { bad = append(bad, e.Error()) })
	if err != nil || res.Accepted != 1 || res.Future != 1 || len(bad) != 1 || !strings.Contains(bad[0], "line 2: event at 2027-11-23T12:00:00Z is 1y in the future") {
		t.Errorf("feed: %+v %v %q", res, err, bad)
	}
}

// With a bus, the door is the replica that takes the events: a refused
// event is never published.
func TestFutureEventsNotPublished(t *testing.T) {
	eb := &fakeBus{}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb; o.MaxAhead = time.Hour })
	if code, out := post(t, f, "/v1/events", dated("b1", time.Now().Add(30*time.Minute)), ""); code != http.StatusAccepted {
		t.Errorf("30 minutes ahead with -max-ahead 1h: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/events", dated("b2", time.Now().Add(2*time.Hour)), ""); code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out), "at most 1h ahead is accepted") {
		t.Errorf("2 hours ahead: %d %v", code, out)
	}
	if _, err := f.d.Feed(context.Background(), strings.NewReader(dated("b3", time.Now().AddDate(0, 0, 2))), 10, nil); err != nil {
		t.Fatal(err)
	}
	if len(eb.got) != 1 || eb.got[0].ID != "b1" {
		t.Errorf("published %v; want b1 only", eb.got)
	}
}

// A platform stream's events are checked too; a refused one is passed
// over, so the stream goes on.
func TestFutureStreamEventsRefused(t *testing.T) {
	// The daemon's clock is an hour behind the platform's.
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Now = func() time.Time { return time.Now().Add(-time.Hour) } })
	reg, lc, co, ch := localClub(t, f)
	ctx := context.Background()
	mem, err := lc.Join(ctx, local.JoinRequest{Community: co.Object.ID, Name: "Ann", At: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Now(), time.Now().Add(-2 * time.Hour)} {
		if _, err := lc.Post(ctx, local.PostRequest{Channel: ch.Object.ID, Member: mem.ID, Text: "hello", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	sctx, stop := context.WithCancel(context.Background())
	defer stop()
	f.d.Streams(sctx, reg)
	// The post dated now is an hour ahead of the daemon: refused; the
	// one after it is taken.
	waitFor(t, func() bool { return points(t, f) == 1 })
	waitFor(t, func() bool {
		return strings.Contains(metricsText(t, f), `hearth_events_rejected_total{reason="future"} 1`)
	})
}

// Survey answers dated in the future are refused like events.
func TestFutureFeedbackRefused(t *testing.T) {
	f := start(t, surveyRules, "")
	code, out := post(t, f, "/v1/feedback", `{"id":"ff","member":"m1","survey":"pulse","at":"2036-01-01T00:00:00Z","answers":{"recommend":9}}`, "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out), "event at 2036-01-01T00:00:00Z is 9y") {
		t.Errorf("feedback from 2036: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/feedback", `{"id":"fg","member":"m1","survey":"pulse","answers":{"recommend":9}}`, ""); code != http.StatusAccepted {
		t.Errorf("feedback dated now: %d %v", code, out)
	}
}
