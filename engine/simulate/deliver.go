package simulate

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// delivery stands in for the daemon's outbox in the sandbox. Each action
// the rules queue is decided as the outbox decides it (outbox.SkipReason),
// by what state says of its member at the time it would be delivered:
// the time it was queued (quiet hours and frequency caps hold a send back
// by queueing it later), after every event of that time. An outbox
// delivers a moment after the queueing, so an unsubscribe or a leave at
// the same instant wins, and one after it does not.
type delivery struct {
	store *state.Memory
	done  int // the actions of store.Outbox() decided (the sandbox prunes none)
	// history is what the outbox would read of a member from each time
	// on, oldest first, for members whose Left or Unsubscribed changed
	// (the others stay as new: neither left nor unsubscribed).
	history map[string][]recipientAt
	// queued are the actions queued and not decided yet, by key.
	queued map[string]*queued
}

type recipientAt struct {
	at  time.Time
	rec state.Recipient
}

// queued is a queued action as the summary counted it, to take back if
// the outbox skips it.
type queued struct {
	o  state.Outcome // the queue outcome
	at time.Time     // when it is delivered
	// funnel is the campaign's; arm the variant's when the run had one,
	// else run holds the sends of the run before its split.
	funnel, arm *Funnel
	run         *armRun
}

func newDelivery(store *state.Memory) *delivery {
	return &delivery{store: store, history: map[string][]recipientAt{}, queued: map[string]*queued{}}
}

// observe records what the outbox would read of member from at on, when
// it changed: called after each event, with the time the sandbox stands at.
func (d *delivery) observe(b state.Batch, member string, at time.Time) error {
	m, err := b.Member(member)
	if errors.Is(err, state.ErrNotFound) {
		return nil // the event made no member
	}
	if err != nil {
		return err
	}
	h := d.history[member]
	if len(h) == 0 {
		if !m.Left && len(m.Unsubscribed) == 0 {
			return nil
		}
	} else if last := h[len(h)-1].rec; last.Left == m.Left && maps.Equal(last.Unsubscribed, m.Unsubscribed) {
		return nil
	}
	rec := state.Recipient{Left: m.Left, Unsubscribed: maps.Clone(m.Unsubscribed)}
	if len(h) > 0 && h[len(h)-1].at.Equal(at) {
		h[len(h)-1].rec = rec // the latest event of the instant is what the outbox reads
	} else {
		h = append(h, recipientAt{at, rec})
	}
	d.history[member] = h
	return nil
}

// recipients is what the outbox would read of the action's member when it
// delivers it at at.
func (d *delivery) recipients(a state.Action, at time.Time) map[string]state.Recipient {
	if a.Member == "" {
		return nil
	}
	rec := state.Recipient{}
	for _, r := range d.history[a.Member] {
		if r.at.After(at) {
			break
		}
		rec = r.rec
	}
	// The member is stored: their action was decided on them.
	return map[string]state.Recipient{a.Member: rec}
}

// deliver decides the actions committed since the last call, every one of
// whose time has passed: all events up to it are applied. It marks each
// sent or skipped in the store, as the outbox does, and calls skip for
// each skipped one.
func (d *delivery) deliver(ctx context.Context, skip func(q *queued, a state.Action, reason string) error) error {
	actions := d.store.Outbox()
	for _, a := range actions[d.done:] {
		q := d.queued[a.Key]
		if q == nil {
			continue // queued twice under one key: one entry, decided once
		}
		delete(d.queued, a.Key)
		if reason := outbox.SkipReason(a, d.recipients(a, q.at)); reason != "" {
			if err := d.store.MarkSkipped(ctx, a.Key, 0, q.at, reason); err != nil {
				return err
			}
			if err := skip(q, a, reason); err != nil {
				return err
			}
			continue
		}
		if err := d.store.MarkSent(ctx, a.Key, 1, q.at); err != nil {
			return err
		}
	}
	d.done = len(actions)
	return nil
}
