package email

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"ann@example.org":   "***@example.org",
		"a.b+c@mail.test":   "***@mail.test",
		"no address":        "***",
		"odd@one@host.test": "***@host.test",
	} {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q; want %q", in, got, want)
		}
	}
}

// A server's reply that quotes the recipient, in any case, loses the
// address's local part, and the error keeps its class and what it wraps.
func TestErrorsLoseTheRecipientAddress(t *testing.T) {
	reply := errors.New("550 5.1.1 <Ann@Example.org>: Recipient address rejected; again: ann@example.org")
	err := withoutAddress(platform.Permanent(fmt.Errorf("%w: the server refused the recipient: %w", platform.ErrNotFound, reply)), "ann@example.org")
	if strings.Contains(strings.ToLower(err.Error()), "ann@") {
		t.Errorf("the address is still in %q", err)
	}
	if n := strings.Count(err.Error(), "***@example.org"); n != 2 {
		t.Errorf("%q masks the address %d times; want 2", err, n)
	}
	if !platform.IsPermanent(err) || !errors.Is(err, platform.ErrNotFound) || !errors.Is(err, reply) {
		t.Errorf("masking lost what the error is: %v", err)
	}
	plain := errors.New("dial tcp 127.0.0.1:1: connection refused")
	if got := withoutAddress(plain, "ann@example.org"); got != plain {
		t.Errorf("an error without the address was changed: %v", got)
	}
}
