package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestBook(t *testing.T) {
	var b Book
	unlock := b.Lock("k")
	if _, done, err := b.Done("k", "a"); done || err != nil {
		t.Fatalf("new key: done %v, %v", done, err)
	}
	b.Put("k", "a", "m1")
	unlock()
	defer b.Lock("k")()
	if r, done, err := b.Done("k", "a"); !done || err != nil || r.ID != "m1" || !r.Duplicate {
		t.Errorf("same action: %+v, done %v, %v", r, done, err)
	}
	if _, done, err := b.Done("k", "b"); !done || !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("other action: done %v, %v", done, err)
	}
}

// The digest is stored on the platform next to the key, where a later
// release must still recognise it: it must not change.
func TestDigest(t *testing.T) {
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: "c", Channel: "x", Text: "hi", Duration: time.Minute}
	if got, want := Digest(req), "c72a40812fe50875f797f72d2cd27254"; got != want {
		t.Errorf("Digest = %s; want %s", got, want)
	}
}
