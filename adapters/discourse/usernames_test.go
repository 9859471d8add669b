package discourse

import (
	"testing"
	"time"
)

// The cache keeps a name usernamesFor, holds at most usernamesMax, and
// dropping for room takes the expired ones first.
func TestUsernamesBoundedAndExpiring(t *testing.T) {
	var u usernames
	t0 := time.Unix(1_700_000_000, 0)
	u.put("f", 1, "ann", t0)
	if name, ok := u.get("f", 1, t0.Add(usernamesFor-time.Second)); !ok || name != "ann" {
		t.Errorf("fresh: %q %v", name, ok)
	}
	if _, ok := u.get("f", 1, t0.Add(usernamesFor)); ok {
		t.Error("kept past usernamesFor")
	}
	if _, ok := u.get("other", 1, t0); ok {
		t.Error("another forum's user 1 got ann's name")
	}
	for i := 2; i <= usernamesMax+500; i++ {
		u.put("f", i, "u", t0)
	}
	if n := u.len(); n != usernamesMax {
		t.Errorf("%d kept; want at most %d", n, usernamesMax)
	}
	// All expired: one put later makes room by dropping them.
	later := t0.Add(usernamesFor)
	u.put("f", 0, "new", later)
	if n := u.len(); n != 1 {
		t.Errorf("%d kept after the expired were dropped; want 1", n)
	}
	if name, ok := u.get("f", 0, later); !ok || name != "new" {
		t.Errorf("new entry: %q %v", name, ok)
	}
}
