// Package outbox delivers the actions the runtime wrote to the outbox:
// messages, direct messages, emails, role changes, webhooks. Each action
// is sent at least once and carries its idempotency key, so a platform
// that honours keys applies it at most once. Failures are retried with
// exponential backoff and jitter for hours (a platform's outage or a
// receiver's deploy outlasts minutes), a platform's Retry-After is
// honoured, and an action that keeps failing moves to the dead letters.
// An action whose community, channel or role hearth apply has not made
// yet waits for it instead, using up none of its tries. A message to a
// member who has left the community by the time it is due is skipped,
// never sent, and so is an email to a member who has unsubscribed from
// its platform by then (Options.Recipients). A campaign's message is
// decided again when it goes out (Rules): held until the end of its
// campaign's quiet hours when it would go out inside them, and skipped
// as expired past its campaign's expire_after.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Entry is an action with its delivery state.
type Entry = state.OutboxEntry

// Statuses of an entry.
const (
	Pending = state.OutboxPending
	Sent    = state.OutboxSent
	Dead    = state.OutboxDead
	Skipped = state.OutboxSkipped
)

// Store is where the outbox lives; the state stores implement it.
type Store interface {
	DueActions(ctx context.Context, now time.Time, limit int) ([]Entry, error)
	// MarkSent, MarkDead and MarkSkipped finish an action at the time
	// given, which the entry keeps as FinishedAt.
	MarkSent(ctx context.Context, key string, attempts int, at time.Time) error
	MarkRetry(ctx context.Context, key string, attempts int, next time.Time, reason string) error
	MarkDead(ctx context.Context, key string, attempts int, at time.Time, reason string) error
	// MarkSkipped drops an action without sending it (status skipped),
	// with the reason.
	MarkSkipped(ctx context.Context, key string, attempts int, at time.Time, reason string) error
	ListOutbox(ctx context.Context, status string, limit int) ([]Entry, error)
	// RetryAction makes a dead or pending action due now and reports
	// whether there was one (a sent or skipped action is not sent
	// again); DropAction removes an action and reports whether the key
	// existed.
	RetryAction(ctx context.Context, key string, now time.Time) (bool, error)
	DropAction(ctx context.Context, key string) (bool, error)
}

// Sender performs one action on its platform, passing the idempotency
// key on where the platform accepts one.
type Sender interface {
	Send(ctx context.Context, a state.Action) error
}

// A send error may say when to try again (a 429 with Retry-After) or that
// trying again is pointless (a 4xx that is not a rate limit).
type retryAfter interface{ RetryAfter() time.Duration }
type permanent interface{ Permanent() bool }
type notReady interface{ NotReady() bool }

// A send error may say the member it was for is not on the platform, or
// not in the community (platform.ErrMemberNotFound): final for the
// platform, but a platform can show a member who just joined only after
// a while, so actions for a member get a few more tries (memberRetried).
type memberMissing interface{ MemberNotFound() bool }

// A send error may say the member will not take the message, by their
// own choice (platform.ErrMemberUnreachable: DMs closed, the bot
// blocked): the message is skipped with the reason, not a dead letter.
type memberUnreachable interface{ MemberUnreachable() bool }

// PermanentError wraps an error that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// NotReadyError says the action's target is not on the platform yet: a
// community, channel or role in the configuration that hearth apply has
// not created. Retrying soon cannot help and giving up would lose the
// message the operator meant to send, so the action waits, tried again
// every Options.Wait without using up its tries, until apply makes the
// target or an operator drops it (hearth outbox drop).
type NotReadyError struct{ Err error }

func (e *NotReadyError) Error() string  { return e.Err.Error() }
func (e *NotReadyError) Unwrap() error  { return e.Err }
func (e *NotReadyError) NotReady() bool { return true }

// SkipError says the action is not to be sent at all: the dispatcher
// marks it skipped with Reason, as it does a message to a member who
// left. PlatformSender answers it for a role.remove of a role hearth
// did not give.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return e.Reason }

// RateLimitError says to wait before the next try.
type RateLimitError struct {
	After time.Duration
	Err   error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RateLimitError) Unwrap() error             { return e.Err }
