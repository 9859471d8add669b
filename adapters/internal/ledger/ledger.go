// Package ledger remembers which idempotency keys an adapter has
// performed, for platforms that cannot do that themselves (webhooks and
// chat robots answer every POST by posting again).
//
// A Ledger lives in memory: it makes a key's action happen at most once
// for the life of the process, across every Conn opened on it, and a
// concurrent second call with the same key waits for the first instead
// of sending twice. Across restarts the outbox's own record (an action
// is marked sent after it succeeds) is the guard, and webhook receivers
// get the key to deduplicate with.
//
// A Book is the same record for platforms that do keep the key (Slack
// message metadata, a marker in a Discourse post): the caller looks for
// it there while holding the key.
package ledger

import (
	"context"
	"fmt"
	"sync"

	"github.com/hearth-community/hearth/engine/platform"
)

// Ledger maps keys to what was done under them. The zero value is ready.
type Ledger struct {
	mu   sync.Mutex
	done map[string]entry
	busy map[string]chan struct{}
}

type entry struct {
	fingerprint string
	id          string
	held        platform.Holding // role_add only (DoHeld, Book.PutHeld)
}

// Do runs send once per key. fingerprint identifies the action (its
// kind, target and text): the same key with another fingerprint is
// platform.ErrKeyReused. A key already done answers Duplicate with the
// first call's id; a failed send is not recorded, so it may be retried.
func (l *Ledger) Do(ctx context.Context, key, fingerprint string, send func() (string, error)) (platform.PerformResponse, error) {
	return l.DoHeld(ctx, key, fingerprint, func() (string, platform.Holding, error) {
		id, err := send()
		return id, platform.HeldUnknown, err
	})
}

// DoHeld is Do for a send that also says, for a role_add, whether the
// member held the role before (PerformResponse.Held); a duplicate
// answers with what the first call said.
func (l *Ledger) DoHeld(ctx context.Context, key, fingerprint string, send func() (string, platform.Holding, error)) (platform.PerformResponse, error) {
	for {
		l.mu.Lock()
		if e, ok := l.done[key]; ok {
			l.mu.Unlock()
			if e.fingerprint != fingerprint {
				return platform.PerformResponse{}, fmt.Errorf("key %q: %w", key, platform.ErrKeyReused)
			}
			return platform.PerformResponse{ID: e.id, Duplicate: true, Held: e.held}, nil
		}
		wait, busy := l.busy[key]
		if !busy {
			if l.busy == nil {
				l.busy = map[string]chan struct{}{}
			}
			wait = make(chan struct{})
			l.busy[key] = wait
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return platform.PerformResponse{}, ctx.Err()
		}
	}
	id, held, err := send()
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.busy[key])
	delete(l.busy, key)
	if err != nil {
		return platform.PerformResponse{}, err
	}
	if l.done == nil {
		l.done = map[string]entry{}
	}
	l.done[key] = entry{fingerprint: fingerprint, id: id, held: held}
	return platform.PerformResponse{ID: id, Held: held}, nil
}

// Fingerprint is the usual fingerprint of a request: every field that
// says what the action does.
func Fingerprint(req platform.PerformRequest) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d",
		req.Action, req.Community, req.Channel, req.Member, req.Role, req.Message, req.Text, req.Reason, req.Duration)
}
