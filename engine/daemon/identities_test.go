package daemon_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/bus"
	"github.com/hearth-community/hearth/engine/daemon"
	evpkg "github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// With a bus, an event from a platform account an imported member holds
// is published under that member's id, so it goes to the partition of
// the member it applies to; one naming nobody's identity keeps its own.
func TestBusPublishesLinkedMember(t *testing.T) {
	eb := &fakeBus{}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
	imported, err := evpkg.Parse([]byte(`{"id":"member.imported/alice","type":"member.imported","member":{"id":"alice","identities":{"telegram":"333","matrix":"@alice:example.org"}},"at":"2026-03-01T00:00:00Z","source":"import"}`))
	if err != nil {
		t.Fatal(err)
	}
	// As the bus hands it back to the replica owning its partition.
	if _, err := f.d.Apply(context.Background(), []evpkg.Event{imported}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Join([]string{
		`{"id":"tg.1","type":"message.posted","member":{"id":"333","identities":{"telegram":"333"}},"at":"2026-03-02T10:00:00Z","source":"telegram"}`,
		`{"id":"mx.1","type":"message.posted","member":{"id":"@alice:example.org","identities":{"matrix":"@alice:example.org"}},"at":"2026-03-02T11:00:00Z","source":"matrix"}`,
		`{"id":"tg.2","type":"message.posted","member":{"id":"444","identities":{"telegram":"444"}},"at":"2026-03-02T12:00:00Z","source":"telegram"}`,
	}, "\n")
	if code, body := post(t, f, "/v1/events", lines, ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, body)
	}
	var got []string
	for _, ev := range eb.got {
		got = append(got, ev.Member.ID)
	}
	if strings.Join(got, " ") != "alice alice 444" {
		t.Fatalf("published for members %v; want [alice alice 444]", got)
	}
	if bus.Partition(eb.got[0].Member.ID, 16) != bus.Partition("alice", 16) {
		t.Error("the linked event is not in alice's partition")
	}
	if _, err := f.d.Apply(context.Background(), eb.got); err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	if err := f.store.Members(context.Background(), func(m *state.Member) error { byID[m.ID] = m.Points; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(byID) != 2 || byID["alice"] != 2 || byID["444"] != 1 {
		t.Errorf("members and points %v; want alice 2 (her Telegram and Matrix messages), 444 1", byID)
	}
}
