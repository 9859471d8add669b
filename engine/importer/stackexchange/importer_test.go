package stackexchange

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

var update = flag.Bool("update", false, "rewrite testdata/small.golden.jsonl from the importer's output")

// TestSmallGolden imports the synthetic dump in testdata/small and compares
// the bytes with the golden file. Run with -update after a deliberate
// change, then check the diff against TestSmallByHand.
func TestSmallGolden(t *testing.T) {
	evs, _ := importDir(t, "testdata/small", Options{})
	got := jsonl(t, evs)
	golden := "testdata/small.golden.jsonl"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("line %d differs from %s (run go test -run TestSmallGolden -update to accept):\n got: %s\nwant: %s", i+1, golden, g, w)
			}
		}
	}
}

// TestSmallByHand checks the synthetic dump's events against expectations
// worked out by hand from the XML (see the comments for the arithmetic).
func TestSmallByHand(t *testing.T) {
	evs, sum := importDir(t, "testdata/small", Options{})
	want := []string{
		"2020-01-01T10:00:00Z member.joined 1 se:user:1:joined",
		"2020-01-01T10:00:00Z member.profile_updated 1 se:user:1:profile",
		"2020-01-02T09:00:00Z member.joined 2 se:user:2:joined",
		"2020-01-02T09:00:00Z member.profile_updated 2 se:user:2:profile",
		"2020-01-03T00:00:00Z member.joined 3 se:user:3:joined",
		"2020-01-03T00:00:00Z member.profile_updated 3 se:user:3:profile",
		"2020-01-05T12:00:00Z post.created 1 se:post:10:created",
		// Two votes on the creation day split the hour after 12:00 in three.
		"2020-01-05T12:20:00Z post.voted 1 se:vote:100:voted",
		"2020-01-05T12:30:00Z message.posted 2 se:comment:200:posted",
		"2020-01-05T12:40:00Z post.voted 1 se:vote:101:voted",
		"2020-01-05T13:00:00Z post.created 2 se:post:11:created",
		// Vote 102, on answer 11 from the day before, has a smaller Id
		// than 104, the one vote on answer 12 created at 08:00, which is
		// aimed at the middle of 08:00-09:00: 102 is the middle of
		// 00:00-08:30.
		"2020-01-06T04:15:00Z post.voted 2 se:vote:102:voted",
		"2020-01-06T08:00:00Z post.created 1 se:post:12:created",
		"2020-01-06T08:30:00Z post.voted 1 se:vote:104:voted",
		"2020-01-06T10:00:00Z post.edited 2 se:history:302:edited",
		"2020-01-06T10:00:00Z post.edited 2 se:history:303:edited",
		"2020-01-06T11:00:00Z post.edited 1 se:history:304:edited",
		// Question 13 (no owner, created 00:00) gets vote 109 (no event)
		// aimed at 00:30; accept 103 has a smaller Id: 00:15. Answer 14
		// was accepted with no accept vote row: dated like a vote on 14's
		// creation day, after the day's real votes.
		"2020-01-07T00:15:00Z post.accepted 2 se:vote:103:accepted",
		"2020-01-07T01:00:00Z post.created 3 se:post:14:created",
		"2020-01-07T01:30:00Z post.accepted 3 se:post:14:accepted",
		// Two votes (the favorite 107 is not one) with no anchor that
		// day: thirds of its middle half, 06:00-18:00.
		"2020-01-08T09:00:00Z post.edited 3 se:history:305:edited",
		"2020-01-08T10:00:00Z post.edited 1 se:history:308:edited",
		"2020-01-08T10:00:00Z post.voted 1 se:vote:105:voted",
		"2020-01-08T14:00:00Z post.voted 1 se:vote:106:voted",
		"2020-01-09T00:00:00Z message.posted 3 se:comment:203:posted",
		// 2000 views from 2020-01-05T12:00 to the dump's end (user 1's last
		// access, 2020-03-01T00:00, 55.5 days): 1000 after 27.75 days.
		"2020-02-02T06:00:00Z post.viewed 1 se:post:10:viewed:1000",
	}
	var got []string
	byID := map[string]events.Event{}
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s %s %s %s", ev.At.Format(time.RFC3339Nano), ev.Type, ev.Member.ID, ev.ID))
		byID[ev.ID] = ev
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	attrs := map[string]string{
		"se:user:1:profile":      "about=<p>Hi</p> downvotes=1 location=Paris reputation=101 upvotes=3 views=5 website=https://ann.example",
		"se:user:3:joined":       "name=Cy & Co <3>",
		"se:post:10:created":     "kind=question length=11 post_id=10 score=0 tags=[a b-c] title=How?",
		"se:post:11:created":     "kind=answer length=10 parent_id=10 parent_member=1 post_id=11 score=0",
		"se:post:14:created":     "kind=answer length=2 parent_id=13 post_id=14 score=0",
		"se:vote:101:voted":      "kind=question post_id=10 score=2 self_answer=false vote=up",
		"se:vote:104:voted":      "kind=answer parent_id=10 parent_member=1 post_id=12 score=-1 self_answer=true vote=down",
		"se:vote:105:voted":      "kind=question post_id=10 score=1 self_answer=false vote=down",
		"se:vote:103:accepted":   "parent_id=10 parent_member=1 post_id=11 score=1 self_answer=false",
		"se:post:14:accepted":    "parent_id=13 post_id=14 score=0 self_answer=false",
		"se:comment:200:posted":  "channel=comments length=18 post_id=10 text=Nice & <b>bold</b>",
		"se:comment:203:posted":  "channel=comments length=5 post_id=10 text=héllo",
		"se:history:303:edited":  "field=title kind=question owner=1 post_id=10",
		"se:history:305:edited":  "field=body kind=answer owner=1 post_id=12",
		"se:history:308:edited":  "field=body kind=tag_wiki owner=-1 post_id=15",
		"se:post:10:viewed:1000": "kind=question post_id=10 views=1000",
		"se:user:2:profile":      "about= downvotes=0 location= reputation=1 upvotes=0 views=0 website=",
		"se:history:304:edited":  "field=tags kind=answer owner=2 post_id=11",
		"se:vote:102:voted":      "kind=answer parent_id=10 parent_member=1 post_id=11 score=1 self_answer=false vote=up",
		"se:vote:106:voted":      "kind=question post_id=10 score=2 self_answer=false vote=up",
		"se:history:302:edited":  "field=body kind=question owner=1 post_id=10",
		"se:user:1:joined":       "name=Ann",
		"se:vote:100:voted":      "kind=question post_id=10 score=1 self_answer=false vote=up",
		"se:post:12:created":     "kind=answer length=1 parent_id=10 parent_member=1 post_id=12 score=0",
		"se:user:3:profile":      "about= downvotes=0 location= reputation=15 upvotes=0 views=1 website=",
		"se:user:2:joined":       "name=Bob",
	}
	for id, want := range attrs {
		ev, ok := byID[id]
		if !ok {
			t.Errorf("no event %s", id)
			continue
		}
		if got := fmtAttrs(ev.Attrs); got != want {
			t.Errorf("%s attrs:\n got %s\nwant %s", id, got, want)
		}
	}
	if byID["se:user:3:joined"].Member.Name != "Cy & Co <3>" {
		t.Errorf("member name %q", byID["se:user:3:joined"].Member.Name)
	}

	skipped := map[string]int{}
	for _, c := range sum.Skipped {
		skipped[c.File+": "+c.Reason] = c.Rows
	}
	wantSkipped := map[string]int{
		"Users.xml: Community user (-1), not a member":           1,
		"Posts.xml: no OwnerUserId (deleted user)":               1, // question 13
		"Votes.xml: post not in Posts.xml (deleted post)":        1, // 108
		"Votes.xml: post owner: no OwnerUserId (deleted user)":   1, // 109 on question 13
		"Comments.xml: no UserId (deleted user)":                 1, // 201
		"Comments.xml: by the Community user (-1), not a member": 1, // 202
		"PostHistory.xml: post not in Posts.xml (deleted post)":  1, // 307
	}
	if fmt.Sprint(skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("skipped %v\nwant %v", skipped, wantSkipped)
	}
	if sum.Members != 3 || sum.Total != len(want) || sum.Events["post.voted"] != 6 {
		t.Errorf("summary: %+v", sum)
	}
}

