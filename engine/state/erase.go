package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ErrSuppressed is what a batch's member lookup turns into for an id on
// the suppression list: the member asked to be forgotten, and an event
// must not create them again.
var ErrSuppressed = errors.New("the member asked to be forgotten and is suppressed")

// Eraser is a store that can hand out and erase everything it keeps about
// one member, for data-protection requests (GDPR articles 15, 17 and 20),
// and keep a suppression list of ids whose events are refused from then
// on. Every store backend offers it; statetest.RunErase checks them.
type Eraser interface {
	// MemberOutcomes returns the member's outcomes, oldest first, at
	// most limit.
	MemberOutcomes(ctx context.Context, member string, limit int) ([]Outcome, error)
	// MemberOutbox returns the outbox entries addressed to the member,
	// whatever their status, oldest first.
	MemberOutbox(ctx context.Context, member string) ([]OutboxEntry, error)
	// MemberRoleGrants returns the records of the roles hearth gave the
	// member (GrantNames: by their id, or their identities on the
	// grants' platforms), by platform, community and role.
	MemberRoleGrants(ctx context.Context, member string, identities map[string]string) ([]RoleGrant, error)
	// EraseMember deletes, in one transaction, the member's document, its
	// outcomes, its outbox entries (pending, sent and dead) and the
	// records of the roles hearth gave it (with opt.Identities), and
	// blanks the id where other members' outcomes name it (from, to).
	// With opt.RunKey it also puts that key in place of the id where the
	// id is the key of another member's campaign run (RekeyOutcome,
	// RekeyEntry). It waits for batches committed before it, and what it
	// deleted is not kept in any cache a later batch could write back. It
	// changes no other member's document (the caller does that in a
	// batch) and no tally.
	EraseMember(ctx context.Context, id string, opt EraseOptions) (Erased, error)
	// Suppress puts the id on the suppression list; Unsuppress takes it
	// off and reports whether it was on. The list keeps SuppressionKey
	// of each id, not the id.
	Suppress(ctx context.Context, id string, at time.Time) error
	Unsuppress(ctx context.Context, id string) (bool, error)
	IsSuppressed(ctx context.Context, id string) (bool, error)
}

// SuppressionBatch is a batch that can tell whether an id is on the
// suppression list, as of the batch. The runtime asks it only for ids
// with no stored member, before it would create one.
type SuppressionBatch interface {
	Suppressed(id string) (bool, error)
}

// EraseOptions say what EraseMember does beyond the member's own rows.
type EraseOptions struct {
	// RunKey, when set, is the key that takes the member's id's place
	// where the id is the key of another member's campaign run
	// (run_key = "event.referrer"): in those members' outcomes and in
	// their outbox entries' keys and run keys. The caller moves the runs
	// themselves to the same key (memberdata.Forget).
	RunKey string
	// At is when the entries of such runs not yet sent are skipped.
	At time.Time
	// Identities are the member's ids on each platform (its document's,
	// read before the erase): the role grants naming one of them on a
	// platform of that type are the member's too (GrantNames).
	Identities map[string]string
}

// Erased is what EraseMember deleted.
type Erased struct {
	Member   bool  `json:"member"`   // the member's document was stored
	Outcomes int64 `json:"outcomes"` // outcomes of the member
	// OutcomeRefs are other members' outcomes that named the member (as
	// from or to) and now name nobody there.
	OutcomeRefs int64 `json:"outcome_refs"`
	// Outbox counts the entries addressed to the member, by status.
	Outbox map[string]int64 `json:"outbox,omitempty"`
	// RunKeyOutcomes are other members' outcomes of campaign runs keyed
	// by the member's id, which now name EraseOptions.RunKey instead.
	RunKeyOutcomes int64 `json:"run_key_outcomes,omitempty"`
	// RunKeyOutbox counts other members' outbox entries of campaign runs
	// keyed by the member's id, by the status they had: their keys name
	// EraseOptions.RunKey now, and the pending and dead ones are skipped.
	RunKeyOutbox map[string]int64 `json:"run_key_outbox,omitempty"`
	// RoleGrants are the records of the roles hearth gave the member,
	// deleted: the roles stay on the platform, where hearth now counts
	// them as given by hand and never takes them.
	RoleGrants []RoleGrant `json:"role_grants,omitempty"`
}

// Any reports whether anything was erased.
func (e Erased) Any() bool {
	n := e.Outcomes + e.OutcomeRefs + e.RunKeyOutcomes
	for _, c := range e.Outbox {
		n += c
	}
	for _, c := range e.RunKeyOutbox {
		n += c
	}
	return e.Member || n > 0 || len(e.RoleGrants) > 0
}

// SkippedForgotten is why an entry of a campaign run keyed by a member
// who was forgotten is skipped instead of sent (RekeyEntry).
const SkippedForgotten = "not sent: its campaign run was keyed by a member who was forgotten"

