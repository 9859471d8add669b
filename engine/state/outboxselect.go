package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OutboxFilter selects outbox entries, for hearth outbox list and the
// bulk form of hearth outbox retry. Every field set narrows the
// selection; the zero filter selects every entry.
type OutboxFilter struct {
	// Statuses are the statuses selected; none selects all four.
	Statuses []string
	Member   string
	Campaign string
	// Platform is a platform's address, as actions keep it
	// ("platform.discord.main"), or a platform type's ("platform.discord")
	// for every platform of that type: an outage is a platform type's
	// more often than one bot's.
	Platform string
	// Since keeps the entries that finished (were sent, moved to the dead
	// letters or skipped) at or after it, and the pending ones queued at
	// or after it: a pending entry has not finished, and its next_at is
	// a time still to come.
	Since time.Time
	// After starts the page past this entry, in the order lists are in
	// (next_at, then key): the Next of the page before.
	After OutboxCursor
	// Limit is the most entries a page holds; 0 is no limit.
	Limit int
}

// OutboxCursor is where a page of the outbox ends: the last entry's
// next_at and key. The zero cursor is the start.
type OutboxCursor struct {
	At  time.Time
	Key string
}

// IsZero reports whether c is the start.
func (c OutboxCursor) IsZero() bool { return c.Key == "" }

// CursorOf is the cursor just past e.
func CursorOf(e *OutboxEntry) OutboxCursor { return OutboxCursor{At: e.NextAt, Key: e.Key} }

// String is the cursor as GET /v1/outbox's "next" and hearth outbox list
// -json's give it, and their after takes it back: the next_at in Unix
// nanoseconds, a slash, the key. Clients pass it back as it is.
func (c OutboxCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixNano(), 10) + "/" + c.Key
}

// ErrBadCursor is ParseOutboxCursor's answer for text that no page's
// "next" was.
var ErrBadCursor = errors.New("not the next of a page (NANOSECONDS/KEY)")

// ParseOutboxCursor reads a cursor String wrote.
func ParseOutboxCursor(s string) (OutboxCursor, error) {
	nanos, key, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || key == "" {
		return OutboxCursor{}, ErrBadCursor
	}
	return OutboxCursor{At: time.Unix(0, n).UTC(), Key: key}, nil
}

// Match reports whether the filter selects e, page bounds aside: the
// in-memory store and tests use it, and the SQL stores say the same in
// their WHERE.
func (f *OutboxFilter) Match(e *OutboxEntry) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.Status),
		f.Member != "" && e.Member != f.Member,
		f.Campaign != "" && e.Campaign != f.Campaign,
		f.Platform != "" && !PlatformMatches(e.Platform, f.Platform):
		return false
	}
	if !f.Since.IsZero() {
		at := OutboxFinishedAt(e)
		if e.Status == OutboxPending {
			at = OutboxQueuedAt(e)
		}
		if at.Before(f.Since) {
			return false
		}
	}
	return true
}

// Before reports whether the cursor comes before e in list order (the
// start comes before every entry), so a page from it may hold e.
func (c OutboxCursor) Before(e *OutboxEntry) bool {
	return c.IsZero() || e.NextAt.After(c.At) || e.NextAt.Equal(c.At) && e.Key > c.Key
}

// PlatformMatches reports whether an action's platform address is the
// one a filter names, or of the type it names (PlatformIsType).
func PlatformMatches(addr, want string) bool {
	if PlatformIsType(want) {
		return strings.HasPrefix(addr, want+".")
	}
	return addr == want
}

// PlatformIsType reports whether a filter's platform names a type
// ("platform.discord") rather than one platform ("platform.discord.main").
func PlatformIsType(want string) bool { return strings.Count(want, ".") < 2 }

// OutboxSelector is a store that lists the outbox entries a filter
// selects and makes many of them due at once: hearth outbox list's
// filters and pages, and hearth outbox retry -status.
type OutboxSelector interface {
	// SelectOutbox lists the entries f selects in next_at, then key,
	// order, from past f.After, at most f.Limit.
	SelectOutbox(ctx context.Context, f OutboxFilter) ([]OutboxEntry, error)
	// RetryActions makes due at now the entries of keys that still have
	// the status given (dead or pending), and returns how many it made
	// due: one sent, dropped, pruned or otherwise settled since it was
	// listed is left as it is. A sent one is never sent again. It does
	// not take back a delivery a replica has claimed (PostgreSQL's
	// lease): that one settles the entry itself.
	RetryActions(ctx context.Context, keys []string, status string, now time.Time) (int, error)
}

// RetryStatus says why RetryActions cannot retry the actions of a status:
// only dead and pending ones are retried (a sent one went, a skipped one
// was dropped on purpose).
func RetryStatus(status string) error {
	if status != OutboxDead && status != OutboxPending {
		return fmt.Errorf("retry: status %q: only dead and pending actions are retried", status)
	}
	return nil
}

// RetryChunk bounds the keys one statement of RetryActions names, well
// under SQLite's limit on a statement's parameters.
const RetryChunk = 500

// SelectPage is how many entries SelectAll reads at a time, so a
// selection of thousands is not held in memory with its messages.
const SelectPage = 1000

// SelectAll hands every entry f selects to visit, a page at a time:
// what the bulk retries (hearth outbox retry -status, POST
// /v1/outbox/retry) read. f.Limit is ignored.
func SelectAll(ctx context.Context, sel OutboxSelector, f OutboxFilter, visit func([]OutboxEntry)) error {
	f.Limit = SelectPage
	for {
		page, err := sel.SelectOutbox(ctx, f)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			visit(page)
		}
		if len(page) < f.Limit {
			return nil
		}
		f.After = CursorOf(&page[len(page)-1])
	}
}