func fmtAttrs(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", k, m[k])
	}
	return b.String()
}

// TestAboutElsewhere checks the non-default About Me estimates emit a
// second profile event at the chosen time, and the first has no text.
func TestAboutElsewhere(t *testing.T) {
	for _, c := range []struct {
		h    AboutTime
		want string
	}{
		{AboutAtFirstActivity, "2020-01-05T12:00:00Z"}, // question 10
		{AboutAtLastAccess, "2020-03-01T00:00:00Z"},
	} {
		evs, _ := importDir(t, "testdata/small", Options{AboutAt: c.h})
		var first, about events.Event
		for _, ev := range evs {
			switch ev.ID {
			case "se:user:1:profile":
				first = ev
			case "se:user:1:about":
				about = ev
			case "se:user:3:about":
				t.Errorf("%v: whitespace About Me is not filled in", c.h)
			}
		}
		if first.Attrs["about"] != "" || about.Attrs["about"] != "<p>Hi</p>" || about.At.Format(time.RFC3339) != c.want {
			t.Errorf("%v: profile %v, about %v at %s; want about at %s", c.h, first.Attrs, about.Attrs, about.At, c.want)
		}
	}
}

func TestPlaceVotes(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	day := func(s string) time.Time { return at(s + "T00:00:00Z") }
	a := &post{id: 1, created: at("2020-01-05T23:30:00Z")}
	b := &post{id: 2, created: at("2020-01-07T10:00:00Z")}
	c := &post{id: 3, created: at("2020-01-07T09:00:00Z")}
	d := &post{id: 4, created: at("2020-01-10T05:00:00Z")}
	votes := []castVote{
		{post: a, id: 1, day: day("2020-01-05")}, {post: a, id: 2, day: day("2020-01-05")}, {post: a, id: 3, day: day("2020-01-05")},
		{post: b, id: 10, day: day("2020-01-07")}, {post: c, id: 11, day: day("2020-01-07")},
		{post: a, id: 20, day: day("2020-01-08")}, {post: a, id: 21, day: day("2020-01-08")}, {post: a, id: 22, day: day("2020-01-08")},
		{post: d, id: 30, day: day("2020-01-09")}, // dated before its post: must still come after it
		{post: a, id: 31, day: day("2020-01-10")},
	}
	got := placeVotes(votes)
	want := []string{
		"2020-01-05T23:37:30Z", // 3 votes in the 30 minutes left of the day: quarters
		"2020-01-05T23:45:00Z",
		"2020-01-05T23:52:30Z",
		"2020-01-07T10:30:00Z", // the middle of the hour after b
		// c's vote aims at 09:30, but its Id is after b's vote: it is
		// spread over what is left of the day instead.
		"2020-01-07T17:15:00Z",
		// Votes on an older post, with no anchor that day: quarters of
		// the day's middle half, 06:00-18:00.
		"2020-01-08T09:00:00Z",
		"2020-01-08T12:00:00Z",
		"2020-01-08T15:00:00Z",
		"2020-01-10T05:00:00.001Z", // d's creation day is later: 1ms after it
		"2020-01-10T12:00:00Z",     // the next day's vote is its middle
	}
	for i := range want {
		if s := got[i].Format(time.RFC3339Nano); s != want[i] {
			t.Errorf("vote %d at %s, want %s", votes[i].id, s, want[i])
		}
	}
	// Many votes in a short window still get strictly increasing times.
	late := &post{id: 5, created: at("2020-01-05T23:59:59Z").Add(999 * time.Millisecond)}
	many := make([]castVote, 5000)
	for i := range many {
		many[i] = castVote{post: late, id: int64(i), day: day("2020-01-05")}
	}
	ts := placeVotes(many)
	for i := 1; i < len(ts); i++ {
		if !ts[i].After(ts[i-1]) {
			t.Fatalf("vote %d at %s is not after %s", i, ts[i], ts[i-1])
		}
	}
}

