package state

import (
	"container/heap"
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// Outcome is one thing the rules did: points granted, a badge awarded, a
// tier or segment change, a campaign step, an action to send. Outcomes
// are appended to the store and are what `hearth simulate -outcomes`
// writes.
//
// OutcomeFields and OutcomeKinds are its reference (hearth explain
// outcomes): a field, kind or change added here is added there too.
type Outcome struct {
	Kind   string    `json:"kind"`             // points, badge, tier, segment, campaign, action, moderation, alert
	Member string    `json:"member"`           // who it happened to
	Name   string    `json:"name"`             // the badge, segment, campaign or action; the tier whose rule decided
	Change string    `json:"change,omitempty"` // grant, award, revoke, promote, demote, enter, leave ...
	At     time.Time `json:"at"`               // event time
	Rule   string    `json:"rule"`             // the block that decided: incentive.first_post
	Event  string    `json:"event"`            // the event that caused it
	Points int       `json:"points,omitempty"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Outcome kinds.
const (
	KindPoints   = "points"
	KindBadge    = "badge"
	KindTier     = "tier"
	KindSegment  = "segment"
	KindCampaign = "campaign"
	KindAction   = "action"
	// KindModeration is a moderation decision; KindAlert an alert firing,
	// suppressed by its cool-down, or resolved (Member is empty).
	KindModeration = "moderation"
	KindAlert      = "alert"
)

// ChangeImport is the change of the points, badge and tier outcomes of a
// member.imported event (hearth import members): the opening state a
// member brought from another tool, not a grant, an award or a promotion
// by hearth's rules, so reports count it apart from those.
const ChangeImport = "import"

// RuleImported is the rule of ChangeImport outcomes: no block decided
// them; the imported file did.
const RuleImported = "imported"

// Reasons of tier moves (TierChange.Reason) other than RuleImported; ""
// is a move the rules made.
const (
	// TierLocked is a move to the tier a tier's locked list holds the
	// member on.
	TierLocked = "locked"
	// TierRemoved is a member placed by the promotion rules (when) because
	// the configuration no longer has their tier.
	TierRemoved = "tier removed"
	// TierUnlocked is a member placed by the promotion rules (when) once
	// the lock that held them on their tier is gone and its keep fails.
	TierUnlocked = "unlocked"
)

// ErrNotFound is returned for an unknown member.
var ErrNotFound = errors.New("not found")

// Store persists member state. Work happens in batches: many events are
// applied in one batch and committed together, atomically.
type Store interface {
	Begin(ctx context.Context) (Batch, error)
	// Members calls fn for every member, in id order, outside any batch.
	Members(ctx context.Context, fn func(*Member) error) error
	Close() error
}

// Batch is one atomic unit of work.
type Batch interface {
	// Seen reports whether the event id was committed before.
	Seen(id string) (bool, error)
	MarkSeen(id string, at time.Time) error
	// Claim marks the event id seen and reports whether it was new. It is
	// Seen and MarkSeen in one step, one round trip for durable stores.
	Claim(id string, at time.Time) (bool, error)
	// Member returns the member, or ErrNotFound.
	Member(id string) (*Member, error)
	SaveMember(m *Member) error
	// Due returns up to limit members whose RecheckAt is at or before t.
	Due(t time.Time, limit int) ([]string, error)
	AppendOutcomes(o []Outcome) error
	// Enqueue adds actions to the outbox, atomically with the batch.
	Enqueue(a []Action) error
	Commit() error
	Rollback() error
}

// DigestClaimer is a batch that keeps, beside each event id it claims,
// a digest of the event's content (events.Digest), so that an event sent
// under an id already applied can be told apart from the same event sent
// again: a sender reusing ids for different events loses them, and
// should hear of it. The first event under an id still wins.
type DigestClaimer interface {
	// ClaimDigest is Claim keeping digest (0: unknown) with the id. For
	// an id claimed before, earlier is what was kept with it.
	ClaimDigest(id string, at time.Time, digest uint64) (fresh bool, earlier Claimed, err error)
}

// Claimed is what a store kept with an event id it claimed.
type Claimed struct {
	// Digest is the content digest of the event claimed under the id, 0
	// when unknown: claimed without one, or before the store kept them.
	Digest uint64
	// At is that event's time, zero when the store does not keep it.
	At time.Time
}

// AsyncBatch is a batch that can be committed in the background: done is
// called once it is durable (or failed). Batches are made durable in the
// order they were committed. Stores offering it let the engine build the
// next batch while the last one is written.
type AsyncBatch interface {
	CommitAsync(done func(error))
}

// Preloader is a batch that can fetch, ahead of applying a group of
// events, whether they were applied and the members they touch, so a
// networked store pays two round trips per batch instead of two per
// event. Claim and Member then answer from what was fetched.
type Preloader interface {
	Preload(eventIDs, memberIDs []string) error
}

// DueProber is a batch that can tell cheaply, and with no side effect,
// whether any member may be due for a recheck by t, counting what the
// batch itself saved. It may answer yes when none is (the caller then
// asks Due), never no when one is. A replay asks it at every step of
// event time, and commits to run rechecks only when the answer is yes.
type DueProber interface {
	DueBy(t time.Time) (bool, error)
}

// Earlier returns the earlier of a kept minimum and t, where the zero
// time means none: stores keep their earliest recheck time with it.
func Earlier(kept, t time.Time) time.Time {
	if t.IsZero() || (!kept.IsZero() && !t.Before(kept)) {
		return kept
	}
	return t
}

// ByTime reports whether a kept minimum (zero: none) is at or before t.
func ByTime(kept, t time.Time) bool { return !kept.IsZero() && !kept.After(t) }

// PartitionedDue is a batch that can limit due timers to the members of
// some partitions (MemberHash(id) % partitions), so replicas that split
// members by partition each run only their own members' timers and do
// not collide with each other's event batches.
type PartitionedDue interface {
	DueIn(t time.Time, limit, partitions int, owned []int) ([]string, error)
}

// MemberHash is the hash members are partitioned by: FNV-1a of the id,
// the same in every process and version.
func MemberHash(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h
}

// MemberLister is a store that lists its members' ids, in id order,
// without reading their documents: for a sweep that loads each member
// in a batch later anyway (the re-evaluation after a rules change).
type MemberLister interface {
	MemberIDs(ctx context.Context) ([]string, error)
}

// MemberIDs lists the stored members' ids in id order.
func (s *Memory) MemberIDs(context.Context) ([]string, error) {
	ids := make([]string, 0, len(s.members))
	for id := range s.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// Flusher waits until background commits are written and returns the
// first error among them.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Recovery is what opening a store finished that an unclean stop (a
// crash, kill -9, a power cut) left: batches committed and acknowledged
// but not yet written into the store's tables, and their events.
type Recovery struct {
	Batches int
	Events  int
}

// Recoverer is a store that can say what its opening recovered (the
// SQLite store folds its journal), for the daemon to log.
type Recoverer interface {
	Recovered() Recovery
}

// ErrFailing is what a store that is failing answers (errors.Is): it
// refuses work until it recovers, or for good when the failure is fatal.
// The daemon answers 503 for it and logs it at a limited rate.
var ErrFailing = errors.New("state store failing")

// Health is how a store is doing at writing: the SQLite store after a
// write failed (its journal and in-memory members), the PostgreSQL store
// while the database is out of reach.
type Health struct {
	// Err is why writes are refused; nil while the store takes them.
	Err error
	// Since is when the failure began.
	Since time.Time
	// Fatal says the store cannot recover by itself: only a restart,
	// which reads back what reached the disk, can.
	Fatal bool
	// Retries counts the attempts to recover from this failure so far,
	// and RetryErr is the last one's error (nil before the first).
	Retries  int
	RetryErr error
	// Failures counts the times the store began failing since it opened.
	Failures int64
}

// HealthReporter is a store whose writes can fail for a while, all of
// them at once: the SQLite store after its disk filled, until it has
// space again; the PostgreSQL store while the server is out of reach,
// until it answers again (an error the server answers fails only its
// own transaction).
type HealthReporter interface {
	Health() Health
}

// OutboxAger is a store that tells when its oldest pending outbox entry
// was queued (OutboxEntry.QueuedAt, not its action's At: that is event
// time, days back after a backfill), zero when none is pending, in one
// query: the daemon samples it for hearth_outbox_oldest_pending_seconds.
type OutboxAger interface {
	OldestPending(ctx context.Context) (time.Time, error)
}

// QueueClock is a store whose outbox stamps each action with when it was
// queued (OutboxEntry.QueuedAt) by a clock that can be set, before the
// store is used: the daemon gives it its own, which it measures the
// entries' wait against. Unset, it is time.Now.
type QueueClock interface {
	SetQueueClock(now func() time.Time)
}

// OutboxQueuedAt is when e was queued: its QueuedAt, or for an entry
// that has none (queued before stores kept it) its action's At.
func OutboxQueuedAt(e *OutboxEntry) time.Time {
	if e.QueuedAt.IsZero() {
		return e.At
	}
	return e.QueuedAt
}

// Memory is an in-memory store for simulation and tests, used by one
// batch at a time. A batch works on the stored members themselves, so
// what it does is visible at once: members it saves and event ids it
// claims go into the store straight away and out again if it rolls back
// (changes to a member that was already stored stay, and a simulation
// whose batch fails is abandoned).
type Memory struct {
	members  map[string]*Member
	seen     *idSet // ids of applied events
	outcomes []Outcome
	outbox   []Action
	entries  map[string]*OutboxEntry // delivery state by key
	// outboxMu guards outbox and entries: the daemon's dispatcher and
	// its hourly prune reach them from goroutines of their own.
	outboxMu sync.Mutex
	cursors  map[string]string
	tallies  Tallies
	due      dueHeap
	queued   map[string]time.Time // the recheck time each member is in due under
	comms    map[string]*Community
	// suppressed is the suppression list, by SuppressionKey.
	suppressed map[string]bool
	// identities is the identity index (IdentityIndex): the member
	// holding each platform identity, by identityKey.
	identities map[string]string
	// spareSaved is a finished batch's list of saved members, for reuse.
	spareSaved []*Member
	// spareTallies is a finished batch's cleared tally changes, for reuse.
	spareTallies Tallies
	// spareClaimed is a finished batch's list of claimed ids, for reuse.
	spareClaimed []string
	// KeepOutcomes keeps appended outcomes in memory (tests); simulation
	// streams them elsewhere instead.
	KeepOutcomes bool
	// now stamps the outbox entries' QueuedAt (SetQueueClock); nil is
	// time.Now.
	now func() time.Time

	res memResources
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{members: map[string]*Member{}, seen: newIDSet()}
}

// Begin starts a batch.
func (s *Memory) Begin(context.Context) (Batch, error) {
	saved, claimed, tallies := s.spareSaved, s.spareClaimed, s.spareTallies
	s.spareSaved, s.spareClaimed, s.spareTallies = nil, nil, nil
	return &memBatch{s: s, saved: saved[:0], claimed: claimed[:0], tallies: tallies}, nil
}

// Members visits every member in id order.
func (s *Memory) Members(ctx context.Context, fn func(*Member) error) error {
	ids := make([]string, 0, len(s.members))
	for id := range s.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(s.members[id]); err != nil {
			return err
		}
	}
	return nil
}

// Outcomes returns what was appended, when KeepOutcomes is set.
func (s *Memory) Outcomes() []Outcome { return s.outcomes }

// Outbox returns the actions enqueued so far (those PruneOutbox removed
// left out).
func (s *Memory) Outbox() []Action {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	return s.outbox
}

// Close does nothing.
func (s *Memory) Close() error { return nil }

type memBatch struct {
	s       *Memory
	comms   map[string]*Community
	actions []Action
	// saved are the members the batch saved (with repeats), and undo
	// what the store's member map held before the batch put a new
	// member or another value there.
	saved []*Member
	undo  []memUndo
	// identUndo undoes the batch's identity claims on rollback.
	identUndo []identUndo
	// got are the last members Member handed out, which the store holds
	// under their ids: saving one of them needs no lookup.
	got  [4]*Member
	gotN int
	// claimed are the ids the batch claimed: they go straight into the
	// store's seen set at once and out again on rollback.
	claimed  []string
	outcomes []Outcome
	tallies  Tallies
	// minRecheck is the earliest recheck time among the saved members.
	minRecheck time.Time
	done       bool
}

func (b *memBatch) Seen(id string) (bool, error) {
	return b.s.seen.Has(id), nil
}

func (b *memBatch) Claim(id string, _ time.Time) (bool, error) {
	if b.done {
		return false, errBatchDone
	}
	if !b.s.seen.Add(id) {
		return false, nil
	}
	b.claimed = append(b.claimed, id)
	return true, nil
}

var _ DigestClaimer = (*memBatch)(nil)

func (b *memBatch) ClaimDigest(id string, at time.Time, digest uint64) (bool, Claimed, error) {
	if b.done {
		return false, Claimed{}, errBatchDone
	}
	fresh, earlier := b.s.seen.AddDigest(id, at, digest)
	if fresh {
		b.claimed = append(b.claimed, id)
	}
	return fresh, earlier, nil
}

func (b *memBatch) MarkSeen(id string, _ time.Time) error {
	if b.done {
		return errBatchDone
	}
	if b.s.seen.Add(id) {
		b.claimed = append(b.claimed, id)
	}
	return nil
}

var errBatchDone = errors.New("batch already finished")

// memUndo is a member map entry as it was before a batch changed it; nil
// when the batch added the member.
type memUndo struct {
	id  string
	was *Member
}

func (b *memBatch) Member(id string) (*Member, error) {
	// Hand out the stored member itself: the memory store trades
	// isolation for speed, and a batch that fails aborts the simulation
	// that uses it.
	m, ok := b.s.members[id]
	if !ok {
		return nil, ErrNotFound
	}
	b.got[b.gotN%len(b.got)] = m
	b.gotN++
	return m, nil
}

func (b *memBatch) SaveMember(m *Member) error {
	if b.done {
		return errBatchDone
	}
	// Saving the member the store holds, the usual case, only notes it
	// for the recheck queue at commit.
	b.saved = append(b.saved, m)
	b.minRecheck = Earlier(b.minRecheck, m.RecheckAt)
	for _, g := range b.got {
		if g == m {
			return nil
		}
	}
	if was, ok := b.s.members[m.ID]; !ok || was != m {
		b.undo = append(b.undo, memUndo{id: m.ID, was: was})
		b.s.members[m.ID] = m
		clear(b.got[:]) // one of them may no longer be stored
	}
	return nil
}

// DueBy looks at the heap's first entry and at the batch's saved members;
// a stale first entry only makes it answer yes.
func (b *memBatch) DueBy(t time.Time) (bool, error) {
	h := b.s.due
	return ByTime(b.minRecheck, t) || (len(h) > 0 && !h[0].at.After(t)), nil
}

// Due pops members from a heap ordered by RecheckAt, so finding them
// costs nothing for members with no recheck due.
func (b *memBatch) Due(t time.Time, limit int) ([]string, error) {
	var ids []string
	var listed map[string]bool
	h := &b.s.due
	for h.Len() > 0 && len(ids) < limit && !(*h)[0].at.After(t) {
		e := heap.Pop(h).(dueEntry)
		if b.s.queued[e.id].Equal(e.at) {
			delete(b.s.queued, e.id)
		}
		// A member whose time moved away and back has two entries for
		// it: the second is dropped, or the member would be rechecked
		// twice at the same time.
		if m := b.s.members[e.id]; m != nil && m.RecheckAt.Equal(e.at) && !listed[e.id] {
			if listed == nil {
				listed = map[string]bool{}
			}
			listed[e.id] = true
			ids = append(ids, e.id)
		}
	}
	return ids, nil
}

type dueEntry struct {
	at time.Time
	id string
}

type dueHeap []dueEntry

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].id < h[j].id
	}
	return h[i].at.Before(h[j].at)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (b *memBatch) Enqueue(a []Action) error {
	b.actions = append(b.actions, a...)
	return nil
}

func (b *memBatch) AppendOutcomes(o []Outcome) error {
	if b.s.KeepOutcomes {
		b.outcomes = append(b.outcomes, o...)
	}
	return nil
}

func (b *memBatch) Commit() error {
	if b.done {
		return errBatchDone
	}
	b.done = true
	if b.s.queued == nil {
		b.s.queued = map[string]time.Time{}
	}
	for _, m := range b.saved {
		// A member is pushed again only when its recheck time moved, so
		// the heap holds about one entry per member, not one per commit.
		if !m.RecheckAt.IsZero() && !b.s.queued[m.ID].Equal(m.RecheckAt) {
			b.s.queued[m.ID] = m.RecheckAt
			heap.Push(&b.s.due, dueEntry{m.RecheckAt, m.ID})
		}
	}
	clear(b.saved)
	b.s.spareSaved, b.saved = b.saved, nil
	clear(b.undo)
	b.undo = nil
	clear(b.claimed)
	b.s.spareClaimed, b.claimed = b.claimed, nil
	for name, c := range b.comms {
		if b.s.comms == nil {
			b.s.comms = map[string]*Community{}
		}
		b.s.comms[name] = c
	}
	b.s.outcomes = append(b.s.outcomes, b.outcomes...)
	if len(b.tallies) > 0 {
		if b.s.tallies == nil {
			b.s.tallies = Tallies{}
		}
		b.s.tallies.Merge(b.tallies)
	}
	if b.tallies != nil {
		clear(b.tallies)
		b.s.spareTallies, b.tallies = b.tallies, nil
	}
	b.s.outboxMu.Lock()
	defer b.s.outboxMu.Unlock()
	b.s.outbox = append(b.s.outbox, b.actions...)
	var queued time.Time
	if len(b.actions) > 0 {
		queued = b.s.queueNow()
	}
	for _, a := range b.actions {
		if b.s.entries == nil {
			b.s.entries = map[string]*OutboxEntry{}
		}
		if _, dup := b.s.entries[a.Key]; !dup {
			b.s.entries[a.Key] = &OutboxEntry{Action: a, Status: OutboxPending, NextAt: a.At, QueuedAt: queued}
		}
	}
	return nil
}

func (b *memBatch) Rollback() error {
	if b.done {
		return nil
	}
	b.done = true
	b.s.seen.Remove(b.claimed)
	for i := len(b.undo) - 1; i >= 0; i-- {
		if u := b.undo[i]; u.was == nil {
			delete(b.s.members, u.id)
		} else {
			b.s.members[u.id] = u.was
		}
	}
	for i := len(b.identUndo) - 1; i >= 0; i-- {
		if u := b.identUndo[i]; u.had {
			b.s.identities[u.key] = u.was
		} else {
			delete(b.s.identities, u.key)
		}
	}
	return nil
}

// DueActions lists pending actions due at now, oldest first.
func (s *Memory) DueActions(_ context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if e.Status == OutboxPending && !e.NextAt.After(now) {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// OldestPending is when the oldest pending action was queued; zero when
// none is pending.
func (s *Memory) OldestPending(context.Context) (time.Time, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var oldest time.Time
	for _, e := range s.entries {
		if e.Status == OutboxPending && (oldest.IsZero() || e.QueuedAt.Before(oldest)) {
			oldest = e.QueuedAt
		}
	}
	return oldest, nil
}

// SetQueueClock sets the clock that stamps queued actions (QueueClock).
func (s *Memory) SetQueueClock(now func() time.Time) { s.now = now }

func (s *Memory) queueNow() time.Time {
	if s.now == nil {
		return time.Now().UTC()
	}
	return s.now().UTC()
}

func sortEntries(es []OutboxEntry) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].NextAt.Equal(es[j].NextAt) {
			return es[i].NextAt.Before(es[j].NextAt)
		}
		return es[i].Key < es[j].Key
	})
}

// MarkSent records a delivery.
func (s *Memory) MarkSent(_ context.Context, key string, attempts int, at time.Time) error {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	if e := s.entries[key]; e != nil {
		e.Status, e.Attempts, e.SentAt, e.FinishedAt, e.LastError = OutboxSent, attempts, at, at, ""
	}
	return nil
}

var _ SentAfterHoldMarker = (*Memory)(nil)

// MarkSentAfterHold records a delivery the outbox held before, keeping
// the hold as the entry's reason (SentAfterHoldMarker).
func (s *Memory) MarkSentAfterHold(_ context.Context, key string, attempts int, at time.Time, hold string) error {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	if e := s.entries[key]; e != nil {
		e.Status, e.Attempts, e.SentAt, e.FinishedAt, e.LastError = OutboxSent, attempts, at, at, hold
	}
	return nil
}

// MarkRetry schedules another try.
func (s *Memory) MarkRetry(_ context.Context, key string, attempts int, next time.Time, reason string) error {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	if e := s.entries[key]; e != nil {
		e.Attempts, e.NextAt, e.LastError = attempts, next, reason
	}
	return nil
}

// MarkDead moves an action to the dead letters at the time.
func (s *Memory) MarkDead(_ context.Context, key string, attempts int, at time.Time, reason string) error {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	if e := s.entries[key]; e != nil {
		e.Status, e.Attempts, e.FinishedAt, e.LastError = OutboxDead, attempts, at, reason
	}
	return nil
}

// MarkSkipped drops an action at the time without sending it, saying
// why.
func (s *Memory) MarkSkipped(_ context.Context, key string, attempts int, at time.Time, reason string) error {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	if e := s.entries[key]; e != nil {
		e.Status, e.Attempts, e.FinishedAt, e.LastError = OutboxSkipped, attempts, at, reason
	}
	return nil
}

// ListOutbox lists entries with a status ("" for all).
func (s *Memory) ListOutbox(_ context.Context, status string, limit int) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if status == "" || e.Status == status {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ListOutboxAfter is ListOutbox from the entry after (at, key) in that
// order on.
func (s *Memory) ListOutboxAfter(_ context.Context, status string, at time.Time, key string, limit int) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if (status == "" || e.Status == status) && (e.NextAt.After(at) || e.NextAt.Equal(at) && e.Key > key) {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// RetryAction makes a dead or pending action due now, as the SQL stores
// do: a sent one is not sent again, and a skipped one was dropped on
// purpose.
func (s *Memory) RetryAction(_ context.Context, key string, now time.Time) (bool, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	e := s.entries[key]
	if e == nil || e.Status == OutboxSent || e.Status == OutboxSkipped {
		return false, nil
	}
	if e.Status == OutboxDead {
		e.QueuedAt = now.UTC() // back in the queue
	}
	e.Status, e.NextAt, e.FinishedAt = OutboxPending, now, time.Time{}
	return true, nil
}

var _ OutboxSelector = (*Memory)(nil)

// SelectOutbox lists the entries f selects, as the SQL stores do.
func (s *Memory) SelectOutbox(_ context.Context, f OutboxFilter) ([]OutboxEntry, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var out []OutboxEntry
	for _, e := range s.entries {
		if f.Match(e) && f.After.Before(e) {
			out = append(out, *e)
		}
	}
	sortEntries(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// RetryActions makes due at now the entries of keys still in status.
func (s *Memory) RetryActions(_ context.Context, keys []string, status string, now time.Time) (int, error) {
	if err := RetryStatus(status); err != nil {
		return 0, err
	}
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	n := 0
	for _, k := range keys {
		if e := s.entries[k]; e != nil && e.Status == status {
			if e.Status == OutboxDead {
				e.QueuedAt = now.UTC() // back in the queue
			}
			e.Status, e.NextAt, e.FinishedAt = OutboxPending, now, time.Time{}
			n++
		}
	}
	return n, nil
}

// DropAction removes an action.
func (s *Memory) DropAction(_ context.Context, key string) (bool, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	_, ok := s.entries[key]
	delete(s.entries, key)
	return ok, nil
}

// SkipPending marks an action skipped, with reason, while it is pending
// (PendingSkipper); the memory store leases nothing, so the dispatcher
// guards its own sends.
func (s *Memory) SkipPending(_ context.Context, key, reason string, now time.Time) (bool, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	e, ok := s.entries[key]
	if !ok || e.Status != OutboxPending {
		return false, nil
	}
	e.Status, e.FinishedAt, e.LastError = OutboxSkipped, now, reason
	return true, nil
}

// DropPending removes an action while it is pending (PendingDropper);
// the memory store leases nothing, so the dispatcher guards its own sends.
func (s *Memory) DropPending(_ context.Context, key string, _ time.Time) (bool, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	e, ok := s.entries[key]
	if !ok || e.Status != OutboxPending {
		return false, nil
	}
	delete(s.entries, key)
	return true, nil
}

// Cursor returns where a platform's event stream was read up to.
func (s *Memory) Cursor(_ context.Context, stream string) (string, error) {
	return s.cursors[stream], nil
}

// SetCursor records where a stream was read up to.
func (s *Memory) SetCursor(_ context.Context, stream, cursor string) error {
	if s.cursors == nil {
		s.cursors = map[string]string{}
	}
	s.cursors[stream] = cursor
	return nil
}

var _ OutboxPruner = (*Memory)(nil)

// PruneOutbox removes finished entries from before the time, and their
// actions from Outbox.
func (s *Memory) PruneOutbox(_ context.Context, before time.Time, dryRun bool) (int64, error) {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	var n int64
	for key, e := range s.entries {
		if OutboxFinishedBefore(e, before) {
			n++
			if !dryRun {
				delete(s.entries, key)
			}
		}
	}
	if n > 0 && !dryRun {
		kept := s.outbox[:0]
		for _, a := range s.outbox {
			if s.entries[a.Key] != nil {
				kept = append(kept, a)
			}
		}
		clear(s.outbox[len(kept):])
		s.outbox = kept
	}
	return n, nil
}
