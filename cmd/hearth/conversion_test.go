package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A run that finished and then reached the goal within the campaign's
// conversion window is counted as goal by hearth campaign show, which
// says how many did so after the last step, and by hearth simulate.
func TestConversionWindowInCampaignShowAndSimulate(t *testing.T) {
	dir := t.TempDir()
	src := conversionHead + `
campaign "welcome" {
  community         = community.c
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "3d"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`
	events := `{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-01-01T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-01-02T10:00:00Z"}
{"id":"p2","type":"message.posted","member":"bob","at":"2026-01-05T10:00:00Z"}
`
	file, cli := conversionSite(t, dir, src, events)
	wantConversion(t, cli, file, dir, conversionWant{
		simulate: []string{`Goal after the last step \(conversion_window\)`, `^\s+welcome\s+3d\s+1\s*$`},
		show:     []string{"Conversion window 3d: a run that finished counts as goal when the goal holds within 3d of its entry; 1 run did so after the last step"},
		json:     []string{`"conversion_window": "3d"`},
	})
}

// With conversion_from = "last_send" the window counts from the run's
// last message: a post three days after joining, a day after a message
// sent after a two-day wait, converts; member show says until when the
// run still may; validate refuses a value that is neither.
func TestConversionFromLastSendCLI(t *testing.T) {
	dir := t.TempDir()
	src := conversionHead + `
campaign "welcome" {
  community         = community.c
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "2d"
  conversion_from   = "last_send"
  step "hello" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`
	events := `{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-01-01T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-01-04T10:00:00Z"}
{"id":"x1","type":"message.reacted","member":"bob","at":"2026-01-04T12:00:00Z"}
`
	file, cli := conversionSite(t, dir, src, events)
	wantConversion(t, cli, file, dir, conversionWant{
		simulate: []string{`^\s+welcome\s+2d from the last message\s+1\s*$`},
		show:     []string{"within 2d of its last message (conversion_from = \"last_send\"; a run that sent nothing never converts); 1 run did so"},
		json:     []string{`"conversion_from": "last_send"`},
	})
	// bob's message went out on 01-03 10:00: his window closes two days
	// later, not two days after he joined.
	c, o := cli("member", "show", "bob", dir)
	if c != 0 || !strings.Contains(o, "counts as goal if the goal holds by 2026-01-05 10:00 UTC: conversion_window 2d from the last message") {
		t.Errorf("member show: %d\n%s", c, o)
	}

	bad := strings.Replace(src, `"last_send"`, `"sent"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	c, o = cli("validate", dir)
	if c != 1 || !strings.Contains(o, "Invalid value for conversion_from") || !strings.Contains(o, `"sent" is not one of "entry" or "last_send"`) {
		t.Errorf("validate: %d\n%s", c, o)
	}
}

// conversionHead is the site both conversion tests share: a community
// and the template their welcome campaign sends.
const conversionHead = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "hi" {
  text = { en = "Hi" }
}
`

// conversionWant is what the welcome campaign's figures must show, past
// one run converting of two ended: simulate's lines (patterns, each
// matching a line), campaign show's text and its -json.
type conversionWant struct {
	simulate, show, json []string
}

// wantConversion simulates the events, replays them into the state and
// checks simulate and campaign show (text and -json) against want.
func wantConversion(t *testing.T, cli func(args ...string) (int, string), file, dir string, want conversionWant) {
	t.Helper()
	c, o := cli("simulate", "-events", file, dir)
	for _, pattern := range want.simulate {
		if c != 0 || !regexpLine(o, pattern) {
			t.Errorf("simulate: %d, no line matching %q\n%s", c, pattern, o)
		}
	}
	if c, o := cli("replay", "-events", file, dir); c != 0 {
		t.Fatalf("replay: %d %s", c, o)
	}
	c, o = cli("campaign", "show", "welcome", dir)
	for _, text := range append([]string{"Ended runs: 1 reached the goal (50.0% of the 2 entered), 1 finished"}, want.show...) {
		if c != 0 || !strings.Contains(o, text) {
			t.Errorf("campaign show: %d, no %q\n%s", c, text, o)
		}
	}
	c, o = cli("campaign", "show", "-json", "welcome", dir)
	for _, text := range append([]string{`"converted_after_finishing": 1`}, want.json...) {
		if c != 0 || !strings.Contains(o, text) {
			t.Errorf("campaign show -json: %d, no %q\n%s", c, text, o)
		}
	}
}

// regexpLine reports whether a line of s matches the pattern.
func regexpLine(s, pattern string) bool {
	re := regexp.MustCompile(`(?m)` + pattern)
	return re.MatchString(s)
}

// conversionSite writes a configuration into dir and an events file, and
// gives a CLI runner whose answer is its exit code and stdout and stderr.
func conversionSite(t *testing.T, dir, src, events string) (string, func(args ...string) (int, string)) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(file, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	return file, func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), args, s)
		return c, out.String() + errb.String()
	}
}
