package simulate

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// delivery stands in for the daemon's outbox in the sandbox. Each action
// the rules queue is decided as the outbox decides it (outbox.Rules), by
// what state says of its member at the time it would be delivered: the
// time it was queued (quiet hours and frequency caps hold a send back by
// queueing it later), or, for one queued at a time the sandbox had
// passed already (a late event's, Options.Received), the time the
// sandbox stood at; in either case after every event of that time. An
// outbox delivers a moment after the queueing, so an unsubscribe or a
// leave at the same instant wins, and one after it does not. A campaign's
// send delivered late may meet its quiet hours, and wait for their end,
// or its expire_after, and be skipped as expired.
type delivery struct {
	store *state.Memory
	rules *outbox.Rules
	done  int // the actions of store.Outbox() taken into waiting (the sandbox prunes none)
	// history is what the outbox would read of a member from each time
	// on, oldest first, for members whose Left, Unsubscribed or
	// Timezone changed (the others stay as new: neither left nor
	// unsubscribed, and in no zone of their own).
	history map[string][]recipientAt
	// queued are the actions queued and not decided yet, by key.
	queued map[string]*queued
	// waiting are the actions taken from the store's outbox and not
	// decided yet, in the order they were queued: those whose time has
	// not come, held by quiet hours until after the time decided up to.
	waiting []state.Action
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
	// taken marks an action in waiting: one queued twice under one key
	// is one entry, decided once.
	taken bool
	// held marks one quiet hours held at delivery, counted once.
	held bool
	// warm marks one queued in the warm-up before the window: delivered
	// as any other, but counted nowhere.
	warm bool
}

func newDelivery(store *state.Memory, cfg *config.Config) *delivery {
	return &delivery{store: store, rules: outbox.NewRules(cfg), history: map[string][]recipientAt{}, queued: map[string]*queued{}}
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
	rec := state.Recipient{Left: m.Left, Unsubscribed: m.Unsubscribed, Bounced: m.Bounced, Timezone: m.Timezone}
	h := d.history[member]
	if len(h) == 0 {
		if sameRecipient(state.Recipient{}, rec) {
			return nil
		}
	} else if sameRecipient(h[len(h)-1].rec, rec) {
		return nil
	}
	rec.Unsubscribed = maps.Clone(m.Unsubscribed)
	rec.Bounced = maps.Clone(m.Bounced)
	if len(h) > 0 && h[len(h)-1].at.Equal(at) {
		h[len(h)-1].rec = rec // the latest event of the instant is what the outbox reads
	} else {
		h = append(h, recipientAt{at, rec})
	}
	d.history[member] = h
	return nil
}

func sameRecipient(a, b state.Recipient) bool {
	return a.Left == b.Left && a.Timezone == b.Timezone && maps.Equal(a.Unsubscribed, b.Unsubscribed) && maps.Equal(a.Bounced, b.Bounced)
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

// deliveryHooks hear what the sandbox's outbox decides: skip of each
// action skipped (expired for expire_after), hold of each held by quiet
// hours until a later time, every time it is, and sent of each sent.
type deliveryHooks struct {
	skip func(q *queued, a state.Action, reason string, expired bool) error
	hold func(q *queued, a state.Action, reason string, until time.Time) error
	sent func(q *queued, a state.Action)
}

// expiresAt reports whether the outbox would skip a as expired were it
// to deliver it at at: the sandbox delivered it at its time, but a replay
// of the same events into the state leaves it for hearth run, which
// delivers it at the wall clock.
func (d *delivery) expiresAt(a state.Action, at time.Time) bool {
	return d.rules.Decide(a, d.recipients(a, at), at).Expired
}

// pending calls f with each action still waiting at the end (held by
// quiet hours past it): an outbox would deliver it later.
func (d *delivery) pending(f func(q *queued, a state.Action)) {
	for _, a := range d.waiting {
		if q := d.queued[a.Key]; q != nil {
			f(q, a)
		}
	}
}

// deliver decides the actions committed since the last call and those
// still waiting, each whose time is at or before until (all events up to
// it are applied), as often as quiet hours hold it until a time that is
// too. It marks each sent or skipped in the store, as the outbox does,
// and a held one pending with its reason and next time.
func (d *delivery) deliver(ctx context.Context, until time.Time, h deliveryHooks) error {
	actions := d.store.Outbox()
	for _, a := range actions[d.done:] {
		if q := d.queued[a.Key]; q != nil && !q.taken {
			q.taken = true
			d.waiting = append(d.waiting, a)
		}
	}
	d.done = len(actions)
	kept := d.waiting[:0]
	for _, a := range d.waiting {
		decided, err := d.decide(ctx, a, until, h)
		if err != nil {
			return err
		}
		if !decided {
			kept = append(kept, a)
		}
	}
	clear(d.waiting[len(kept):])
	d.waiting = kept
	return nil
}

// decide decides a at its delivery time, again at the end of each quiet
// hours that hold it, while that time is not after until; it reports
// whether a was sent or skipped.
func (d *delivery) decide(ctx context.Context, a state.Action, until time.Time, h deliveryHooks) (bool, error) {
	q := d.queued[a.Key]
	held := "" // the latest hold, kept by the entry sent after it
	for !q.at.After(until) {
		dec := d.rules.Decide(a, d.recipients(a, q.at), q.at)
		switch {
		case dec.Skip != "":
			delete(d.queued, a.Key)
			if err := d.store.MarkSkipped(ctx, a.Key, 0, q.at, dec.Skip); err != nil {
				return false, err
			}
			return true, h.skip(q, a, dec.Skip, dec.Expired)
		case dec.Hold != "":
			if err := d.store.MarkRetry(ctx, a.Key, 0, dec.Until, dec.Hold); err != nil {
				return false, err
			}
			if err := h.hold(q, a, dec.Hold, dec.Until); err != nil {
				return false, err
			}
			q.at, held = dec.Until, dec.Hold
		default:
			delete(d.queued, a.Key)
			if h.sent != nil {
				h.sent(q, a)
			}
			// As the outbox does: a send held at delivery keeps the hold.
			if _, _, quiet := state.OutboxHeldQuiet(held); quiet {
				return true, d.store.MarkSentAfterHold(ctx, a.Key, 1, q.at, held)
			}
			return true, d.store.MarkSent(ctx, a.Key, 1, q.at)
		}
	}
	return false, nil
}