// RekeySendKey is an outbox key of a campaign send,
// campaign/NAME[KEY]/member/run/seq/step, with label in place of KEY
// when KEY (path-escaped, as the runtime writes it) is id; ok is false
// for any other key, which stays as it is.
func RekeySendKey(key, id, label string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "campaign/")
	if !ok {
		return key, false
	}
	// The escaped key holds no '/', so the run's id ends at the first.
	runID, tail, ok := strings.Cut(rest, "/")
	if !ok {
		return key, false
	}
	campaign, k, keyed := SplitRunID(runID)
	if !keyed {
		return key, false
	}
	if k, err := url.PathUnescape(k); err != nil || k != id {
		return key, false
	}
	return "campaign/" + RunID(campaign, url.PathEscape(label)) + "/" + tail, true
}

// RekeyOutcome puts label in place of id where id is the key of the
// campaign run o is about: in the key a campaign outcome's detail names
// (RunDetail) and in the outbox key a queued send's detail is. It
// reports whether it changed o.
func RekeyOutcome(o *Outcome, id, label string) bool {
	if !strings.HasPrefix(o.Rule, "campaign.") {
		return false
	}
	switch o.Kind {
	case KindCampaign:
		if o.Detail == "" || DetailKey(o.Detail) != id {
			return false
		}
		o.Detail = RunDetail(DetailReason(o.Detail), label)
		return true
	case KindAction:
		key, ok := RekeySendKey(o.Detail, id, label)
		o.Detail = key
		return ok
	}
	return false
}

// RekeyEntry puts label in place of id in e, an outbox entry of another
// member's campaign run keyed by id: in its key and its run key. One not
// sent (pending or dead) is skipped at at, never to be sent or retried:
// sending it would hand the platform what the run made of the forgotten
// member's data, and under the new key a platform that got an earlier
// try (or one in flight, under the old key) could not tell it was the
// same message, so it could arrive twice. It reports whether e was such
// an entry; the status e had is the caller's to count.
func RekeyEntry(e *OutboxEntry, id, label string, at time.Time) bool {
	if e.Member == id {
		return false
	}
	key, ok := RekeySendKey(e.Key, id, label)
	if !ok {
		return false
	}
	// A platform's error may quote the key.
	lastErr := strings.ReplaceAll(e.LastError, e.Key, key)
	e.Key = key
	if e.RunKey == id {
		e.RunKey = label
	}
	switch e.Status {
	case OutboxPending:
		e.Status, e.FinishedAt, lastErr = OutboxSkipped, at, SkippedForgotten
	case OutboxDead:
		if lastErr != "" {
			lastErr = fmt.Sprintf("%s (it was a dead letter: %s)", SkippedForgotten, lastErr)
		} else {
			lastErr = SkippedForgotten
		}
		e.Status, e.FinishedAt = OutboxSkipped, at
	}
	e.LastError = lastErr
	return true
}

// ErrRunKeyTaken is EraseMember's answer when an outbox key it would
// give an entry is another entry's already; it changed nothing.
var ErrRunKeyTaken = errors.New("an outbox entry already has the key the erased member's run key would give another; nothing was changed (forget again: another key is drawn)")

// SuppressionKey is how the suppression list keeps an id: its SHA-256, in
// hex, so the list does not show ids in the clear. (A known id can still
// be matched against it; that is what the list is for.)
func SuppressionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

var _ Eraser = (*Memory)(nil)

