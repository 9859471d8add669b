package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/simulate"
)

// A fed file says which of its events were dated before an event above
// them; fed sorted, the events go in time order and the report is of
// the file.
func TestFeedReportsOutOfOrder(t *testing.T) {
	eb := &fakeBus{}
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Bus = eb })
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	file := dated("o1", day) + dated("o2", day.Add(2*time.Hour)) + dated("o3", day.Add(time.Hour)) + "not json\n" + dated("o4", day.Add(30*time.Minute))
	res, err := f.d.Feed(context.Background(), strings.NewReader(file), 10, nil)
	if err != nil || res.Accepted != 4 || res.Bad != 1 {
		t.Fatalf("feed: %+v %v", res, err)
	}
	o := res.OutOfOrder
	if o == nil || o.Count != 2 || o.Line != 3 || !o.At.Equal(day.Add(time.Hour)) || o.LatestLine != 2 || o.Sorted {
		t.Fatalf("out of order: %+v; want 2, the first on line 3 after line 2", o)
	}
	if res, _ := f.d.Feed(context.Background(), strings.NewReader(dated("o5", day)), 10, nil); res.OutOfOrder != nil {
		t.Errorf("one event in order: %+v", res.OutOfOrder)
	}

	sorted, err := simulate.Sort(strings.NewReader(strings.ReplaceAll(file, `"o`, `"s`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	eb.mu.Lock()
	eb.got = nil
	eb.mu.Unlock()
	res, err = f.d.FeedSource(context.Background(), sorted, 10, nil)
	if err != nil || res.Accepted != 4 || res.Bad != 1 {
		t.Fatalf("sorted feed: %+v %v", res, err)
	}
	if o := res.OutOfOrder; o == nil || o.Count != 2 || o.Line != 3 || !o.Sorted {
		t.Errorf("sorted: %+v; want the file's 2 with Sorted", o)
	}
	eb.mu.Lock()
	defer eb.mu.Unlock()
	var ids []string
	for _, ev := range eb.got {
		ids = append(ids, ev.ID)
	}
	if got := strings.Join(ids, " "); got != "s1 s4 s3 s2" {
		t.Errorf("fed %s; want s1 s4 s3 s2, by time", got)
	}
}
