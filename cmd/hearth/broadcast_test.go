package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// campaign show of a scheduled campaign gives its schedule, the members
// in its audience now and its next three occurrences by the clock, in
// text and -json; the occurrences replay ran are runs keyed by date.
func TestCampaignShowSchedule(t *testing.T) {
	dir := t.TempDir()
	src := `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
template "hi" {
  text = { en = "Hi" }
}
segment "everyone" {
  when = "true"
}
campaign "digest" {
  audience = segment.everyone
  schedule {
    every     = "month"
    day       = 1
    at        = "10:00"
    time_zone = "Europe/Berlin"
  }
  step "send" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`
	events := `{"id":"1","type":"member.joined","member":"ann","at":"2026-11-20T09:00:00Z"}
{"id":"2","type":"member.joined","member":"bob","at":"2026-12-15T09:00:00Z"}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	now := time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &out, lookupEnv: func(string) (string, bool) { return "", false }, now: func() time.Time { return now }}
	cli := func(args ...string) (int, string) {
		out.Reset()
		return run(context.Background(), args, s), out.String()
	}
	if c, o := cli("replay", "-events", file, "-until", "now", dir); c != 0 {
		t.Fatalf("replay: %d %s", c, o)
	}
	c, o := cli("campaign", "show", "digest", dir)
	for _, want := range []string{
		"Schedule: every month on day 1 at 10:00 Europe/Berlin; a send of an occurrence goes out at most 1d late (late_by).",
		"Audience: 2 members in the audience now would get the next occurrence.",
		"Next occurrences: 2027-02-01 10:00 CET (09:00 UTC), 2027-03-01 10:00 CET (09:00 UTC), 2027-04-01 10:00 CEST (08:00 UTC).",
		// ann: December and January; bob: January.
		"Campaign digest: 3 runs of 2 members entered of 2 stored",
	} {
		if c != 0 || !strings.Contains(o, want) {
			t.Errorf("campaign show: %d, no %q\n%s", c, want, o)
		}
	}
	c, o = cli("campaign", "show", "-json", "digest", dir)
	var rep struct {
		Schedule struct {
			Every, Day, At, TimeZone string
			Audience                 int
			Next                     []time.Time
		}
	}
	if err := json.Unmarshal([]byte(o), &rep); c != 0 || err != nil {
		t.Fatalf("campaign show -json: %d %v\n%s", c, err, o)
	}
	if sc := rep.Schedule; sc.Every != "month" || sc.Day != "1" || sc.At != "10:00" || sc.Audience != 2 || len(sc.Next) != 3 || !sc.Next[0].Equal(time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("schedule in -json: %+v\n%s", sc, o)
	}
}
