package sqlite

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A database written before migration 17 holds members in segments that
// no move counted: the migration anchors the size history on them, a
// correction on the day of the latest event, and the binary documents
// are read for it.
func TestSizesMigrationAnchors(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, sizesMigration-1)
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i, segs := range [][]string{{"chatty", "posters"}, {"posters"}} {
		m := state.NewMember("u"+strconv.Itoa(i), at)
		m.LastEventAt = at.Add(-time.Duration(i) * 24 * time.Hour)
		m.Segments = map[string]time.Time{}
		for _, s := range segs {
			m.Segments[s] = at
		}
		doc, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO members (id, data) VALUES (?, ?)`, m.ID, doc); err != nil {
			t.Fatal(err)
		}
	}
	// One entry to posters was counted, before the latest day.
	if _, err := db.Exec(`INSERT INTO tallies (key, n) VALUES (?, 1)`, state.TallySegmentEnter+"posters/"+strconv.Itoa(int(state.DayOf(at))-3)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Tallies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := strconv.Itoa(int(state.DayOf(at)))
	for k, n := range map[string]int64{
		state.TallySegmentFix + "posters/" + day: 1, state.TallySegmentFix + "chatty/" + day: 1, state.TallySizesAnchor + day: 1,
	} {
		if got[k] != n {
			t.Errorf("%s = %d; want %d (tallies %v)", k, got[k], n, got)
		}
	}
	if d, err := s.AnchorSizes(ctx); err != nil || d != nil {
		t.Errorf("anchoring again: %v, %v; want nothing", d, err)
	}
}
