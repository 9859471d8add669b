package stackexchange

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeDump writes a dump's files into a new directory.
func writeDump(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVotesInIDOrder imports a day whose vote Ids interleave three posts,
// as on conlang.meta where member 57 got vote 348 (up, post 11), 354 (up,
// post 11) and 363 (down, post 10) on 2018-02-08. Ids are given in
// creation order, so the votes must come in Id order: placed post by post,
// 363 came between 348 and 354 and made a score dip that never happened.
func TestVotesInIDOrder(t *testing.T) {
	dir := writeDump(t, map[string]string{
		fileUsers: `<users>
  <row Id="1" DisplayName="Ann" CreationDate="2020-01-01T08:00:00.000" />
  <row Id="2" DisplayName="Bob" CreationDate="2020-01-01T08:00:00.000" />
</users>`,
		filePosts: `<posts>
  <row Id="10" PostTypeId="1" CreationDate="2020-01-01T09:00:00.000" OwnerUserId="1" Title="Q" Body="q" />
  <row Id="11" PostTypeId="2" ParentId="10" CreationDate="2020-01-01T10:00:00.000" OwnerUserId="1" Body="a" />
  <row Id="12" PostTypeId="1" CreationDate="2020-01-03T14:00:00.000" OwnerUserId="2" Title="New" Body="n" />
</posts>`,
		// Day 3 in Id order: 11, 12, 10, 11, 12, 10; then one vote on day 4.
		fileVotes: `<votes>
  <row Id="50" PostId="11" VoteTypeId="2" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="51" PostId="12" VoteTypeId="2" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="52" PostId="10" VoteTypeId="3" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="53" PostId="11" VoteTypeId="2" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="54" PostId="12" VoteTypeId="2" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="55" PostId="10" VoteTypeId="2" CreationDate="2020-01-03T00:00:00.000" />
  <row Id="56" PostId="12" VoteTypeId="3" CreationDate="2020-01-04T00:00:00.000" />
</votes>`,
		fileComments: `<comments>
  <row Id="7" PostId="12" Text="late" CreationDate="2020-01-03T18:00:00.000" UserId="1" />
</comments>`,
	})
	evs, _ := importDir(t, dir, Options{})
	var got []string
	for _, ev := range evs {
		if ev.At.Before(time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC)) {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s score=%v", ev.At.Format(time.RFC3339Nano), ev.ID, ev.Member.ID, ev.Attrs["score"]))
	}
	want := []string{
		// Post 12 is created at 14:00; its two votes that day, 51 and 54,
		// are placed as before, at thirds of the hour after it.
		// Vote 50 has a smaller Id than 51, so it came before 14:20: the
		// middle of 00:00-14:20.
		"2020-01-03T07:10:00Z se:vote:50:voted 1 score=1",
		"2020-01-03T14:00:00Z se:post:12:created 2 score=0",
		"2020-01-03T14:20:00Z se:vote:51:voted 2 score=1",
		// 52 and 53 lie between 51 and 54: thirds of the middle half of
		// 14:20-14:40.
		"2020-01-03T14:28:20Z se:vote:52:voted 1 score=-1",
		"2020-01-03T14:31:40Z se:vote:53:voted 1 score=2",
		"2020-01-03T14:40:00Z se:vote:54:voted 2 score=2",
		"2020-01-03T18:00:00Z se:comment:7:posted 1 score=<nil>",
		// 55 is the last vote of the day: the middle of 14:40-24:00.
		"2020-01-03T19:20:00Z se:vote:55:voted 1 score=0",
		// The only vote of day 4: noon.
		"2020-01-04T12:00:00Z se:vote:56:voted 2 score=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
