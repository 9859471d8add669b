package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// TestMeasureBackup measures what a backup of a state of 100,000 members
// holds up while batches commit: the figures the README gives. It runs
// only with HEARTH_MEASURE_BACKUP=1 (it writes a few hundred MB).
func TestMeasureBackup(t *testing.T) {
	if os.Getenv("HEARTH_MEASURE_BACKUP") != "1" {
		t.Skip("set HEARTH_MEASURE_BACKUP=1 to measure")
	}
	ctx := context.Background()
	s, path := openAt(t)
	defer s.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const members = 100000
	member := func(b state.Batch, i int) *state.Member {
		id := fmt.Sprintf("member-%06d", i)
		m, err := b.Member(id)
		if err != nil {
			m = state.NewMember(id, at)
			m.Name = fmt.Sprintf("Member number %d", i)
			m.Attrs = map[string]any{"locale": "en", "timezone": "Europe/Berlin", "bio": fmt.Sprintf("%0300d", i)}
		}
		return m
	}
	seq := 0
	commit := func(ids []int) time.Duration {
		start := time.Now()
		b, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range ids {
			m := member(b, i)
			for d := range 30 {
				m.Record("message.posted", at.Add(time.Duration(d)*24*time.Hour), true)
			}
			m.AddPoints(1, at)
			seq++
			if _, err := b.Claim(fmt.Sprintf("ev-%09d", seq), at); err != nil {
				t.Fatal(err)
			}
			_ = b.SaveMember(m)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for i := 0; i < members; i += 1000 {
		ids := make([]int, 1000)
		for k := range ids {
			ids[k] = i + k
		}
		commit(ids)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	t.Logf("state: %d members, %.1f MiB", members, float64(st.Size())/(1<<20))

	// Batches of 100 events to random members, back to back, timed;
	// first without a backup, then while one is made.
	load := func(stop *atomic.Bool) []time.Duration {
		var lat []time.Duration
		n := 0
		for !stop.Load() {
			ids := make([]int, 100)
			for k := range ids {
				ids[k] = (n*7919 + k*104729) % members
			}
			n++
			lat = append(lat, commit(ids))
		}
		return lat
	}
	report := func(name string, lat []time.Duration, took time.Duration) {
		slices.Sort(lat)
		t.Logf("%s: %d batches (%.0f events/s), commit p50 %v p99 %v max %v", name, len(lat), float64(len(lat)*100)/took.Seconds(),
			lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	var stop atomic.Bool
	done := make(chan []time.Duration)
	go func() { done <- load(&stop) }()
	time.Sleep(3 * time.Second)
	stop.Store(true)
	report("without a backup", <-done, 3*time.Second)

	stop.Store(false)
	go func() { done <- load(&stop) }()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	_ = s.Flush(ctx)
	t.Logf("folding what was journaled first: %v", time.Since(start))
	f, err := s.BackupFile(ctx)
	took := time.Since(start)
	stop.Store(true)
	lat := <-done
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	f.Close()
	report("during the backup", lat, took+500*time.Millisecond)
	t.Logf("backup: %.1f MiB in %v", float64(fi.Size())/(1<<20), took)

	// A read of a member not in memory (as the daemon's Preload does)
	// while a backup runs.
	stop.Store(false)
	var reads []time.Duration
	go func() {
		for !stop.Load() {
			start := time.Now()
			b, _ := s.Begin(ctx)
			_, _ = b.Member(fmt.Sprintf("member-%06d", len(reads)*37%members))
			_ = b.Rollback()
			reads = append(reads, time.Since(start))
			time.Sleep(time.Millisecond)
		}
		done <- nil
	}()
	start = time.Now()
	dst := filepath.Join(t.TempDir(), "b.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	t.Logf("second backup %v", time.Since(start))
	stop.Store(true)
	<-done
	slices.Sort(reads)
	t.Logf("member reads during it: %d, p50 %v max %v", len(reads), reads[len(reads)/2], reads[len(reads)-1])
	start = time.Now()
	info, err := Verify(ctx, dst)
	t.Logf("verify %v: %+v %v", time.Since(start), info, err)
}
