package idem_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hearth-community/hearth/adapters/internal/idem"
	"github.com/hearth-community/hearth/engine/platform"
)

func TestOncePerKey(t *testing.T) {
	s := idem.New()
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k", Community: "c", Channel: "ch", Text: "hi"}
	var calls atomic.Int32
	do := func(context.Context) (string, error) { calls.Add(1); return "m1", nil }
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for range 16 {
		wg.Go(func() {
			resp, err := s.Do(context.Background(), req, do)
			if err != nil || resp.ID != "m1" {
				t.Errorf("%+v, %v", resp, err)
			}
			if !resp.Duplicate {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1 || fresh.Load() != 1 {
		t.Errorf("%d calls, %d fresh answers; want 1 and 1", calls.Load(), fresh.Load())
	}
	other := req
	other.Text = "something else"
	if _, err := s.Do(context.Background(), other, do); !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("the key for another action: %v", err)
	}
}

func TestFailureLeavesTheKeyFree(t *testing.T) {
	s := idem.New()
	req := platform.PerformRequest{Action: platform.ActionKick, Key: "k", Community: "c", Member: "m"}
	boom := errors.New("boom")
	if _, err := s.Do(context.Background(), req, func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("first: %v", err)
	}
	resp, err := s.Do(context.Background(), req, func(context.Context) (string, error) { return "", nil })
	if err != nil || resp.Duplicate {
		t.Errorf("retry after a failure: %+v, %v; want it performed", resp, err)
	}
}

func TestRegistrySharesPerAccount(t *testing.T) {
	var r idem.Registry
	if r.For("a") != r.For("a") || r.For("a") == r.For("b") {
		t.Error("one store per account")
	}
}