func (e *RateLimitError) RetryAfter() time.Duration { return e.After }

// DefaultMaxAttempts is how many tries an action gets. With the default
// delays (1 s doubling to an hour) the waits between them add up to
// between 2 and 4 hours: an action outlives a platform's outage or a
// webhook receiver's deploy instead of dying in the first minutes.
const DefaultMaxAttempts = 16

// DefaultMemberAttempts and DefaultMemberDelay bound the tries of an
// action whose member the platform does not have: 5 tries, the waits
// between them 1, 2, 4 and 8 minutes (each at least three quarters of
// that), so it is dead about a quarter of an hour after its first try
// instead of at once, when a join the platform had not shown yet would
// have lost a role or a welcome.
const (
	DefaultMemberAttempts = 5
	DefaultMemberDelay    = time.Minute
)

// Options tune delivery.
type Options struct {
	MaxAttempts int           // dead after this many failed tries (default 16: 2 to 4 hours with the default delays)
	BaseDelay   time.Duration // first retry delay (default 1s)
	MaxDelay    time.Duration // longest delay (default 1h)
	// MemberAttempts is how many tries an action for a member (a role
	// given or taken, a direct message) gets while its platform answers
	// that the member is not there (default 5, at most MaxAttempts);
	// MemberDelay the first wait between them, doubling (default 1m).
	MemberAttempts int
	MemberDelay    time.Duration
	Batch          int // actions per round (default 100)
	// Wait is how often an action whose target is not on the platform
	// yet is tried again (default 10s); see NotReadyError.
	Wait time.Duration
	Now  func() time.Time
	Rand *rand.Rand // jitter source; nil seeds one
	Log  *slog.Logger
	// Recipients, when set, tells for each of the members named that
	// state holds whether they have left the community and which email
	// platforms they unsubscribed from, as state has it now. An email to a
	// member who unsubscribed from its platform (or from all email) is
	// skipped, however long before the unsubscribe it was queued, unless
	// it is transactional (Action.Transactional). A message to a member
	// who left (a direct message, an email, a webhook
	// message for them) is skipped rather than sent: it was decided while
	// they were a member, and would now reach someone who left, or fail
	// on a platform that no longer knows them. A message decided while its
	// member was away (Action.ToLeft, a win-back's) goes to them, and is
	// skipped once they are back. Other actions go as usual: a role
	// removal, a ban or a channel message still makes sense after a
	// member left.
	Recipients func(ctx context.Context, members []string) (map[string]state.Recipient, error)
	// Config, when set, gives the configuration in force (it may change
	// on reload): its campaigns' quiet hours and expire_after apply to
	// their sends when they go out (Rules). nil applies none.
	Config func() *config.Config
	// Observe, when set, hears each attempt's result: sent, retry,
	// wait (the target is not there yet), held (by quiet hours at
	// delivery), dead, skipped (for the member's sake) or expired.
	Observe func(e Entry, result string)
	// Ingest, when set, takes the events the outbox learns from
	// deliveries: an email.bounced for an email the server refused for
	// good (a platform.Bounce in the error), so the member's address gets
	// no more email through that platform. hearth run submits them as
	// any event; without it they are only logged.
	Ingest func(ctx context.Context, evs []events.Event) error
	// Redact, when set, takes secrets out of a send error's text before
	// it is stored as the entry's last error or logged: platforms'
	// error pages may echo the URL or the token they were called with
	// (config.Config.Redact).
	Redact func(string) string
}

// Dispatcher delivers due actions.
type Dispatcher struct {
	store  Store
	sender Sender
	opt    Options
	// told are the reasons to wait already logged, so a hundred actions
	// waiting for one community log it once.
	told map[string]bool
	// failing keeps the warnings of first failures to one a minute per
	// platform: an outage fails every action due on it.
	failing *lograte.Limiter
	// dead keeps the warnings of dead letters to one a minute per
	// platform: a platform that refuses a batch kills it all at once.
	dead *lograte.Limiter
	// notes keeps the info lines about single messages (skipped,
	// expired, held, left alone) to one a minute per kind: a backfill
	// of old events expires thousands at once. held are the kinds with
	// lines held back, said in a summary once a round has none of
	// them (see note).
	notes *lograte.Limiter
	held  map[string]bool
	// rules are the delivery rules of rulesOf, the configuration they
	// were made from: made again when a reload gives another.
	rules   *Rules
	rulesOf *config.Config

	// mu guards sending and dropped, which Dropper reads from another
	// goroutine while a round is under way.
	mu sync.Mutex
	// sending is the key of the action being delivered now ("" between
	// actions): a drop leaves it, so its delivery is recorded.
	sending string
	// dropped are the keys dropped since this round read its due
	// actions: the round has them in its list and must not send them.
	dropped map[string]bool
}

