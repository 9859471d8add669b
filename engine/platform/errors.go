package platform

import (
	"errors"
	"fmt"
	"time"
)

// Errors are classified by behaviour, not by type: an error in the chain
// with a method Permanent() bool or Temporary() bool says what it is, and
// one with RetryAfter() time.Duration says how long to wait. The types
// and sentinels below have those methods, so code that knows nothing of
// this package — engine/outbox tests for the same methods — classifies
// platform errors correctly, and this package classifies theirs.
type (
	permanent  interface{ Permanent() bool }
	temporary  interface{ Temporary() bool }
	retryAfter interface{ RetryAfter() time.Duration }
)

// sentinel is a permanent error compared by identity with errors.Is.
type sentinel struct{ msg string }

func (e *sentinel) Error() string   { return e.msg }
func (e *sentinel) Permanent() bool { return true }

// Sentinel errors; adapters wrap them (fmt.Errorf("...: %w", ErrNotFound))
// so callers test with errors.Is. All of them are permanent failures.
var (
	// ErrNotFound: the object, community, member or ban does not exist.
	ErrNotFound error = &sentinel{"not found"}
	// ErrUnsupported: the platform cannot do this (a capability, a kind
	// or an action it does not have).
	ErrUnsupported error = &sentinel{"not supported by this platform"}
	// ErrInvalid: the request is malformed or breaks a platform rule
	// (an unknown attribute, text too long, a bad page token).
	ErrInvalid error = &sentinel{"invalid request"}
	// ErrConflict: the request clashes with what exists (a name that
	// must be unique, a full pin list, a muted member posting).
	ErrConflict error = &sentinel{"conflict"}
	// ErrKeyReused: an idempotency key already used for another action.
	ErrKeyReused error = &sentinel{"idempotency key reused for a different action"}
	// ErrMemberNotFound: the member an action is for is not on the
	// platform, or not in the community. It is ErrNotFound too
	// (errors.Is), and permanent to Classify, but it says
	// MemberNotFound(): a platform may not show a member who just joined
	// for a while, so the outbox tries an action for them (a role, a
	// direct message) a few more times before giving up on it.
	ErrMemberNotFound error = &memberNotFound{sentinel{"not found"}}
	// ErrMemberUnreachable: the member is there but will not take a
	// direct message from hearth: they closed their DMs to the server's
	// members (Discord 50007), or blocked the bot (Telegram). Nothing
	// hearth can do changes it, and it is not hearth's failure: the
	// outbox skips such a message with the reason, as it does one to a
	// member who left, instead of filling the dead letters.
	ErrMemberUnreachable error = &memberUnreachable{sentinel{"member unreachable"}}
)

// memberUnreachable is the sentinel of ErrMemberUnreachable.
type memberUnreachable struct{ sentinel }

// MemberUnreachable says the member cannot be sent this message.
func (e *memberUnreachable) MemberUnreachable() bool { return true }

// memberNotFound is the sentinel of ErrMemberNotFound.
type memberNotFound struct{ sentinel }

// Is makes ErrMemberNotFound an ErrNotFound, for callers that ask only
// whether something is missing.
func (e *memberNotFound) Is(target error) bool { return target == ErrNotFound }

// MemberNotFound says the missing object is a member, which may appear.
func (e *memberNotFound) MemberNotFound() bool { return true }

// ExistsError is a create refused because the platform has an object of
// that name already (ErrConflict in Err), with its id, so an import
// block can adopt it.
type ExistsError struct {
	ID  string
	Err error
}

func (e *ExistsError) Error() string   { return e.Err.Error() }
func (e *ExistsError) Unwrap() error   { return e.Err }
func (e *ExistsError) Permanent() bool { return true }

// Exists wraps a create's name conflict with the id of the object that
// has the name.
func Exists(err error, id string) error { return &ExistsError{ID: id, Err: err} }

// ExistingID is the id of the object a create's name conflict is with,
// when the adapter could tell (Exists); "" otherwise.
func ExistingID(err error) string {
	var e *ExistsError
	if errors.As(err, &e) {
		return e.ID
	}
	return ""
}