func TestParseTags(t *testing.T) {
	for in, want := range map[string]string{"<a><b-c>": "[a b-c]", "|x|y|": "[x y]", "": "[]", "<c#>": "[c#]"} {
		if got := fmt.Sprint(parseTags(in)); got != want {
			t.Errorf("parseTags(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestMalformed checks broken dumps give an error naming the file and
// the row or line, and never a panic or a partial result.
func TestMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/small/Posts.xml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"truncated", "Posts.xml", string(good[:len(good)/2]), []string{"Posts.xml line", "after row", "malformed XML"}},
		{"bad date", "Posts.xml", strings.Replace(string(good), `CreationDate="2020-01-06T08:00:00.000"`, `CreationDate="yesterday"`, 1),
			[]string{"Posts.xml row 3 (line 5, Id 12)", `attribute CreationDate: "yesterday" is not a date`}},
		{"bad id", "Votes.xml", "<votes>\n<row Id=\"x1\" PostId=\"10\" VoteTypeId=\"2\" CreationDate=\"2020-01-05T00:00:00.000\" />\n</votes>",
			[]string{"Votes.xml row 1 (line 2, Id x1)", `attribute Id: "x1" is not an integer`}},
		{"missing attribute", "Comments.xml", "<comments>\n<row Id=\"1\" PostId=\"10\" Text=\"t\" UserId=\"2\" />\n</comments>",
			[]string{"Comments.xml row 1 (line 2, Id 1)", "missing attribute CreationDate"}},
		{"unclosed tag", "PostHistory.xml", "<posthistory>\n<row Id=\"1\" PostHistoryTypeId=\"5\"\n</posthistory>", []string{"PostHistory.xml line 3", "malformed XML"}},
		{"empty", "Users.xml", "", []string{"Users.xml: no XML root element"}},
		{"not xml", "Users.xml", "Id,Name\n1,Ann\n", []string{"Users.xml: no XML root element"}},
		{"two roots", "Users.xml", "<users></users>\n<users></users>", []string{"Users.xml line 2", "more than one root element"}},
		{"bad utf-8", "Comments.xml", "<comments>\n<row Id=\"1\" PostId=\"10\" Text=\"\xff\" CreationDate=\"2020-01-05T00:00:00.000\" UserId=\"2\" />\n</comments>", []string{"Comments.xml line 2", "UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"Users.xml", "Posts.xml", "Votes.xml", "Comments.xml", "PostHistory.xml"} {
				data, err := os.ReadFile(filepath.Join("testdata/small", f))
				if err != nil {
					t.Fatal(err)
				}
				if f == c.file {
					data = []byte(c.content)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			evs, sum, err := Import(context.Background(), dir, Options{})
			if err == nil {
				t.Fatalf("no error; %d events", len(evs))
			}
			if evs != nil || sum != nil {
				t.Error("partial result returned with an error")
			}
			var re *RowError
			if !errors.As(err, &re) || re.File != c.file {
				t.Errorf("error %v is not a *RowError for %s", err, c.file)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Import(context.Background(), dir, Options{}); err == nil || !strings.Contains(err.Error(), "Users.xml not found") {
		t.Errorf("empty dir: %v", err)
	}
	for _, f := range []string{"Users.xml", "Posts.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata/small", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	evs, sum, err := Import(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Notes) != 3 || sum.Events["post.created"] != 4 || len(evs) == 0 {
		t.Errorf("notes %v, events %v", sum.Notes, sum.Events)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	b.WriteString("<votes>\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "<row Id=\"%d\" PostId=\"1\" VoteTypeId=\"5\" CreationDate=\"2020-01-01T00:00:00.000\"/>\n", i)
	}
	b.WriteString("</votes>\n")
	_, err := decodeRows(ctx, strings.NewReader(b.String()), "Votes.xml", func(*row) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"Users.xml", "Posts.xml", "Votes.xml", "Comments.xml", "PostHistory.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata/small", f))
		if err != nil {
			t.Fatal(err)
		}
		// Repeat every row: each second copy must be skipped.
		var out []string
		for _, line := range strings.Split(string(data), "\n") {
			out = append(out, line)
			if strings.Contains(line, "<row ") {
				out = append(out, line)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	evs, sum := importDir(t, dir, Options{})
	want, _ := importDir(t, "testdata/small", Options{})
	if !bytes.Equal(jsonl(t, evs), jsonl(t, want)) {
		t.Error("duplicated rows changed the events")
	}
	dups := 0
	for _, c := range sum.Skipped {
		if c.Reason == "duplicate Id" {
			dups += c.Rows
		}
	}
	if dups != 4+6+10+4+10 {
		t.Errorf("%d duplicates counted, want 34", dups)
	}
}
