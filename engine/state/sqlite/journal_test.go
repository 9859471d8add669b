package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// stopFolding stops the folder, so committed batches stay in the journal
// only, as they are between a commit and its fold.
func (s *Store) stopFolding(t *testing.T) {
	t.Helper()
	if s.jr == nil {
		t.Fatal("store has no journal")
	}
	close(s.foldStop)
	<-s.foldStopped
}

// crash drops the store as a killed process would: nothing is folded or
// flushed, the files are just closed.
func (s *Store) crash() {
	s.mu.Lock()
	if s.queue != nil {
		close(s.queue)
		s.queue = nil
	}
	s.mu.Unlock()
	s.jr.close()
	s.db.Close()
	if s.openLock != nil {
		s.openLock.Close() // a process that ends lets its flocks go
	}
}

// crashAndReopen crashes s, opens its file again (closed when the test
// ends) and checks that the events e0 ... e(n-1) are applied; it returns
// the store and a batch on it.
func crashAndReopen(t *testing.T, s *Store, path string, n int) (*Store, state.Batch) {
	t.Helper()
	ctx := context.Background()
	s.crash()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, _ := s.Begin(ctx)
	t.Cleanup(func() { b.Rollback() })
	for i := range n {
		if seen, err := b.Seen(fmt.Sprintf("e%d", i)); !seen || err != nil {
			t.Errorf("e%d not applied after recovery: %v", i, err)
		}
	}
	return s, b
}