// RateLimitError is a platform refusing a call for now (HTTP 429). It is
// temporary: call again, with the same idempotency key, after After.
type RateLimitError struct {
	After time.Duration
	// Global says the limit holds for every call, not just this route.
	Global bool
	Err    error // the platform's message, if any
}

func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("rate limited; retry after %s", e.After)
	if e.Global {
		msg = "globally " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfter is the wait the platform asked for.
func (e *RateLimitError) RetryAfter() time.Duration { return e.After }

// Temporary is true: a rate limit passes.
func (e *RateLimitError) Temporary() bool { return true }

// TemporaryError marks a failure worth retrying: a 5xx, a timeout, a
// gateway reconnect. After is a hint; zero leaves the delay to the
// caller's backoff.
type TemporaryError struct {
	After time.Duration
	Err   error
}

func (e *TemporaryError) Error() string {
	if e.Err == nil {
		return "temporary failure"
	}
	return e.Err.Error()
}

func (e *TemporaryError) Unwrap() error             { return e.Err }
func (e *TemporaryError) RetryAfter() time.Duration { return e.After }
func (e *TemporaryError) Temporary() bool           { return true }

// PermanentError marks a failure that will happen again however often it
// is retried (a 4xx such as "missing permissions").
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return e.Err.Error()
}

func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Temporary wraps err as a TemporaryError; nil stays nil.
func Temporary(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	return &TemporaryError{After: retryAfter, Err: err}
}

// Permanent wraps err as a PermanentError; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// Class is how a failure should be handled.
type Class int

const (
	// ClassNone is no failure.
	ClassNone Class = iota
	// ClassTemporary may succeed later: retry with the same key.
	ClassTemporary
	// ClassPermanent will fail again: give up and report it.
	ClassPermanent
)

func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassTemporary:
		return "temporary"
	case ClassPermanent:
		return "permanent"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Classify tells temporary from permanent failures and returns how long
// the platform asked to wait (zero when it said nothing).
//
// The outermost error in the chain that says Permanent() or Temporary()
// decides, so an adapter can mark a not-found it knows to be eventual
// consistency as Temporary(ErrNotFound). An error nothing marks — a
// network error, a timeout, cancellation, an error an adapter did not
// classify — is temporary: the outbox retries with backoff and a bounded
// number of attempts, which is safe because every action carries an
// idempotency key, while giving up on a network blip would lose the
// action.
func Classify(err error) (Class, time.Duration) {
	if err == nil {
		return ClassNone, 0
	}
	var wait time.Duration
	var ra retryAfter
	if errors.As(err, &ra) {
		wait = max(ra.RetryAfter(), 0)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if p, ok := e.(permanent); ok && p.Permanent() {
			return ClassPermanent, 0
		}
		if t, ok := e.(temporary); ok && t.Temporary() {
			return ClassTemporary, wait
		}
	}
	// errors.As also looks inside errors.Join, which the walk above does
	// not enter.
	var p permanent
	if errors.As(err, &p) && p.Permanent() {
		return ClassPermanent, 0
	}
	return ClassTemporary, wait
}

// IsTemporary reports whether err may succeed when retried.
func IsTemporary(err error) bool {
	c, _ := Classify(err)
	return c == ClassTemporary
}

// IsPermanent reports whether err will happen again when retried.
func IsPermanent(err error) bool {
	c, _ := Classify(err)
	return c == ClassPermanent
}

// RetryAfter is the wait the platform asked for, zero if none or if the
// failure is permanent.
func RetryAfter(err error) time.Duration {
	_, d := Classify(err)
	return d
}

// Bounce is a hard bounce a Mailer reports in its error's chain: the
// server refused the recipient's address for good (SMTP 5.1.x, no such
// mailbox). The outbox records it on the member as the standard event
// email.bounced, so the address gets no more email but transactional
// email through that platform.
type Bounce struct {
	Code  string // the reply code and enhanced status, "550 5.1.1"
	Reply string // the server's reply, the address masked
}

func (b *Bounce) Error() string   { return "hard bounce: " + b.Reply }
func (b *Bounce) Permanent() bool { return true }