// failWarnEvery is how often a platform's first failures are warned of.
const failWarnEvery = time.Minute

// New returns a dispatcher.
func New(store Store, sender Sender, opt Options) *Dispatcher {
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = time.Hour
	}
	if opt.MemberAttempts <= 0 {
		opt.MemberAttempts = DefaultMemberAttempts
	}
	opt.MemberAttempts = min(opt.MemberAttempts, opt.MaxAttempts)
	if opt.MemberDelay <= 0 {
		opt.MemberDelay = DefaultMemberDelay
	}
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	if opt.Wait <= 0 {
		opt.Wait = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{store: store, sender: sender, opt: opt, failing: lograte.New(failWarnEvery), dead: lograte.New(failWarnEvery),
		notes: lograte.New(failWarnEvery), held: map[string]bool{}}
}

// Report counts what one round did. Skipped counts the expired ones
// too, and Expired those alone; Held the sends quiet hours held at
// delivery.
type Report struct {
	Sent, Retried, Waiting, Held, Dead, Skipped, Expired int
	// LeftAlone counts the actions skipped with a SkipError (role
	// removals of a role hearth did not give); Skipped does not.
	LeftAlone int
}

// SkippedLeft is the reason stored with a message skipped because its
// member left the community; SkippedBack with a message for a member who
// had left (a win-back's) skipped because they came back before it was due.
// state keeps them, so member why can read them back.
const (
	SkippedLeft = state.OutboxSkippedLeft
	SkippedBack = state.OutboxSkippedBack
)

// SkippedUnsubscribed is the reason stored with an email skipped because
// its member unsubscribed from its platform ("email.news") or from all
// email ("email") before it was sent.
func SkippedUnsubscribed(from string) string {
	return state.OutboxSkippedUnsubscribed(from)
}

// SkipReason says why an action is no longer to be sent to its member at
// delivery, or "" when it is (state.Recipient.SkipReason); recipients
// maps the members stored to what state says of them at delivery. The
// dispatcher decides each due action with it, and the sandbox (hearth
// simulate, hearth test) each queued one at the time it would be
// delivered, so the two cannot disagree.
func SkipReason(a state.Action, recipients map[string]state.Recipient) string {
	rec, known := recipients[a.Member]
	return rec.SkipReason(&a, known)
}

// recipientsOf asks Options.Recipients, once per round, about the
// members the due messages are for.
func (d *Dispatcher) recipientsOf(ctx context.Context, due []Entry) (map[string]state.Recipient, error) {
	if d.opt.Recipients == nil {
		return nil, nil
	}
	var members []string
	seen := map[string]bool{}
	for _, e := range due {
		// A campaign's message to a channel is about its member too:
		// their time zone places its quiet hours.
		if (state.ToMember(e.Kind) || campaignMessage(&e.Action)) && e.Member != "" && !seen[e.Member] {
			seen[e.Member] = true
			members = append(members, e.Member)
		}
	}
	if len(members) == 0 {
		return nil, nil
	}
	return d.opt.Recipients(ctx, members)
}

