package stackexchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
)

// FuzzRows feeds arbitrary bytes as one file of the small dump (the others
// stay valid, so rows can refer to users and posts) through the row
// decoder, the row handlers and the event building. It must never panic;
// it either fails with a located *RowError or yields events that are
// time-ordered, uniquely identified, and accepted by events.Parse.
func FuzzRows(f *testing.F) {
	files := []string{fileUsers, filePosts, fileVotes, fileComments, fileHistory}
	small := make([][]byte, len(files))
	for i, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", "small", name))
		if err != nil {
			f.Fatal(err)
		}
		small[i] = data
		f.Add(uint8(i), data)
	}
	f.Add(uint8(1), []byte(`<posts><row Id="1" PostTypeId="2" ParentId="1" AcceptedAnswerId="1" CreationDate="9998-12-31T23:59:59.999" OwnerUserId="1" ViewCount="9223372036854775807" Tags="|||"/></posts>`))
	f.Add(uint8(2), []byte(`<votes><row Id="-5" PostId="10" VoteTypeId="1" CreationDate="1970-01-01T00:00:00"/><row Id="-5" PostId="10" VoteTypeId="99" CreationDate="2020-01-05T00:00:00"/></votes>`))
	f.Add(uint8(3), []byte("<comments><row Id=\"1\" PostId=\"1\" UserId=\"1\" CreationDate=\"2020-01-05T00:00:00\" Text=\"&#x1;&#x2028;\"/></comments>"))
	f.Add(uint8(4), []byte(`<posthistory><row Id="1" PostHistoryTypeId="24" PostId="12" CreationDate="2020-01-05T00:00:00" Comment="Proposed by x"/></posthistory>`))
	f.Add(uint8(0), []byte(`<users><row Id="1" CreationDate="2020-01-01T00:00:00"><row Id="2"/></row></users>`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		which %= uint8(len(files))
		im := newImporter("fuzz", Options{AboutAt: AboutTime(which % 3)})
		for i, st := range im.steps() {
			in := small[i]
			if uint8(i) == which {
				in = data
			}
			if err := im.read(context.Background(), bytes.NewReader(in), st.file, st.fn); err != nil {
				var re *RowError
				if !errors.As(err, &re) || re.File != files[which] {
					t.Fatalf("error %v is not a *RowError of %s", err, files[which])
				}
				return
			}
		}
		evs := im.build()
		ids := map[string]bool{}
		for i := range evs {
			if i > 0 && evs[i].At.Before(evs[i-1].At) {
				t.Fatalf("event %s out of order", evs[i].ID)
			}
			if ids[evs[i].ID] {
				t.Fatalf("duplicate id %s", evs[i].ID)
			}
			ids[evs[i].ID] = true
			line, err := json.Marshal(&evs[i])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := events.Parse(line); err != nil {
				t.Fatalf("event does not parse back: %v\n%.300s", err, line)
			}
		}
	})
}
