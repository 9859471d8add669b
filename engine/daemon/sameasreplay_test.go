package daemon_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// TestDaemonMatchesSimulate feeds the quickstart's sample events to a
// daemon whose clock stands at the last event, in small batches with the
// recheck loop running between them, and requires every member to end as
// hearth simulate leaves them: results do not depend on timing.
func TestDaemonMatchesSimulate(t *testing.T) {
	q := startQuickstartAt(t, 0)
	f, err := os.Open(quickstartEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := q.d.Feed(context.Background(), f, 50, nil); err != nil {
		t.Fatal(err)
	}
	// The recheck loop brings everyone to the clock within a tick or two.
	var got map[string]string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = q.standings(t)
		if maps.Equal(got, q.want) || time.Now().After(deadline) {
			break
		}
	}
	q.compare(t, got)
}

// TestBackfillOverHTTPMatchesSimulate posts the quickstart's events to a
// running daemon as hearth replay does (?backfill=true, batch after
// batch), with the daemon's clock a month after them, as when history is
// loaded into a daemon that is live. Timers wait for the backfill: once
// it is in, every member stands as hearth simulate leaves them, rather
// than having been taken a month ahead between two batches (segments
// left and entered again, campaign steps run).
func TestBackfillOverHTTPMatchesSimulate(t *testing.T) {
	q := startQuickstartAt(t, 30*24*time.Hour)
	srv := httptest.NewServer(q.d.Handler(""))
	defer srv.Close()
	data, err := os.ReadFile(quickstartEvents)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	for i := 0; i < len(lines); i += 50 {
		resp, err := http.Post(srv.URL+"/v1/events?backfill=true", "application/x-ndjson", strings.NewReader(strings.Join(lines[i:min(i+50, len(lines))], "")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("batch at line %d: %s", i+1, resp.Status)
		}
		// Give the recheck loop its chance between two requests.
		time.Sleep(5 * time.Millisecond)
	}
	q.compare(t, q.standings(t))
}

const quickstartEvents = "../../examples/quickstart/events.jsonl"

// quickstartRun is a daemon on a copy of the quickstart, and where hearth
// simulate leaves its members.
type quickstartRun struct {
	d     *daemon.Daemon
	store *sqlite.Store
	want  map[string]string
}

// startQuickstartAt starts a daemon on a copy of the quickstart with its
// clock after the sample events' last one by ahead.
func startQuickstartAt(t *testing.T, ahead time.Duration) *quickstartRun {
	t.Helper()
	dir := copyQuickstart(t)
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}
	cfg, _, diags := config.Load(dir, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	f, err := os.Open(quickstartEvents)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := simulate.Run(context.Background(), cfg, f, simulate.Options{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := sum.To.Add(ahead)
	d, diags, _ := daemon.New(daemon.Options{Dir: dir, Store: store, Load: opts, Now: func() time.Time { return now }})
	if d == nil {
		t.Fatal(diags.Error())
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		store.Close()
	})
	return &quickstartRun{d: d, store: store, want: standings(t, sum.Store.Members)}
}

// standings reads where the daemon's members stand, between batches.
func (q *quickstartRun) standings(t *testing.T) map[string]string {
	t.Helper()
	var got map[string]string
	err := q.d.Query(context.Background(), func(ctx context.Context, _ *runtime.Runtime) error {
		got = standings(t, func(ctx context.Context, fn func(*state.Member) error) error { return q.store.Members(ctx, fn) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (q *quickstartRun) compare(t *testing.T, got map[string]string) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(q.want)) {
		if got[id] != q.want[id] {
			t.Errorf("member %s\n daemon:   %s\n simulate: %s", id, got[id], q.want[id])
		}
	}
}

// standings describes each member by what the rules decide: points,
// tier, segments, badges and campaign runs.
func standings(t *testing.T, members func(context.Context, func(*state.Member) error) error) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := members(context.Background(), func(m *state.Member) error {
		var b strings.Builder
		fmt.Fprintf(&b, "points %d tier %q segments %v badges", m.Points, m.Tier.Name, slices.Sorted(maps.Keys(m.Segments)))
		for _, name := range slices.Sorted(maps.Keys(m.Badges)) {
			fmt.Fprintf(&b, " %s×%d", name, m.Badges[name].Count)
		}
		for _, name := range slices.Sorted(maps.Keys(m.Campaigns)) {
			r := m.Campaigns[name]
			fmt.Fprintf(&b, " campaign %s %s step %d", name, r.Status, r.Step)
		}
		out[m.ID] = b.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