// MemberOutcomes returns the member's outcomes kept in memory
// (KeepOutcomes).
func (s *Memory) MemberOutcomes(_ context.Context, member string, limit int) ([]Outcome, error) {
	var out []Outcome
	for _, o := range s.outcomes {
		if o.Member == member && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, nil
}

// MemberOutbox returns the member's outbox entries, oldest first.
func (s *Memory) MemberOutbox(_ context.Context, member string) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if e.Member == member {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	return out, nil
}

// EraseMember deletes the member, its outcomes, its outbox entries and
// its role grants.
func (s *Memory) EraseMember(_ context.Context, id string, opt EraseOptions) (Erased, error) {
	var e Erased
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	// Checked before anything changes, as the SQL stores' transactions
	// leave everything as it was on a key already taken.
	rekeyed := map[string]OutboxEntry{}
	if opt.RunKey != "" {
		for key, en := range s.entries {
			c := *en
			if RekeyEntry(&c, id, opt.RunKey, opt.At) {
				if s.entries[c.Key] != nil {
					return e, ErrRunKeyTaken
				}
				rekeyed[key] = c
			}
		}
	}
	if _, ok := s.members[id]; ok {
		e.Member = true
		delete(s.members, id)
		delete(s.queued, id) // its heap entry is skipped: no member
	}
	s.dropIdentities(id)
	s.outcomes = slices.DeleteFunc(s.outcomes, func(o Outcome) bool {
		if o.Member == id {
			e.Outcomes++
			return true
		}
		return false
	})
	for i := range s.outcomes {
		if o := &s.outcomes[i]; o.From == id || o.To == id {
			e.OutcomeRefs++
			o.From, o.To = blankIf(o.From, id), blankIf(o.To, id)
		}
	}
	for key, en := range s.entries {
		if en.Member == id {
			if e.Outbox == nil {
				e.Outbox = map[string]int64{}
			}
			e.Outbox[en.Status]++
			delete(s.entries, key)
		}
	}
	s.outbox = slices.DeleteFunc(s.outbox, func(a Action) bool { return a.Member == id })
	e.RoleGrants = s.eraseGrants(id, opt.Identities)
	if opt.RunKey == "" {
		return e, nil
	}
	for i := range s.outcomes {
		if RekeyOutcome(&s.outcomes[i], id, opt.RunKey) {
			e.RunKeyOutcomes++
		}
	}
	for key := range rekeyed {
		if e.RunKeyOutbox == nil {
			e.RunKeyOutbox = map[string]int64{}
		}
		e.RunKeyOutbox[s.entries[key].Status]++
		delete(s.entries, key)
	}
	for _, c := range rekeyed {
		s.entries[c.Key] = &c
	}
	for i := range s.outbox {
		if a := &s.outbox[i]; a.Member != id {
			if key, ok := RekeySendKey(a.Key, id, opt.RunKey); ok {
				a.Key = key
				if a.RunKey == id {
					a.RunKey = opt.RunKey
				}
			}
		}
	}
	return e, nil
}

func blankIf(s, id string) string {
	if s == id {
		return ""
	}
	return s
}

// Suppress puts id on the suppression list.
func (s *Memory) Suppress(_ context.Context, id string, _ time.Time) error {
	if s.suppressed == nil {
		s.suppressed = map[string]bool{}
	}
	s.suppressed[SuppressionKey(id)] = true
	return nil
}

// Unsuppress takes id off the suppression list.
func (s *Memory) Unsuppress(_ context.Context, id string) (bool, error) {
	k := SuppressionKey(id)
	was := s.suppressed[k]
	delete(s.suppressed, k)
	return was, nil
}

// IsSuppressed reports whether id is on the suppression list.
func (s *Memory) IsSuppressed(_ context.Context, id string) (bool, error) {
	return s.suppressed[SuppressionKey(id)], nil
}

// Suppressed reports whether id is on the suppression list.
func (b *memBatch) Suppressed(id string) (bool, error) {
	return len(b.s.suppressed) > 0 && b.s.suppressed[SuppressionKey(id)], nil
}

// OutboxRekey is one outbox entry a forget renames: the key it had, and
// the entry as it is to be written (new key, and skipped where it was
// not sent yet) with its finished time in Unix nanoseconds.
type OutboxRekey struct {
	Old      string
	Entry    OutboxEntry
	Finished int64
}

// RekeyRows reads the rows of a SQL store's candidate outbox entries for
// a forget of id (columns key, data, status, last_error, finished_at) and
// returns those RekeyEntry changes, with how many of each status there
// were. The caller closes the rows.
func RekeyRows(rows Rows, id string, opt EraseOptions) ([]OutboxRekey, map[string]int64, error) {
	var changes []OutboxRekey
	var counts map[string]int64
	for rows.Next() {
		var c OutboxRekey
		var data []byte
		if err := rows.Scan(&c.Old, &data, &c.Entry.Status, &c.Entry.LastError, &c.Finished); err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(data, &c.Entry.Action); err != nil {
			return nil, nil, fmt.Errorf("outbox entry: %w", err)
		}
		had := c.Entry.Status
		if !RekeyEntry(&c.Entry, id, opt.RunKey, opt.At) {
			continue
		}
		if c.Entry.Status != had {
			c.Finished = c.Entry.FinishedAt.UnixNano()
		}
		if counts == nil {
			counts = map[string]int64{}
		}
		counts[had]++
		changes = append(changes, c)
	}
	return changes, counts, rows.Err()
}

// RekeyOutcomeRows reads the rows of a SQL store's candidate outcomes for
// a forget of id (columns seq, kind, rule, detail) and returns, by seq,
// the new detail of those RekeyOutcome changes to name label instead.
// The caller closes the rows.
func RekeyOutcomeRows(rows Rows, id, label string) (map[int64]string, error) {
	seqs := map[int64]string{}
	for rows.Next() {
		var seq int64
		var o Outcome
		if err := rows.Scan(&seq, &o.Kind, &o.Rule, &o.Detail); err != nil {
			return nil, err
		}
		if RekeyOutcome(&o, id, label) {
			seqs[seq] = o.Detail
		}
	}
	return seqs, rows.Err()
}