func commitOne(t *testing.T, s *Store, i int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("u%d", i%3)
	m, err := b.Member(id)
	if errors.Is(err, state.ErrNotFound) {
		m, err = state.NewMember(id, at), nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m.AddPoints(5, at)
	m.RecheckAt = at.Add(time.Duration(i+1) * time.Hour)
	ev := fmt.Sprintf("e%d", i)
	if fresh, err := b.Claim(ev, at); !fresh || err != nil {
		t.Fatalf("claim %s: %v %v", ev, fresh, err)
	}
	_ = b.SaveMember(m)
	_ = b.AppendOutcomes([]state.Outcome{{Kind: state.KindPoints, Member: id, Name: "points", At: at, Rule: "incentive.x", Event: ev, Points: 5}})
	_ = b.Enqueue([]state.Action{{Key: "welcome:" + id, Kind: "dm", Member: id, At: at}})
	_ = b.(*batch).AddTallies(state.Tallies{"messages": 1})
	_ = b.(*batch).SaveCommunity(&state.Community{Name: "main", Members: i + 1})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A batch is durable once Commit returns, before it is folded into the
// database: after a crash the next open folds it, exactly once.
func TestJournalRecoversCommittedBatches(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	commitOne(t, s, 0, at) // folded below, before the crash
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.stopFolding(t)
	for i := 1; i < 10; i++ {
		commitOne(t, s, i, at.Add(time.Duration(i)*time.Minute))
	}
	var inDB int
	if err := s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&inDB); err != nil || inDB != 1 {
		t.Fatalf("events in the database before the crash: %d, %v; want 1 (the rest only journaled)", inDB, err)
	}
	s, b := crashAndReopen(t, s, path, 10)
	// The opening says what it folded, for the daemon to log: the nine
	// batches of one event each that only the journal held.
	if got := s.Recovered(); got != (state.Recovery{Batches: 9, Events: 9}) {
		t.Errorf("recovered %+v; want 9 batches of 9 events", got)
	}
	// u0 got events 0, 3, 6, 9; u1 1, 4, 7; u2 2, 5, 8.
	for id, want := range map[string]int{"u0": 20, "u1": 15, "u2": 15} {
		m, err := b.Member(id)
		if err != nil || m.Points != want {
			t.Fatalf("%s after recovery: %+v, %v; want %d points", id, m, err, want)
		}
	}
	outs, err := s.Outcomes(ctx, "u0", 100)
	if err != nil || len(outs) != 4 {
		t.Errorf("u0 outcomes after recovery: %d, %v; want 4", len(outs), err)
	}
	box, err := s.ListOutbox(ctx, "", 100)
	if err != nil || len(box) != 3 {
		t.Errorf("outbox after recovery: %d entries, %v; want 3 (one welcome each)", len(box), err)
	}
	tallies, err := s.Tallies(ctx)
	if err != nil || tallies["messages"] != 10 {
		t.Errorf("tallies after recovery: %v, %v; want 10 messages (each batch counted once)", tallies, err)
	}
	comms, err := s.Communities()
	if err != nil || len(comms) != 1 || comms[0].Members != 10 {
		t.Errorf("communities after recovery: %+v, %v; want the last document", comms, err)
	}
	if due, err := b.Due(at.Add(100*time.Hour), 10); err != nil || len(due) != 3 {
		t.Errorf("due after recovery: %v, %v; want the 3 members", due, err)
	}
	var seq int64
	if err := s.db.QueryRow(`SELECT journal_seq FROM state_meta`).Scan(&seq); err != nil || seq < 10 {
		t.Errorf("journal_seq %d, %v; want at least 10", seq, err)
	}
}

// A store closed with everything folded leaves empty journal files, and
// numbering goes on from the database's note when it is opened again.
func TestCloseEmptiesTheJournal(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	commitOne(t, s, 0, at)
	commitOne(t, s, 1, at)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range journalPaths(path) {
		if info, err := os.Stat(p); err != nil || info.Size() != 0 {
			t.Errorf("%s after a clean close: %v, %v; want empty", p, info, err)
		}
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Recovered(); got != (state.Recovery{}) {
		t.Errorf("recovered %+v after a clean close; want nothing", got)
	}
	commitOne(t, s, 2, at)
	s.stopFolding(t)
	commitOne(t, s, 3, at)
	crashAndReopen(t, s, path, 4)
}

// A record torn by a crash (its write never synced, so never
// acknowledged) ends the journal; the records before it are kept.
func TestJournalTornRecord(t *testing.T) {
	var data []byte
	for seq := uint64(1); seq <= 3; seq++ {
		data = appendRecord(data, seq, []byte(fmt.Sprintf("payload %d", seq)))
	}
	whole := len(data)
	data = appendRecord(data, 4, bytes.Repeat([]byte("x"), 100))
	for cut := whole + 1; cut < len(data); cut++ {
		recs, end := readJournal(data[:cut])
		if len(recs) != 3 || end != int64(whole) {
			t.Fatalf("cut at %d: %d records ending at %d; want 3 ending at %d", cut, len(recs), end, whole)
		}
	}
	flipped := bytes.Clone(data)
	flipped[whole+journalHeader+10] ^= 1
	if recs, _ := readJournal(flipped); len(recs) != 3 {
		t.Errorf("a corrupt last record was read: %d records", len(recs))
	}
	// Older records after the newest ones (a file started over) are not
	// read as newer.
	restarted := appendRecord(nil, 10, []byte("new"))
	restarted = append(restarted, data[len(restarted):]...)
	if recs, _ := readJournal(restarted); len(recs) != 1 || recs[0].seq != 10 {
		t.Errorf("started-over file read as %+v", recs)
	}
}

func appendRecord(b []byte, seq uint64, payload []byte) []byte {
	var h [journalHeader]byte
	putHeader(h[:], seq, payload)
	return append(append(b, h[:]...), payload...)
}

// The journal moves to its other file once one is large and the other
// folded, and reading both back gives the unfolded records in order.
func TestJournalSwitchesFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	j, recs, err := openJournal(path, 0)
	if err != nil || len(recs) != 0 {
		t.Fatalf("new journal: %v, %v", recs, err)
	}
	big := bytes.Repeat([]byte("m"), 1<<20)
	var folded uint64
	for i := range 40 {
		seq, err := j.append([][]byte{big}, folded)
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			folded = seq - 3 // the folder lags a little
		}
	}
	if j.files[1].last == 0 {
		t.Fatal("40 MB of records never moved to the second file")
	}
	if info, _ := os.Stat(journalPaths(path)[0]); info.Size() > 3*journalSwitch {
		t.Errorf("first file grew to %d bytes: it was never started over", info.Size())
	}
	last := j.seq
	j.close()
	j, recs, err = openJournal(path, folded)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if want := int(last - folded); len(recs) != want {
		t.Fatalf("%d records after reopening; want %d (after %d up to %d)", len(recs), want, folded, last)
	}
	for i, r := range recs {
		if r.seq != folded+1+uint64(i) || !bytes.Equal(r.payload, big) {
			t.Fatalf("record %d: seq %d; want %d", i, r.seq, folded+1+uint64(i))
		}
	}
	// Writing goes on after the last record.
	if seq, err := j.append([][]byte{[]byte("next")}, folded); err != nil || seq != last+1 {
		t.Errorf("next record numbered %d, %v; want %d", seq, err, last+1)
	}
}

