package daemon_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
	evs "github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// After a reload changes a segment's rule, stored members move without
// an event of their own, and a restart under the same rules does not go
// over them again.
func TestReloadMovesStoredMembers(t *testing.T) {
	strict := rulesA + `segment "talkers" { when = "member.points >= 3" }`
	loose := rulesA + `segment "talkers" { when = "member.points >= 2" }`
	var logs syncBuffer
	f := start(t, strict, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	if code, body := post(t, f, "/v1/events", events(0, 14), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, body)
	}
	talkers := func() int {
		n := 0
		_ = f.store.Members(context.Background(), func(m *state.Member) error {
			if _, in := m.Segments["talkers"]; in {
				n++
			}
			return nil
		})
		return n
	}
	if n := talkers(); n != 0 {
		t.Fatalf("%d talkers with 2 points each under >= 3", n)
	}
	write(t, f.dir, "rules.hcl", loose)
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	waitFor(t, func() bool { return talkers() == 7 })
	waitFor(t, func() bool {
		_, status := get(t, f, "/v1/status")
		return status["reevaluating"] == 0.0
	})
	if got := metric(t, f.srv.URL, "hearth_members_reevaluated_total"); got != "7" {
		t.Errorf("hearth_members_reevaluated_total %s; want 7", got)
	}
	// Log keys are snake_case, as a collector's queries expect.
	if !strings.Contains(logs.String(), `"msg":"stored members are under the rules in force","checked":7,"reevaluated":7,`) {
		t.Errorf("the sweep's last line:\n%s", logs.String())
	}

	// Another daemon on the same store and rules finds nothing to do.
	f.stop()
	g := startOn(t, f.dir, f.db, "")
	if code, _ := post(t, g, "/v1/events", events(100, 1), ""); code != http.StatusAccepted {
		t.Fatal("event after restart refused")
	}
	waitFor(t, func() bool {
		_, status := get(t, g, "/v1/status")
		return status["stats"].(map[string]any)["batches"].(float64) >= 1
	})
	if got := metric(t, g.srv.URL, "hearth_members_reevaluated_total"); got != "0" {
		t.Errorf("after a restart under the same rules: hearth_members_reevaluated_total %s; want 0", got)
	}
}

// metric is one unlabelled sample's value as /metrics prints it.
func metric(t *testing.T, url, name string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for line := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(line, []byte(name+" ")); ok {
			return string(bytes.TrimSpace(rest))
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return ""
}

// partitioned is a bus of two partitions of which the replica owns the
// first; nothing is published through it here.
type partitioned struct{}

func (partitioned) Publish(context.Context, []evs.Event, bool) error { return nil }
func (partitioned) Partitions() int                                  { return 2 }
func (partitioned) Owned() []int                                     { return []int{0} }

// With replicas, each brings the members of its own partitions to the
// new rules, and records it per partition.
func TestReplicaReevaluatesItsPartitions(t *testing.T) {
	f := start(t, rulesA+`segment "talkers" { when = "member.points >= 3" }`, "")
	if code, body := post(t, f, "/v1/events", events(0, 14), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, body)
	}
	f.stop()
	write(t, f.dir, "rules.hcl", rulesA+`segment "talkers" { when = "member.points >= 2" }`)
	g := startOn(t, f.dir, f.db, "", func(o *daemon.Options) { o.Bus = partitioned{} })
	mine := func(id string) bool { return state.MemberHash(id)%2 == 0 }
	waitFor(t, func() bool {
		_, status := get(t, g, "/v1/status")
		return status["stats"].(map[string]any)["batches"] != nil && metric(t, g.srv.URL, "hearth_members_reevaluated_total") != "0"
	})
	g.stop()
	store, err := sqlite.Open(context.Background(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n := 0
	_ = store.Members(context.Background(), func(m *state.Member) error {
		_, in := m.Segments["talkers"]
		if in != mine(m.ID) {
			t.Errorf("%s (partition %d) in talkers: %v", m.ID, state.MemberHash(m.ID)%2, in)
		}
		n++
		return nil
	})
	if n != 7 {
		t.Fatalf("%d members stored", n)
	}
	for p, want := range map[string]bool{"hearth.rules/0": true, "hearth.rules/1": false} {
		got, err := store.Cursor(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if (got != "") != want {
			t.Errorf("cursor %s = %q", p, got)
		}
	}
}
