package stackexchange

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
)

// realDump is the conlang.meta dump, shared beside the repository
// (/work/main -> /work/shared/data). Tests using it skip when it is absent.
func realDump(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "data", "stackexchange", "conlang.meta")
	if _, err := os.Stat(filepath.Join(dir, "Users.xml")); err != nil {
		t.Skipf("real dump not found at %s (shared data missing); skipping", dir)
	}
	return dir
}

func importDir(t testing.TB, dir string, opts Options) ([]events.Event, *Summary) {
	t.Helper()
	evs, sum, err := Import(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return evs, sum
}

func jsonl(t testing.TB, evs []events.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSONL(&b, evs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// xmlRows reads a dump file with encoding/xml's Unmarshal, independently of
// the importer's streaming decoder, as a list of attribute maps.
func xmlRows(t testing.TB, dir, file string) []map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rows []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"row"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := make([]map[string]string, len(doc.Rows))
	for i, r := range doc.Rows {
		m := map[string]string{}
		for _, a := range r.Attrs {
			m[a.Name.Local] = a.Value
		}
		out[i] = m
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestRealDump(t *testing.T) {
	dir := realDump(t)
	evs, sum := importDir(t, dir, Options{})

	users := xmlRows(t, dir, "Users.xml")
	wantMembers := 0
	for _, u := range users {
		if atoi(u["Id"]) > 0 {
			wantMembers++
		}
	}
	joined := map[string]bool{}
	for _, ev := range evs {
		if ev.Type == "member.joined" {
			joined[ev.Member.ID] = true
		}
	}
	if sum.Members != wantMembers || len(joined) != wantMembers || wantMembers != 271 {
		t.Errorf("members: summary %d, joined events %d; Users.xml has %d rows with Id > 0 (want 271)", sum.Members, len(joined), wantMembers)
	}

	// Time order, unique ids, and every member event after its join.
	ids := map[string]bool{}
	for i, ev := range evs {
		if i > 0 && ev.At.Before(evs[i-1].At) {
			t.Fatalf("event %d (%s) at %s is before the previous one at %s", i, ev.ID, ev.At, evs[i-1].At)
		}
		if ids[ev.ID] {
			t.Fatalf("duplicate event id %s", ev.ID)
		}
		ids[ev.ID] = true
		if !joined[ev.Member.ID] {
			t.Errorf("%s: member %s has no member.joined", ev.ID, ev.Member.ID)
		}
		if ev.Source != Source {
			t.Errorf("%s: source %q", ev.ID, ev.Source)
		}
	}

	// Every line parses back, and matches the attribute types the
	// standard event types declare (what rules are compiled against).
	std := map[string]rules.EventType{}
	for _, et := range rules.StandardEvents() {
		std[et.Name] = et
	}
	out := jsonl(t, evs)
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	for i, line := range lines {
		ev, err := events.Parse(line)
		if err != nil {
			t.Fatalf("line %d does not parse: %v\n%s", i+1, err, line)
		}
		if ev.ID != evs[i].ID || !ev.At.Equal(evs[i].At) || ev.Member.ID != evs[i].Member.ID {
			t.Fatalf("line %d round-trips to %+v", i+1, ev)
		}
		et, ok := std[ev.Type]
		if !ok {
			t.Fatalf("%s: %s is not a standard event type", ev.ID, ev.Type)
		}
		for k := range ev.Attrs {
			if _, ok := et.Attrs[k]; !ok {
				t.Errorf("%s: attr %q is not declared for %s", ev.ID, k, ev.Type)
			}
		}
		if _, err := events.RuleView(&ev, &et); err != nil {
			t.Errorf("%s: %v", ev.ID, err)
		}
	}

	// Determinism: a second import gives the same bytes.
	again, _ := importDir(t, dir, Options{})
	if !bytes.Equal(out, jsonl(t, again)) {
		t.Error("two imports of the same dump differ")
	}

	// Final scores rebuilt from the vote stream against Posts.xml Score,
	// for every question and answer that has events.
	final := map[string]int{}
	for _, ev := range evs {
		switch ev.Type {
		case "post.created":
			final[ev.Attrs["post_id"].(string)] = 0
		case "post.voted":
			final[ev.Attrs["post_id"].(string)] = ev.Attrs["score"].(int)
		}
	}
	match, total := 0, 0
	for _, p := range xmlRows(t, dir, "Posts.xml") {
		got, ok := final[p["Id"]]
		if !ok {
			continue
		}
		total++
		if got == atoi(p["Score"]) {
			match++
		}
	}
	pct := 100 * float64(match) / float64(total)
	t.Logf("final scores rebuilt from votes equal Posts.xml Score for %d of %d posts (%.1f%%)", match, total, pct)
	if pct < 95 || total != sum.Events["post.created"] {
		t.Errorf("scores: %d of %d match (%.1f%%), want >= 95%% of the %d created posts", match, total, pct, sum.Events["post.created"])
	}

	// Known facts of conlang.meta.
	byID := map[string]events.Event{}
	for _, ev := range evs {
		byID[ev.ID] = ev
	}
	q := byID["se:post:1:created"]
	if q.Member.ID != "14" || q.Attrs["title"] != "Are questions asked in conlangs accepted on this site?" ||
		!slices.Equal(q.Attrs["tags"].([]string), []string{"discussion", "on-topic"}) || q.At.Format("2006-01-02T15:04:05.000") != "2018-02-06T20:19:50.957" {
		t.Errorf("post 1: %+v", q)
	}
	a := byID["se:vote:21:accepted"] // answer 8 (user 2) to question 3 (user 19)
	if a.Type != "post.accepted" || a.Member.ID != "2" || a.Attrs["parent_member"] != "19" || a.Attrs["post_id"] != "8" {
		t.Errorf("accept of answer 8: %+v", a)
	}
	c := byID["se:comment:2:posted"]
	if c.Member.ID != "31" || c.Attrs["text"] != "I assumed the icon is a short form of `artificial languages`." || c.Attrs["post_id"] != "3" {
		t.Errorf("comment 2: %+v", c)
	}
	e := byID["se:history:12:edited"]
	if e.Type != "post.edited" || e.Member.ID != "2" || e.Attrs["field"] != "body" || e.Attrs["kind"] != "question" {
		t.Errorf("edit 12: %+v", e)
	}
	if _, ok := byID["se:post:2:created"]; ok {
		t.Error("post 2 has no OwnerUserId (deleted user) and must be skipped")
	}
	wantSkip := map[string]int{
		"Users.xml: Community user (-1), not a member": 1,
		"Posts.xml: no OwnerUserId (deleted user)":     6,
		"Comments.xml: no UserId (deleted user)":       14,
	}
	for _, s := range sum.Skipped {
		if w, ok := wantSkip[s.File+": "+s.Reason]; ok && w != s.Rows {
			t.Errorf("skipped %s %q: %d rows, want %d", s.File, s.Reason, s.Rows, w)
		}
	}
	// Counts worked out from the XML: 169 questions and answers less 6
	// with no owner and 1 owned by Community; 230 comments less 14 by
	// deleted users; 130 title/body/tags edits less 23 by Community and 2
	// by deleted users (both applied suggestions are also type 5 rows);
	// 11 accepts less one of an answer by a deleted user.
	wantEvents := map[string]int{
		"member.joined": 271, "member.profile_updated": 271, "post.created": 162, "message.posted": 216,
		"post.edited": 105, "post.voted": 1016, "post.accepted": 10,
	}
	if fmt.Sprint(sum.Events) != fmt.Sprint(wantEvents) {
		t.Errorf("events per type %v, want %v", sum.Events, wantEvents)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", text.String())
	if _, err := json.Marshal(sum); err != nil {
		t.Error(err)
	}
}
