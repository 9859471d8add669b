package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The signing scheme, the same both ways:
//
//	X-Hearth-Timestamp: UNIX-SECONDS
//	X-Hearth-Signature: v1=HEX
//
// where HEX is the lowercase hex of HMAC-SHA256(secret, UNIX-SECONDS + "." + BODY)
// over the raw body bytes. A receiver recomputes it, compares in constant
// time, and refuses timestamps further than its replay window from its
// clock. The header may hold several comma-separated v1= values (a sender
// rotating its secret signs with both); one match is enough. Other
// versions are ignored, so a later scheme can be added beside v1.
const (
	HeaderTimestamp   = "X-Hearth-Timestamp"
	HeaderSignature   = "X-Hearth-Signature"
	HeaderIdempotency = "Idempotency-Key"
	HeaderAction      = "X-Hearth-Action"
)

// DefaultReplayWindow is how far a timestamp may be from the clock.
const DefaultReplayWindow = 5 * time.Minute

// Sign returns the X-Hearth-Signature value for body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// VerifyError is a refused inbound request; Status is the HTTP answer.
type VerifyError struct {
	Status int
	Msg    string
}

func (e *VerifyError) Error() string   { return e.Msg }
func (e *VerifyError) HTTPStatus() int { return e.Status }

// ErrReplayed is a request whose signature was already accepted.
var ErrReplayed = &VerifyError{Status: http.StatusConflict, Msg: "this signed request was already accepted (replay); sign the event again to resend it"}

func refuse(format string, args ...any) error {
	return &VerifyError{Status: http.StatusUnauthorized, Msg: fmt.Sprintf(format, args...)}
}

// Verifier checks inbound requests: the signature, the replay window,
// and that no accepted signature is accepted twice. It is safe for
// concurrent use.
type Verifier struct {
	Secret []byte
	Window time.Duration

	mu   sync.Mutex
	seen map[string]time.Time // accepted signature -> when it leaves the window
}

// Check verifies a request without recording it. The returned key names
// the request for Accept.
func (v *Verifier) Check(h http.Header, body []byte, now time.Time) (string, error) {
	if len(v.Secret) == 0 {
		return "", refuse("this endpoint has no secret to verify with")
	}
	tsText := strings.TrimSpace(h.Get(HeaderTimestamp))
	if tsText == "" {
		return "", refuse("missing %s header", HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts <= 0 {
		return "", refuse("%s must be a positive number of seconds since 1970", HeaderTimestamp)
	}
	window := v.Window
	if window <= 0 {
		window = DefaultReplayWindow
	}
	// Compare in seconds so absurd timestamps cannot overflow a Duration.
	if d := now.Unix() - ts; d > int64(window/time.Second) || -d > int64(window/time.Second) {
		return "", refuse("timestamp is more than %s from the receiver's clock (replay window); check the sender's clock", window)
	}
	sigs := h.Values(HeaderSignature)
	if len(sigs) == 0 {
		return "", refuse("missing %s header", HeaderSignature)
	}
	want := mac(v.Secret, ts, body)
	for _, line := range sigs {
		for part := range strings.SplitSeq(line, ",") {
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
			if !ok {
				continue
			}
			got, err := hex.DecodeString(hexSig)
			if err != nil || len(got) != sha256.Size {
				continue
			}
			if hmac.Equal(got, want) {
				key := tsText + ":" + hex.EncodeToString(want)
				v.mu.Lock()
				_, dup := v.seen[key]
				v.mu.Unlock()
				if dup {
					return "", ErrReplayed
				}
				return key, nil
			}
		}
	}
	return "", refuse("signature does not match (%s over timestamp + \".\" + body with the shared secret)", HeaderSignature)
}

// Accept records a checked request once what it carried is committed,
// so the same signed request is refused from now until it leaves the
// window. It reports false when another copy was accepted first.
func (v *Verifier) Accept(key string, now time.Time) bool {
	window := v.Window
	if window <= 0 {
		window = DefaultReplayWindow
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, until := range v.seen {
		if now.After(until) {
			delete(v.seen, k)
		}
	}
	if _, dup := v.seen[key]; dup {
		return false
	}
	if v.seen == nil {
		v.seen = map[string]time.Time{}
	}
	// Twice the window: the timestamp may be up to one window ahead.
	v.seen[key] = now.Add(2 * window)
	return true
}

// errNoSecret is Open's answer for a block without a secret.
var errNoSecret = errors.New("setting secret is empty")
