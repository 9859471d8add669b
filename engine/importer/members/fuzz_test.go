package members

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
)

// FuzzDecode feeds arbitrary bytes through the CSV and JSON lines
// decoders. They must never panic: an import either fails with located
// row errors (a file, a line from 1, and never more than MaxErrors), or
// yields one event per distinct member, each with the member's
// deterministic id, that events.Parse accepts as it was written.
func FuzzDecode(f *testing.F) {
	f.Add(false, []byte("id,discord,joined,points,badges,tier,country\nann,1,2023-04-01,10,a;b,core,DE\n"))
	f.Add(false, []byte("\xef\xbb\xbfID,Email\r\n\"a,b\",\"x\"\"y\"\r\n"))
	f.Add(false, []byte("id,name\n\"ann\",\"A\nB\"\nbob,\"\n"))
	f.Add(false, []byte("id,points\nann,99999999999999999999\nbob,+3\n"))
	f.Add(false, []byte("id,joined\nann,0001-01-01T00:00:00Z\nbob,9999-12-31\n"))
	f.Add(true, []byte(`{"id":"ann","points":4,"badges":["x"],"vip":true}`+"\n"+`{"id":"bob","id":"c"}`))
	f.Add(true, []byte(`{"id":"ann","points":1e400}`+"\n[]\nnull\n"+`{"id":"\u0000"}`))
	f.Fuzz(func(t *testing.T, jsonl bool, data []byte) {
		format := FormatCSV
		if jsonl {
			format = FormatJSONL
		}
		evs, sum, err := Import(context.Background(), bytes.NewReader(data), Options{File: "fuzz", Format: format, At: importAt})
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(errs.List) == 0 || len(errs.List) > MaxErrors {
				t.Fatalf("error %v (%T): want 1 to %d row errors", err, err, MaxErrors)
			}
			for _, e := range errs.List {
				if e.File != "fuzz" || e.Line < 1 {
					t.Fatalf("row error without a place: %+v", e)
				}
			}
			return
		}
		if sum.Members != len(evs) {
			t.Fatalf("summary says %d members for %d events", sum.Members, len(evs))
		}
		seen := map[string]bool{}
		for i := range evs {
			ev := &evs[i]
			if seen[ev.Member.ID] || ev.ID != EventID(ev.Member.ID) || ev.Type != events.MemberImported {
				t.Fatalf("event %d: %+v", i, ev)
			}
			seen[ev.Member.ID] = true
			b, err := events.Marshal(ev)
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			if _, err := events.Parse(b); err != nil {
				t.Fatalf("event %d %s refused by events.Parse: %v", i, b, err)
			}
		}
	})
}