// A second store on the same file (another process) finds the journal
// locked and writes into the database directly; both see each other's
// batches once written.
func TestSecondOpenWritesDirectly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.jr == nil || b.jr != nil {
		t.Fatalf("journals: first %v, second %v; want only the first to have one", a.jr != nil, b.jr != nil)
	}
	at := time.Unix(1700000000, 0).UTC()
	commitOne(t, b, 0, at)
	commitOne(t, a, 1, at)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil || n != 2 {
			t.Errorf("events: %d, %v; want 2", n, err)
		}
	}
}

func TestJobRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123).UTC()
	a := state.Action{Key: "k1", Kind: "dm", Member: "u1", At: at, Text: "hi"}
	j := &job{
		ids: []string{"e1", "e2"}, at: []int64{1, 2},
		mids: []string{"u1"}, docs: [][]byte{{1, 2, 3}}, recheck: []int64{99},
		cnames: []string{"main"}, cdocs: [][]byte{[]byte(`{"name":"main"}`)},
		outcomes: []state.Outcome{{Kind: "points", Member: "u1", Name: "n", Change: "grant", At: at, Rule: "r", Event: "e1", Points: -7, From: "a", To: "b", Detail: "d"}},
		actions:  []state.Action{a},
		adocs:    [][]byte{mustJSON(t, a)},
		queued:   []int64{at.UnixNano() + 86400e9}, // queued a day after its time
		tallies:  []string{"x"}, tallyN: []int64{-3},
		readBack: true, // as every job read back: its identities come from its documents
	}
	// Without digests (version 3) and with them (version 4).
	for _, digest := range [][]uint64{nil, {0, 1<<64 - 1}} {
		j.digest = digest
		enc := appendJob(nil, j)
		if want := byte(3 + len(digest)/2); enc[0] != want {
			t.Errorf("record version %d; want %d", enc[0], want)
		}
		got, err := decodeJob(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, j) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, j)
		}
		for n := range len(enc) {
			if _, err := decodeJob(enc[:n]); err == nil {
				t.Errorf("a record cut to %d of %d bytes decoded", n, len(enc))
			}
		}
	}
}

