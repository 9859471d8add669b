package sqlite

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// TestMeasureForget measures EraseMember on a state of 200,000 members
// (HEARTH_MEASURE_FORGET_MEMBERS to change it), each with a document of
// about a kilobyte, two outcomes and, one in four, an outbox entry, after
// events to half of them: how long an erase takes, the pages its scrub
// read and wrote, how long a batch committed meanwhile waits, and how
// much more memory the process took. Then the same for a second erase
// after events to 5% more: the pages the first one zeroed stay zero.
// The figures the README gives. It runs only with HEARTH_MEASURE_FORGET=1
// (it writes a few hundred MB).
func TestMeasureForget(t *testing.T) {
	if os.Getenv("HEARTH_MEASURE_FORGET") != "1" {
		t.Skip("set HEARTH_MEASURE_FORGET=1 to measure")
	}
	members := 200000
	if n, err := strconv.Atoi(os.Getenv("HEARTH_MEASURE_FORGET_MEMBERS")); err == nil && n > 0 {
		members = n
	}
	ctx := context.Background()
	s, path := openAt(t)
	defer s.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	// Straight into the tables, as many batches folded would leave them,
	// only much faster.
	const chunk = 200
	for i := 0; i < members; i += chunk {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := min(chunk, members-i)
		err = s.insertRows(ctx, tx, `INSERT INTO members (id, data) VALUES `, `(?, ?)`, ``, n, func(k int) []any {
			m := state.NewMember(fmt.Sprintf("member-%07d", i+k), at)
			m.Name = fmt.Sprintf("Member number %d", i+k)
			m.Attrs = map[string]any{"locale": "en", "timezone": "Europe/Berlin", "bio": fmt.Sprintf("%0300d", i+k)}
			for d := range 30 {
				m.Record("message.posted", at.Add(time.Duration(d)*24*time.Hour), true)
			}
			m.AddPoints(30, at)
			doc, err := m.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			return []any{m.ID, doc}
		})
		if err == nil {
			err = s.insertRows(ctx, tx, `INSERT INTO outcomes (kind, member, name, change, at, rule, event) VALUES `, `(?, ?, ?, ?, ?, ?, ?)`, ``, 2*n, func(k int) []any {
				return []any{state.KindPoints, fmt.Sprintf("member-%07d", i+k/2), "post", "grant", at.UnixNano(), "incentive.post", fmt.Sprintf("ev-%09d", i*2+k)}
			})
		}
		if err == nil {
			err = s.insertRows(ctx, tx, `INSERT INTO outbox (key, member, kind, at, next_at, data) VALUES `, `(?, ?, ?, ?, ?, ?)`, ``, n/4, func(k int) []any {
				id := fmt.Sprintf("member-%07d", i+k*4)
				return []any{"welcome:" + id, id, "dm", at.UnixNano(), at.UnixNano(), []byte(`{"kind":"dm","text":"Welcome aboard"}`)}
			})
		}
		if err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// Then events to members all over, a batch of 500 at a time, as a
	// daemon folds them: documents grow, pages split, rows move.
	age := func(updates int, seed int) {
		for done := 0; done < updates; done += 500 {
			b, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for k := range min(500, updates-done) {
				id := fmt.Sprintf("member-%07d", ((done+k)*7919+seed*104729)%members)
				m, err := b.Member(id)
				if err != nil {
					t.Fatal(err)
				}
				m.Record("reaction.added", at.Add(time.Duration(seed)*time.Hour), true)
				m.Attrs["status"] = strings.Repeat("away ", (done+k+seed)%40) // a size that changes
				m.AddPoints(1, at)
				_ = b.SaveMember(m)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	age(members/2, 1)
	id := busyState(t, s, 30, 100) // the member to erase, among others' updates
	if err := s.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	t.Logf("state: %d members, %.0f MiB, built in %v", members, float64(st.Size())/(1<<20), time.Since(start).Round(time.Millisecond))

	erase := func(name, id string) {
		// A batch for another member every 20 ms, timed, while the
		// erase runs: what the daemon's event processing waits.
		var stop atomic.Bool
		lats := make(chan []time.Duration)
		go func() {
			var lat []time.Duration
			for i := 0; !stop.Load(); i++ {
				begin := time.Now()
				b, err := s.Begin(ctx)
				if err == nil {
					_ = b.SaveMember(state.NewMember(fmt.Sprintf("during-%s-%d", name, i), at))
					err = b.Commit()
				}
				if err != nil {
					t.Error(err)
					break
				}
				lat = append(lat, time.Since(begin))
				time.Sleep(20 * time.Millisecond)
			}
			lats <- lat
		}()
		time.Sleep(100 * time.Millisecond)
		rss := peakRSS()
		start := time.Now()
		e, err := s.EraseMember(ctx, id, state.EraseOptions{})
		took := time.Since(start)
		stop.Store(true)
		lat := <-lats
		if err != nil {
			t.Fatal(err)
		}
		if !e.Member {
			t.Fatalf("erased %+v", e)
		}
		slices.Sort(lat)
		t.Logf("%s: %v (read %d pages, wrote %d); %d batches meanwhile, longest commit %v; peak memory %.0f MiB more", name, took.Round(time.Millisecond),
			s.scrubbed[0], s.scrubbed[1], len(lat), lat[len(lat)-1].Round(time.Millisecond), peakRSS()-rss)
	}
	erase("first erase", id)
	age(members/20, 2)
	erase("second erase, after 5% more updates", "member-0000042")
	if got := filesHolding(t, path, eraseMarker); len(got) > 0 {
		t.Errorf("after the erase the member is still in %v", got)
	}
}

// peakRSS is the process's peak resident memory in MiB (Linux counts
// ru_maxrss in KiB).
func peakRSS() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
