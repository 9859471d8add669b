package statetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// ResourceStore is what engine/plan needs from a state store (plan.Store);
// it is repeated here because plan imports state, not the reverse.
type ResourceStore interface {
	Resources(ctx context.Context) ([]state.Resource, int64, error)
	PutResource(ctx context.Context, r state.Resource) (int64, error)
	DeleteResource(ctx context.Context, address string) (int64, error)
	Lock(ctx context.Context, info state.LockInfo) error
	Unlock(ctx context.Context, id string) error
}

// RunResources checks a ResourceStore: round trips, the serial and the
// apply lock.
func RunResources(t *testing.T, open func(t *testing.T) ResourceStore) {
	ctx := context.Background()
	s := open(t)
	rs, serial, err := s.Resources(ctx)
	if err != nil || len(rs) != 0 || serial != 0 {
		t.Fatalf("empty store: %v, serial %d, %v", rs, serial, err)
	}
	r := state.Resource{Address: "community.c.channel.b", Platform: "platform.local.main", Kind: "channel", ID: "ch-1",
		Community: "co-1", Attrs: map[string]string{"name": "b", "topic": ""}, PreventDestroy: true}
	if n, err := s.PutResource(ctx, r); err != nil || n != 1 {
		t.Fatalf("put: serial %d, %v", n, err)
	}
	if n, err := s.PutResource(ctx, state.Resource{Address: "community.c", Platform: "platform.local.main", Kind: "community", ID: "co-1", Attrs: map[string]string{}}); err != nil || n != 2 {
		t.Fatalf("put: serial %d, %v", n, err)
	}
	rs, serial, err = s.Resources(ctx)
	if err != nil || serial != 2 || len(rs) != 2 {
		t.Fatalf("after puts: %v, serial %d, %v", rs, serial, err)
	}
	got := rs[1]
	if rs[0].Address != "community.c" || got.ID != "ch-1" || got.Community != "co-1" || !got.PreventDestroy || got.Attrs["name"] != "b" {
		t.Fatalf("round trip: %+v", rs)
	}
	if n, err := s.DeleteResource(ctx, "community.c.channel.b"); err != nil || n != 3 {
		t.Fatalf("delete: serial %d, %v", n, err)
	}
	if rs, _, _ = s.Resources(ctx); len(rs) != 1 {
		t.Fatalf("after delete: %v", rs)
	}

	a := state.LockInfo{ID: "l1", Who: "ann@host", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.Lock(ctx, a); err != nil {
		t.Fatal(err)
	}
	var le *state.LockedError
	if err := s.Lock(ctx, state.LockInfo{ID: "l2", Who: "bob"}); !errors.As(err, &le) || le.Holder.Who != "ann@host" || le.Holder.ID != "l1" {
		t.Fatalf("second lock: %v", err)
	}
	if err := s.Unlock(ctx, "l2"); !errors.Is(err, state.ErrNotLocked) {
		t.Fatalf("unlock with the wrong id: %v", err)
	}
	if err := s.Unlock(ctx, "l1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(ctx, state.LockInfo{ID: "l2", Who: "bob"}); err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
}
