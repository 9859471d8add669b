package ledger

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestDo(t *testing.T) {
	var l Ledger
	ctx := context.Background()
	calls := 0
	send := func() (string, error) { calls++; return "m1", nil }
	if r, err := l.Do(ctx, "k", "a", send); err != nil || r.ID != "m1" || r.Duplicate {
		t.Fatalf("first: %+v %v", r, err)
	}
	if r, err := l.Do(ctx, "k", "a", send); err != nil || r.ID != "m1" || !r.Duplicate {
		t.Errorf("repeat: %+v %v", r, err)
	}
	if _, err := l.Do(ctx, "k", "b", send); !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("other action: %v", err)
	}
	if calls != 1 {
		t.Errorf("sent %d times", calls)
	}
	// A failure is not remembered: the retry sends.
	boom := errors.New("boom")
	if _, err := l.Do(ctx, "f", "a", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("failure: %v", err)
	}
	if r, err := l.Do(ctx, "f", "a", send); err != nil || r.Duplicate {
		t.Errorf("retry after failure: %+v %v", r, err)
	}
}

func TestDoConcurrent(t *testing.T) {
	var l Ledger
	var sends, fresh atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r, err := l.Do(context.Background(), "k", "a", func() (string, error) {
				sends.Add(1)
				<-release
				return "id", nil
			})
			if err != nil || r.ID != "id" {
				t.Errorf("caller %d: %+v %v", i, r, err)
			}
			if !r.Duplicate {
				fresh.Add(1)
			}
		})
	}
	close(release)
	wg.Wait()
	if sends.Load() != 1 || fresh.Load() != 1 {
		t.Errorf("%d sends, %d fresh answers; want 1 and 1", sends.Load(), fresh.Load())
	}
}

func TestDoWaitingCallerCancelled(t *testing.T) {
	var l Ledger
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = l.Do(context.Background(), "k", "a", func() (string, error) { close(started); <-release; return "", nil })
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Do(ctx, "k", "a", func() (string, error) { t.Error("sent twice"); return "", nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: %v", err)
	}
	close(release)
	<-done
}

func TestFingerprint(t *testing.T) {
	a := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: "c", Channel: "x", Text: "hi"}
	b := a
	b.Key = "k2"
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("the key must not be part of the fingerprint")
	}
	b.Text = "hi!"
	if Fingerprint(a) == Fingerprint(b) {
		t.Error("the text must be part of the fingerprint")
	}
}
