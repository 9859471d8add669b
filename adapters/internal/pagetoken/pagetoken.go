// Package pagetoken makes and reads page tokens that wrap a platform's
// position in a listing (its cursor, a page number) with the kind
// listed, so a token issued for one listing is refused by another.
package pagetoken

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hearth-community/hearth/engine/platform"
)

// Prefix starts an adapter's tokens ("slack1:"); the number lets a later
// format tell old tokens apart.
type Prefix string

// Make is the token for continuing a listing of k at at: the prefix and
// base64 of the kind, a NUL and at. It is "" when at is (no more pages).
func (p Prefix) Make(k platform.Kind, at string) string {
	if at == "" {
		return ""
	}
	return string(p) + base64.RawURLEncoding.EncodeToString([]byte(string(k)+"\x00"+at))
}

// Parse returns where tok continues a listing of k: "" for the first
// page (an empty token), ErrInvalid for a token Make did not issue for k.
func (p Prefix) Parse(k platform.Kind, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	if raw, ok := strings.CutPrefix(tok, string(p)); ok {
		if b, err := base64.RawURLEncoding.DecodeString(raw); err == nil {
			if kind, at, ok := strings.Cut(string(b), "\x00"); ok && kind == string(k) && at != "" {
				return at, nil
			}
		}
	}
	return "", fmt.Errorf("%w: page token %q was not issued for a %s listing of this platform", platform.ErrInvalid, tok, k)
}