// A journal an older hearth left (records of versions 1 and 2, without
// queue times) is read back with each action queued at its own time, as
// the migration gave the rows before it.
func TestJobWithoutQueueTimes(t *testing.T) {
	at := time.Unix(1700000000, 123).UTC()
	a := state.Action{Key: "k1", Kind: "dm", Member: "u1", At: at, Text: "hi"}
	doc := mustJSON(t, a)
	for _, digests := range []bool{false, true} {
		// The layout of those versions, written out.
		e := jobEncoder{b: []byte{map[bool]byte{false: 1, true: 2}[digests]}}
		e.uint(1)
		e.str("e1")
		e.int(7)
		if digests {
			e.uint(9)
		}
		e.uint(0) // members
		e.uint(0) // communities
		e.uint(0) // outcomes
		e.uint(1)
		e.bytes(doc)
		e.uint(0) // tallies
		got, err := decodeJob(e.b)
		if err != nil {
			t.Fatalf("digests %v: %v", digests, err)
		}
		if len(got.actions) != 1 || !reflect.DeepEqual(got.queued, []int64{at.UnixNano()}) {
			t.Errorf("digests %v: actions %v queued %v; want one queued at %d", digests, got.actions, got.queued, at.UnixNano())
		}
		if digests != (got.digest != nil) {
			t.Errorf("digests %v: read back %v", digests, got.digest)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func FuzzJournal(f *testing.F) {
	j := &job{ids: []string{"e1"}, at: []int64{5}, mids: []string{"u"}, docs: [][]byte{{1}}, recheck: []int64{0}}
	f.Add(appendJob(nil, j))
	f.Add(appendRecord(nil, 1, appendJob(nil, j)))
	f.Add(appendJob(nil, &job{ids: []string{"e1", "e2"}, at: []int64{5, 6}, digest: []uint64{0, 7}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, err := decodeJob(data); err == nil {
			// What decodes encodes to a record that decodes the same.
			again, err := decodeJob(appendJob(nil, got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("decoded record does not round-trip: %v", err)
			}
		}
		recs, end := readJournal(data)
		if end > int64(len(data)) || (len(recs) == 0) != (end == 0) {
			t.Errorf("%d records ending at %d of %d bytes", len(recs), end, len(data))
		}
	})
}

// A rolled-back batch's changes to members and communities it read are
// undone without waiting for a fold: a member still in the journal comes
// back from its newest record, one already folded from the database.
func TestRollbackRestoresWithoutWaiting(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.crash() // Close would wait for a fold that never comes
	at := time.Unix(1700000000, 0).UTC()
	commitOne(t, s, 0, at) // u0: 5 points, folded below
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.stopFolding(t)
	commitOne(t, s, 1, at) // u1: 5 points, journaled only
	b, _ := s.Begin(ctx)
	for _, id := range []string{"u0", "u1"} {
		m, err := b.Member(id)
		if err != nil {
			t.Fatal(err)
		}
		m.AddPoints(100, at) // changed in place, never saved
	}
	c := &state.Community{Name: "main", Members: 99}
	_ = b.(*batch).SaveCommunity(c)
	_ = b.Rollback()
	b, _ = s.Begin(ctx)
	defer b.Rollback()
	for _, id := range []string{"u0", "u1"} {
		m, err := b.Member(id)
		if err != nil || m.Points != 5 {
			t.Errorf("%s after rollback: %+v, %v; want 5 points", id, m, err)
		}
	}
	got, err := b.(*batch).Community("main")
	if err != nil || got == nil || got.Members != 2 {
		t.Errorf("community after rollback: %+v, %v; want the journaled document (2 members)", got, err)
	}
}

// TestEraseEmptiesTheJournal: erasing a member empties the journal's
// files, which held the member's documents in earlier records; batches
// committed after it are journaled from the start again and recovered
// after a crash, and those before it are kept.
func TestEraseEmptiesTheJournal(t *testing.T) {
	ctx := context.Background()
	s, path := openAt(t)
	at := time.Unix(1700000000, 0).UTC()
	for i := range 5 {
		commitOne(t, s, i, at)
	}
	if _, err := s.EraseMember(ctx, "u0", state.EraseOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range journalPaths(path) {
		if info, err := os.Stat(p); err != nil || info.Size() != 0 {
			t.Fatalf("%s after an erase: %v; want it empty", filepath.Base(p), err)
		}
	}
	s.stopFolding(t)
	for i := 5; i < 10; i++ {
		commitOne(t, s, i, at)
	}
	_, b := crashAndReopen(t, s, path, 10)
	if _, err := b.Member("u1"); err != nil {
		t.Errorf("u1 after the erase and a crash: %v", err)
	}
}
