package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// recording is the local platform with a Perform that records badge
// revocations and trust levels, which local has not, and answers them.
type recording struct {
	*local.Adapter
	mu   sync.Mutex
	reqs []platform.PerformRequest
}

type recordingConn struct {
	*local.Conn
	r *recording
}

func (r *recording) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	c, err := r.Adapter.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c.(*local.Conn), r: r}, nil
}

func (c *recordingConn) Perform(ctx context.Context, req platform.PerformRequest) (platform.PerformResponse, error) {
	if req.Action != platform.ActionBadgeRevoke && req.Action != platform.ActionTrustLevel {
		return c.Conn.Perform(ctx, req)
	}
	if err := platform.CheckPerform(req); err != nil {
		return platform.PerformResponse{}, err
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.reqs = append(c.r.reqs, req)
	return platform.PerformResponse{}, nil
}

// The trust level and badge revocation kinds reach the platform as the
// actions the adapter reads: the level, and whether it locks or raises.
func TestPlatformSenderTrustLevelsAndRevocations(t *testing.T) {
	ctx := context.Background()
	rec := &recording{Adapter: local.New()}
	dir, reg, cfg := loadClub(t, rec)
	lc := openLocal(t, cfg, dir)
	co, _ := makeClub(t, lc, "club", "general")
	ann, err := lc.Join(ctx, local.JoinRequest{Community: co, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	lc.Close()
	at := time.Now().Add(-time.Minute)
	act := func(key, kind, role string) state.Action {
		return state.Action{Key: key, Kind: kind, Member: "ann", At: at, Platform: "platform.local.main", Community: "club", Target: ann.ID, Role: role}
	}
	_, rep := sendOnce(t, reg, cfg, act("a1", "trust_level.raise", "1"), act("a2", "trust_level.set", "2"), act("a3", "trust_level.lock", "4"),
		act("a4", "trust_level.unlock", ""), act("a5", "badge.revoke", "Helper"))
	if rep.Sent != 5 {
		t.Fatalf("report %+v; want 5 sent", rep)
	}
	want := map[string]platform.PerformRequest{
		"a1": {Action: platform.ActionTrustLevel, Level: "1", Raise: true},
		"a2": {Action: platform.ActionTrustLevel, Level: "2"},
		"a3": {Action: platform.ActionTrustLevel, Level: "4", Lock: true},
		"a4": {Action: platform.ActionTrustLevel},
		"a5": {Action: platform.ActionBadgeRevoke, Badge: "Helper"},
	}
	if len(rec.reqs) != len(want) {
		t.Fatalf("performed %+v; want %d requests", rec.reqs, len(want))
	}
	for _, got := range rec.reqs {
		w := want[got.Key]
		if got.Action != w.Action || got.Level != w.Level || got.Lock != w.Lock || got.Raise != w.Raise || got.Badge != w.Badge || got.Member != ann.ID || got.Community != co {
			t.Errorf("%s: %+v; want %+v for member %s in %s", got.Key, got, w, ann.ID, co)
		}
	}
}
