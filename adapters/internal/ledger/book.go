package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/hearth-community/hearth/engine/platform"
)

// Book is the in-process record for adapters that also keep a key on
// the platform (in a message's metadata, in a post) and look for it
// there before sending: unlike Ledger.Do, the caller holds the key with
// Lock across its own lookup and the send. The zero value is ready.
type Book struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
	done  map[string]entry
}

// Lock serialises the calls with one key; it returns the unlock.
func (b *Book) Lock(key string) func() {
	b.mu.Lock()
	if b.locks == nil {
		b.locks = map[string]*sync.Mutex{}
	}
	l := b.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		b.locks[key] = l
	}
	b.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Done reports whether key was done in this process: a Duplicate answer
// with the first call's id, or platform.ErrKeyReused when it was done
// with another fingerprint.
func (b *Book) Done(key, fingerprint string) (platform.PerformResponse, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.done[key]
	if !ok {
		return platform.PerformResponse{}, false, nil
	}
	if e.fingerprint != fingerprint {
		return platform.PerformResponse{}, true, fmt.Errorf("key %q: %w", key, platform.ErrKeyReused)
	}
	return platform.PerformResponse{ID: e.id, Duplicate: true, Held: e.held}, true, nil
}

// Put records that key was done, with the id of what it made.
func (b *Book) Put(key, fingerprint, id string) {
	b.PutHeld(key, fingerprint, id, platform.HeldUnknown)
}

// PutHeld is Put for a role_add, with whether the member held the role
// before, which a duplicate answers with too.
func (b *Book) PutHeld(key, fingerprint, id string, held platform.Holding) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done == nil {
		b.done = map[string]entry{}
	}
	b.done[key] = entry{fingerprint: fingerprint, id: id, held: held}
}

// Digest is a short fingerprint of what a request does, for platforms
// where it is stored next to the key: a fixed length that gives nothing
// of the text away.
func Digest(req platform.PerformRequest) string {
	h := sha256.New()
	for _, s := range []string{string(req.Action), req.Community, req.Channel, req.Member, req.Role, req.Message, req.Text, req.Duration.String()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
