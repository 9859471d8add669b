package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// dropWhileSending drops keys, through the dispatcher's Dropper, while
// the dispatcher is sending the first action of its round.
type dropWhileSending struct {
	drop   state.PendingDropper
	keys   []string
	sent   []string
	result map[string]bool
	t      *testing.T
}

func (p *dropWhileSending) Send(ctx context.Context, a state.Action) error {
	if len(p.sent) == 0 {
		// Another goroutine, as the daemon's processor drops.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, k := range p.keys {
				ok, err := p.drop.DropPending(ctx, k, time.Now())
				if err != nil {
					p.t.Error(err)
				}
				p.result[k] = ok
			}
		}()
		<-done
	}
	p.sent = append(p.sent, a.Key)
	return nil
}

// A drop during a round leaves the action being sent, which is recorded
// as sent, and keeps the round from sending one it read before the drop.
func TestDropDuringDeliveryKeepsTheSendGoingOut(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open()
			t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			enqueue(t, s, 3, t0) // k000, k001, k002, sent in key order
			p := &dropWhileSending{keys: []string{"k000", "k001"}, result: map[string]bool{}, t: t}
			d := outbox.New(s, p, outbox.Options{Now: func() time.Time { return t0 }})
			p.drop = d.Dropper(s.(state.PendingDropper))
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p.result["k000"] || !p.result["k001"] {
				t.Fatalf("drops: k000 (going out) %v, k001 (not yet) %v; want false, true", p.result["k000"], p.result["k001"])
			}
			if got := len(p.sent); got != 2 || p.sent[0] != "k000" || p.sent[1] != "k002" {
				t.Fatalf("sent %v, want [k000 k002]", p.sent)
			}
			if rep.Sent != 2 {
				t.Errorf("report says %d sent, want 2", rep.Sent)
			}
			sent, err := s.ListOutbox(ctx, state.OutboxSent, 10)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range sent {
				keys = append(keys, e.Key)
			}
			if len(keys) != 2 || keys[0] != "k000" || keys[1] != "k002" {
				t.Errorf("recorded as sent: %v, want [k000 k002]", keys)
			}
			// The next round starts afresh: nothing left to send.
			if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 0 {
				t.Errorf("second round: %+v, %v", rep, err)
			}
		})
	}
}