// RunOnce sends what is due now, once each, and returns.
func (d *Dispatcher) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	// Drops made before this read are not in it; those made after are
	// kept in dropped until the next round.
	d.mu.Lock()
	clear(d.dropped)
	d.mu.Unlock()
	due, err := d.store.DueActions(ctx, d.opt.Now(), d.opt.Batch)
	if err != nil {
		return rep, err
	}
	recipients, err := d.recipientsOf(ctx, due)
	if err != nil {
		// Sending without knowing could message someone who left or
		// unsubscribed; the round waits for the next one instead.
		return rep, fmt.Errorf("reading which members left or unsubscribed: %w", err)
	}
	rules := d.currentRules()
	defer d.take("")
	noted := map[string]bool{} // the kinds of note this round made
	defer d.summarize(noted)
	for _, e := range due {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if !d.take(e.Key) {
			continue // dropped after this round read it
		}
		dec := rules.Decide(e.Action, recipients, d.opt.Now())
		if dec.Skip != "" {
			rep.Skipped++
			result := "skipped"
			if dec.Expired {
				rep.Expired++
				result = "expired"
			}
			d.note(noted, result, "message skipped", "reason", dec.Skip, "action", e.Kind, "key", e.Key, "member", e.Member)
			if err := d.store.MarkSkipped(ctx, e.Key, e.Attempts, d.opt.Now(), dec.Skip); err != nil {
				return rep, err
			}
			if d.opt.Observe != nil {
				d.opt.Observe(e, result)
			}
			continue
		}
		if dec.Hold != "" {
			// Due again when the quiet hours end, with its tries as
			// they were: holding it is no failure.
			rep.Held++
			d.note(noted, "held", "message held", "reason", dec.Hold, "action", e.Kind, "key", e.Key, "member", e.Member, "until", dec.Until.UTC().Format(time.RFC3339))
			if err := d.store.MarkRetry(ctx, e.Key, e.Attempts, dec.Until, dec.Hold); err != nil {
				return rep, err
			}
			if d.opt.Observe != nil {
				d.opt.Observe(e, "held")
			}
			continue
		}
		attempts := e.Attempts + 1
		sendErr := d.sender.Send(ctx, e.Action)
		now := d.opt.Now()
		result := "sent"
		// The error's text, as stored and logged, without secrets.
		reason := ""
		if sendErr != nil {
			reason = d.redact(sendErr.Error())
		}
		var skip *SkipError
		missing := isMemberMissing(sendErr) && forMember(e.Kind)
		switch {
		case sendErr == nil:
			rep.Sent++
			// A send the quiet hours held at delivery keeps the hold, so
			// its entry still tells it was held once it has gone out.
			hk, keeps := d.store.(state.SentAfterHoldMarker)
			if _, _, held := state.OutboxHeldQuiet(e.LastError); held && keeps {
				err = hk.MarkSentAfterHold(ctx, e.Key, attempts, now, e.LastError)
			} else {
				err = d.store.MarkSent(ctx, e.Key, attempts, now)
			}
		case errors.As(sendErr, &skip):
			rep.LeftAlone++
			result = "skipped"
			d.note(noted, "left_alone", "action skipped", "reason", skip.Reason, "action", e.Kind, "key", e.Key, "member", e.Member)
			err = d.store.MarkSkipped(ctx, e.Key, e.Attempts, now, skip.Reason)
		case isMemberUnreachable(sendErr):
			// The member's choice, not a failure: no dead letter to
			// retry, and nothing for an operator to fix.
			rep.Skipped++
			result = "skipped"
			reason = state.OutboxSkippedUnreachable + ": " + reason
			d.opt.Log.Info("message skipped: member unreachable", "reason", reason, "action", e.Kind, "key", e.Key, "member", e.Member)
			err = d.store.MarkSkipped(ctx, e.Key, attempts, now, reason)
		case isNotReady(sendErr):
			rep.Waiting++
			result = "wait"
			d.tellWaiting(e, reason)
			err = d.store.MarkRetry(ctx, e.Key, e.Attempts, now.Add(d.opt.Wait), reason)
		case missing && attempts < d.opt.MemberAttempts:
			// The platform may not show a member who just joined yet.
			rep.Retried++
			result = "retry"
			next := now.Add(d.memberDelay(attempts))
			if attempts == 1 {
				d.tellFailing(e, reason, next.Sub(now))
			}
			err = d.store.MarkRetry(ctx, e.Key, attempts, next, reason)
		case missing:
			rep.Dead++
			result = "dead"
			reason = memberGone(attempts, e, now, reason)
			d.tellDead(e, attempts, reason)
			err = d.store.MarkDead(ctx, e.Key, attempts, now, reason)
		case isPermanent(sendErr) || attempts >= d.opt.MaxAttempts:
			rep.Dead++
			result = "dead"
			d.tellDead(e, attempts, reason)
			err = d.store.MarkDead(ctx, e.Key, attempts, now, reason)
			if err == nil {
				d.bounced(ctx, e, sendErr, now)
			}
		default:
			rep.Retried++
			result = "retry"
			next := now.Add(d.delay(attempts, sendErr))
			if attempts == 1 {
				d.tellFailing(e, reason, next.Sub(now))
			}
			err = d.store.MarkRetry(ctx, e.Key, attempts, next, reason)
		}
		// One line per try, for an operator following deliveries at
		// -log-level debug; reason is already redacted.
		d.opt.Log.Debug("outbox delivery", "action", e.Action.Kind, "key", e.Key, "platform", e.Action.Platform,
			"status", result, "attempt", attempts, "err", reason)
		if d.opt.Observe != nil {
			d.opt.Observe(e, result)
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// currentRules are the delivery rules of the configuration in force.
func (d *Dispatcher) currentRules() *Rules {
	if d.opt.Config == nil {
		return nil
	}
	if cfg := d.opt.Config(); d.rules == nil || cfg != d.rulesOf {
		d.rules, d.rulesOf = NewRules(cfg), cfg
	}
	return d.rules
}

// take marks key as the action being delivered, unless it was dropped
// since the round read it; "" marks none.
func (d *Dispatcher) take(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if key != "" && d.dropped[key] {
		d.sending = ""
		return false
	}
	d.sending = key
	return true
}

// Drop runs drop, which removes the action key names from the store or
// finishes it (skipped), between two of this dispatcher's sends: never
// while it is delivering that action (state.ErrBeingSent: its "sent"
// record would be lost), and a round that read the action as due before
// the drop does not send it. The daemon drops through it (campaign stop,
// outbox drop) while it delivers on another goroutine.
func (d *Dispatcher) Drop(key string, drop func() (bool, error)) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if key == d.sending {
		return false, state.ErrBeingSent
	}
	ok, err := drop()
	if ok {
		if d.dropped == nil {
			d.dropped = map[string]bool{}
		}
		d.dropped[key] = true
	}
	return ok, err
}

// Dropper is st's DropPending through Drop: an action being delivered
// at that moment is left (false), as DropPending leaves one that is not
// pending.
func (d *Dispatcher) Dropper(st state.PendingDropper) state.PendingDropper {
	return dispatcherDropper{d: d, st: st}
}

type dispatcherDropper struct {
	d  *Dispatcher
	st state.PendingDropper
}

func (g dispatcherDropper) DropPending(ctx context.Context, key string, now time.Time) (bool, error) {
	ok, err := g.d.Drop(key, func() (bool, error) { return g.st.DropPending(ctx, key, now) })
	if errors.Is(err, state.ErrBeingSent) {
		return false, nil
	}
	return ok, err
}

// Skipper is st's SkipPending through Drop, as Dropper is DropPending:
// an action being delivered at that moment is left (false), and a round
// that read the action as due before the skip does not send it.
func (d *Dispatcher) Skipper(st state.PendingSkipper) state.PendingSkipper {
	return dispatcherSkipper{d: d, st: st}
}

type dispatcherSkipper struct {
	d  *Dispatcher
	st state.PendingSkipper
}

func (g dispatcherSkipper) SkipPending(ctx context.Context, key, reason string, now time.Time) (bool, error) {
	ok, err := g.d.Drop(key, func() (bool, error) { return g.st.SkipPending(ctx, key, reason, now) })
	if errors.Is(err, state.ErrBeingSent) {
		return false, nil
	}
	return ok, err
}

// Run delivers until ctx ends, polling every interval. A round that
// fails (the state store is failing) is logged when it starts to, then
// at most once a minute while rounds go on failing (with failed_rounds
// and not_logged), and its end once a round works again.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var failedRounds int
	var roundLog *lograte.Limiter
	for {
		_, err := d.RunOnce(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			if failedRounds == 0 {
				roundLog = lograte.New(failWarnEvery)
			}
			failedRounds++
			if ok, held := roundLog.Allow("round", d.opt.Now()); ok {
				args := []any{"err", err, "failed_rounds", failedRounds}
				if held > 0 {
					args = append(args, "not_logged", held)
				}
				d.opt.Log.Error("outbox round failed; tried again every round, logged at most once a minute until one works", args...)
			}
		case err == nil && failedRounds > 0:
			d.opt.Log.Info("outbox rounds work again", "failed_rounds", failedRounds)
			failedRounds = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (d *Dispatcher) redact(s string) string {
	if d.opt.Redact == nil {
		return s
	}
	return d.opt.Redact(s)
}

// note logs an info line about one message, of a kind (expired,
// skipped, held, left_alone), at most one a minute per kind; the next
// one says in not_logged how many there were in between.
func (d *Dispatcher) note(noted map[string]bool, kind, msg string, args ...any) {
	noted[kind] = true
	ok, held := d.notes.Allow(kind, d.opt.Now())
	if !ok {
		d.held[kind] = true
		return
	}
	if held > 0 {
		args = append(args, "not_logged", held)
	}
	d.opt.Log.Info(msg, args...)
}

// summarize says how many lines of a kind were held back once a round
// has none of that kind (the backfill is over), when a line of it may
// be logged again: otherwise the count would wait for the next such
// message, which may never come.
func (d *Dispatcher) summarize(noted map[string]bool) {
	for kind := range d.held {
		if noted[kind] {
			continue
		}
		held, ok := d.notes.Flush(kind, d.opt.Now())
		if !ok {
			continue
		}
		delete(d.held, kind)
		if held > 0 {
			d.opt.Log.Info("outbox messages not logged one by one", "kind", kind, "not_logged", held)
		}
	}
}

// tellFailing warns of an action's first failed try, whose retries are
// logged at debug only until it is sent or dead; at most one a minute per
// platform, with how many more first failures there were since.
func (d *Dispatcher) tellFailing(e Entry, reason string, retryIn time.Duration) {
	ok, held := d.failing.Allow(e.Platform, d.opt.Now())
	if !ok {
		return
	}
	args := []any{"action", e.Kind, "key", e.Key, "platform", e.Platform, "retry_in", retryIn.Round(time.Millisecond).String(),
		"max_attempts", d.opt.MaxAttempts, "err", reason}
	if held > 0 {
		args = append(args, "not_logged", held)
	}
	d.opt.Log.Warn("delivery failed; it is retried, logged at debug until it is sent or moved to dead letters", args...)
}

// tellDead warns that an action moved to the dead letters, once a minute
// per platform with how many more did since (hearth outbox list -status
// dead lists them all; hearth_outbox_deliveries_total counts them).
func (d *Dispatcher) tellDead(e Entry, attempts int, reason string) {
	ok, held := d.dead.Allow(e.Platform, d.opt.Now())
	if !ok {
		return
	}
	args := []any{"action", e.Kind, "key", e.Key, "platform", e.Platform, "attempts", attempts, "err", reason}
	if held > 0 {
		args = append(args, "more_dead", held)
	}
	d.opt.Log.Warn("action moved to dead letters", args...)
}

// BouncedEventID is the id of the email.bounced event for the email
// sent with the outbox key: the same for every try to ingest it. A key
// too long for an event id (a long member id in it) is hashed.
func BouncedEventID(key string) string {
	id := "email.bounced:" + key
	if len(id) > events.MaxIDLen {
		sum := sha256.Sum256([]byte(key))
		id = "email.bounced:" + hex.EncodeToString(sum[:])
	}
	return id
}

// bounced hands Options.Ingest the email.bounced event of an email
// dead-lettered on a hard bounce. It is not the round's failure when
// that fails: the dead letter is recorded, and says why.
func (d *Dispatcher) bounced(ctx context.Context, e Entry, sendErr error, now time.Time) {
	var b *platform.Bounce
	if e.Kind != "send.email" || e.Member == "" || !errors.As(sendErr, &b) {
		return
	}
	ev := events.Event{ID: BouncedEventID(e.Key), Type: "email.bounced", Member: events.Member{ID: e.Member}, At: now.UTC(), Source: "hearth",
		Attrs: map[string]any{"platform": state.SubscriptionKey(e.Platform), "code": b.Code, "reply": d.redact(b.Reply)}}
	if d.opt.Ingest == nil {
		d.opt.Log.Warn("email address bounced; nothing records it on the member", "key", e.Key, "member", e.Member, "platform", e.Platform, "code", b.Code)
		return
	}
	if err := d.opt.Ingest(ctx, []events.Event{ev}); err != nil {
		d.opt.Log.Warn("email address bounced; recording it on the member failed", "key", e.Key, "member", e.Member, "platform", e.Platform, "code", b.Code, "err", d.redact(err.Error()))
		return
	}
	d.opt.Log.Info("email address bounced; no more email but transactional goes to it through this platform", "key", e.Key, "member", e.Member, "platform", e.Platform, "code", b.Code)
}

// tellWaiting logs, once per reason, that actions wait: for their target
// to be on the platform, or for their campaign to resume.
func (d *Dispatcher) tellWaiting(e Entry, reason string) {
	if d.told[reason] {
		return
	}
	if d.told == nil || len(d.told) >= 1000 {
		d.told = map[string]bool{}
	}
	d.told[reason] = true
	d.opt.Log.Warn("actions wait, using none of their tries", "key", e.Key, "reason", reason, "retry_every", d.opt.Wait.String())
}

func isNotReady(err error) bool {
	var n notReady
	return errors.As(err, &n) && n.NotReady()
}

func isMemberUnreachable(err error) bool {
	var u memberUnreachable
	return errors.As(err, &u) && u.MemberUnreachable()
}

func isMemberMissing(err error) bool {
	var m memberMissing
	return errors.As(err, &m) && m.MemberNotFound()
}

// forMember says whether an action of kind is done to its member on the
// platform, which a platform behind on joins may not show yet: a role
// given or taken, a direct message. A moderation action on a member the
// platform does not have fails at once, as it did.
func forMember(kind string) bool {
	switch kind {
	case "role.add", "role.remove", "send.dm", "badge.revoke", "trust_level.set", "trust_level.raise", "trust_level.lock", "trust_level.unlock":
		return true
	}
	return false
}

// memberGone is the reason a dead letter for a member the platform never
// showed is stored with: said apart from other final errors, with how
// long it was tried for.
func memberGone(attempts int, e Entry, now time.Time, reason string) string {
	since := state.OutboxQueuedAt(&e)
	if since.IsZero() || since.After(now) {
		return fmt.Sprintf("member not found on the platform after %d tries: %s", attempts, reason)
	}
	return fmt.Sprintf("member not found on the platform after %d tries over %s: %s", attempts, now.Sub(since).Round(time.Second), reason)
}

// memberDelay is the wait before try number attempts+1 of an action
// whose member is missing: MemberDelay doubling, between three quarters
// of it and all of it, so the bound on how long it is tried stays known.
func (d *Dispatcher) memberDelay(attempts int) time.Duration {
	ceiling := d.opt.MemberDelay << min(attempts-1, 20)
	if ceiling <= 0 || ceiling > d.opt.MaxDelay {
		ceiling = d.opt.MaxDelay
	}
	low := ceiling * 3 / 4
	return low + time.Duration(d.opt.Rand.Int64N(int64(ceiling-low))+1)
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p) && p.Permanent()
}

// delay is the wait before try number attempts+1: the platform's
// Retry-After when it gave one, else exponential backoff with equal
// jitter: between half the ceiling and all of it, so the actions of one
// outage spread out while the time they are retried for stays known.
func (d *Dispatcher) delay(attempts int, err error) time.Duration {
	var ra retryAfter
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		return ra.RetryAfter()
	}
	ceiling := d.opt.BaseDelay << min(attempts-1, 30)
	if ceiling <= 0 || ceiling > d.opt.MaxDelay {
		ceiling = d.opt.MaxDelay
	}
	half := ceiling / 2
	return half + time.Duration(d.opt.Rand.Int64N(int64(ceiling-half))+1)
}
