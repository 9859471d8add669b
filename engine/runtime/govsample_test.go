package runtime_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// hearth template render previews a ladder's or an alert's template with
// a sample of what they pass: it must have the fields, of the types, a
// real decision's warning and a real alert's notification have, so a
// template that renders with the sample renders when sent. The templates
// here write out everything they read.
func TestGovernSamplesAreWhatSendsPass(t *testing.T) {
	cfg := load(t, `
template "warning" {
  text = { en = "${jsonencode(event)}" }
}
template "ops" {
  text = { en = "${jsonencode(event)}|${jsonencode(community)}" }
}
community "m" {
  title    = "M"
  platform = platform.local.main
  capacity = 50
  channel "ops" {}
  ladder {
    decay    = "30d"
    template = template.warning
    rung { action = "warn" }
    rung {
      action   = "mute"
      duration = "1h"
    }
  }
  moderation "ads" {
    keywords = { en = ["buy now"] }
    reason   = "No advertising"
  }
}
sentiment {
  negative = { en = ["meh"] }
}
alert "negative_spike" {
  description = "Negative messages pile up"
  community   = community.m
  when        = "community.negative_1h >= 3"
  severity    = "critical"
  notify {
    channel  = "channel"
    target   = community.m.channel.ops
    template = template.ops
  }
}
`)
	start := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	var s strings.Builder
	s.WriteString(`{"id":"j","type":"member.joined","member":{"id":"u1"},"community":"m","at":"2026-02-01T08:00:00Z","attrs":{"locale":"en"}}` + "\n")
	s.WriteString(msgAt("ad", "u1", start, `{"text":"buy now"}`))
	for i := range 3 {
		s.WriteString(msgAt(fmt.Sprintf("n%d", i), "u1", start.Add(time.Duration(i+1)*time.Minute), `{"text":"meh"}`))
	}
	sum, _, _ := run(t, cfg, s.String())
	sent := map[string]string{}
	for _, a := range sum.Store.(*state.Memory).Outbox() {
		sent[a.Kind] = a.Text
	}
	if sent["send.dm"] == "" || sent["send.channel"] == "" {
		t.Fatalf("the warning and the alert were not both sent: %v", sent)
	}

	rt := runtime.New(cfg, nil)
	c := cfg.Communities[1]
	m := &state.Member{ID: "sample", Name: "Sam", Locale: "en"}
	ladder, ok := rt.SampleLadder(c, "en", start)
	if !ok {
		t.Fatal("no ladder sample")
	}
	msg, err := rt.PreviewTemplate(c.Ladder.Template, m, ladder.Event, ladder.Community, start)
	if err != nil {
		t.Fatal(err)
	}
	// The same rule on the same text at the first rung: the same object.
	if msg.Text != sent["send.dm"] {
		t.Errorf("the ladder's sample gives\n%s\nthe decision sent\n%s", msg.Text, sent["send.dm"])
	}
	if want := "moderation rule ads matched, reaching rung 1 of the ladder (warn at 1 live strike)"; ladder.About != want {
		t.Errorf("about %q, want %q", ladder.About, want)
	}

	a := cfg.Alerts[0]
	alert, ok := rt.SampleAlert(a, start)
	if !ok || alert.Note != "" || alert.Community == nil || alert.Community.Negative1h != 3 {
		t.Fatalf("alert sample %+v", alert)
	}
	msg, err = rt.PreviewTemplate(a.Notify[0].Template, m, alert.Event, alert.Community, start)
	if err != nil {
		t.Fatal(err)
	}
	// Other figures: the same fields of the same types, the same
	// alert, and the summary of the figures the rule read.
	got, want := shape(t, msg.Text), shape(t, sent["send.channel"])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the alert's sample has\n%v\nthe alert sent\n%v", got, want)
	}
	if !strings.Contains(msg.Text, `"summary":"[critical] negative_spike in m: Negative messages pile up (negative_1h=3)"`) {
		t.Errorf("alert sample: %s", msg.Text)
	}
}

// shape is each field of the JSON objects text holds (split at |) with
// its JSON type, and the value of the event's alert fields.
func shape(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for i, part := range strings.Split(text, "|") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(part), &obj); err != nil {
			t.Fatalf("%v: %s", err, part)
		}
		for k, v := range obj {
			field := fmt.Sprintf("%d.%s %T", i, k, v)
			if i == 0 && k != "summary" {
				field += fmt.Sprintf(" %v", v)
			}
			out = append(out, field)
		}
	}
	sort.Strings(out)
	return out
}
