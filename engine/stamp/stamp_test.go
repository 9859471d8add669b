package stamp_test

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/stamp"
)

// Stamps of one width sort as text in time order, which RFC 3339 with
// trailing zeros trimmed does not ("56.97Z" sorts after "56.971Z" but
// "56Z" after both).
func TestFixedWidthSortsByTime(t *testing.T) {
	base := time.Date(2020, 8, 25, 0, 49, 56, 0, time.UTC)
	times := []time.Time{
		base.Add(970 * time.Millisecond),
		base,
		base.Add(971 * time.Millisecond),
		base.Add(5 * time.Nanosecond),
		base.Add(time.Second).In(time.FixedZone("x", 3600)),
	}
	var texts []string
	for _, tm := range times {
		s := stamp.Format(tm)
		if len(s) != len(stamp.Layout) {
			t.Errorf("%s: width %d, want %d", s, len(s), len(stamp.Layout))
		}
		texts = append(texts, s)
	}
	sort.Strings(texts)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i, s := range texts {
		back, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		if !back.Equal(times[i]) {
			t.Errorf("text order %d: %s, want %s", i, s, stamp.Format(times[i]))
		}
	}
	if got := stamp.Format(base.Add(970 * time.Millisecond)); got != "2020-08-25T00:49:56.970000000Z" {
		t.Errorf("Format = %s", got)
	}
}

func TestJSON(t *testing.T) {
	in := struct {
		At   stamp.Time `json:"at"`
		None stamp.Time `json:"none,omitzero"`
	}{At: stamp.Of(time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"at":"2026-01-02T03:04:05.006000000Z"}` {
		t.Errorf("got %s", b)
	}
	var out struct{ At stamp.Time }
	if err := json.Unmarshal(b, &out); err != nil || !out.At.Equal(in.At.Time) {
		t.Errorf("round trip: %v %v", out.At, err)
	}
}
