// Package idem remembers which actions an adapter performed per
// idempotency key, for platforms whose APIs take no key of their own (or
// one that only lasts minutes): within a process, a key is performed at
// most once, concurrent calls with one key wait for the first, and a key
// reused for a different action is told apart.
package idem

import (
	"context"
	"fmt"
	"sync"

	"github.com/hearth-community/hearth/engine/platform"
)

// Store holds the keys of one platform account. It is safe for
// concurrent use.
type Store struct {
	mu   sync.Mutex
	done map[string]Record
	busy map[string]chan struct{}
}

// Record is a performed action: what it was and the id it made.
type Record struct {
	Fingerprint string
	ID          string
}

// New returns an empty store.
func New() *Store {
	return &Store{done: map[string]Record{}, busy: map[string]chan struct{}{}}
}

// Fingerprint is what makes two requests the same action.
func Fingerprint(req platform.PerformRequest) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d", req.Action, req.Community, req.Channel,
		req.Member, req.Role, req.Message, req.Text, req.Reason, req.Duration)
}

// Do performs req with do unless its key was performed: then it answers
// Duplicate with the first result, or ErrKeyReused when the key was used
// for another action. A failed do leaves the key free for a retry.
func (s *Store) Do(ctx context.Context, req platform.PerformRequest, do func(context.Context) (string, error)) (platform.PerformResponse, error) {
	fp := Fingerprint(req)
	for {
		s.mu.Lock()
		if r, ok := s.done[req.Key]; ok {
			s.mu.Unlock()
			if r.Fingerprint != fp {
				return platform.PerformResponse{}, fmt.Errorf("key %q: %w", req.Key, platform.ErrKeyReused)
			}
			return platform.PerformResponse{ID: r.ID, Duplicate: true}, nil
		}
		wait, busy := s.busy[req.Key]
		if !busy {
			s.busy[req.Key] = make(chan struct{})
			s.mu.Unlock()
			break
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return platform.PerformResponse{}, ctx.Err()
		}
	}
	id, err := do(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.done[req.Key] = Record{Fingerprint: fp, ID: id}
	}
	close(s.busy[req.Key])
	delete(s.busy, req.Key)
	if err != nil {
		return platform.PerformResponse{}, err
	}
	return platform.PerformResponse{ID: id}, nil
}

// Registry hands out one Store per account, so every Conn an adapter
// opens to one account shares its keys.
type Registry struct {
	mu     sync.Mutex
	stores map[string]*Store
}

// For returns the store of an account (any string naming it).
func (r *Registry) For(account string) *Store {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stores == nil {
		r.stores = map[string]*Store{}
	}
	s := r.stores[account]
	if s == nil {
		s = New()
		r.stores[account] = s
	}
	return s
}
