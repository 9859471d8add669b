package daemon_test

import (
	"net/http"
	"strings"
	"testing"
)

const runKeyRules = `
event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}
template "t" {
  text = { en = "See you at ${event.meetup}" }
}
campaign "rsvp" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  max_runs = 1
  step "later" {
    wait = "3650d" # past the wall clock the daemon's timers run at
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`

// Runs that max_runs turns away are a metric, served at 0 from the start
// (an alert on the first refusal has a sample to rise from), counted once
// per committed refusal: a replayed event refuses nothing again, and a
// reload carries the count on.
func TestRunsRefusedMetric(t *testing.T) {
	f := start(t, runKeyRules, "")
	const series = `hearth_campaign_runs_refused_total{campaign="rsvp"} `
	if m := metricsText(t, f); !strings.Contains(m, series+"0\n") {
		t.Fatalf("before any event:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}
	rsvps := `{"id":"r1","type":"meetup.rsvp","member":"ann","at":"2026-01-01T10:00:00Z","attrs":{"meetup":"#42"}}
{"id":"r2","type":"meetup.rsvp","member":"ann","at":"2026-01-01T10:01:00Z","attrs":{"meetup":"#43"}}
{"id":"r3","type":"meetup.rsvp","member":"ann","at":"2026-01-01T10:02:00Z","attrs":{"meetup":"#44"}}
`
	for range 2 {
		if code, body := post(t, f, "/v1/events", rsvps, ""); code != http.StatusAccepted {
			t.Fatalf("events: %d %v", code, body)
		}
	}
	if m := metricsText(t, f); !strings.Contains(m, series+"2\n") {
		t.Errorf("after two refusals and their replay, want 2:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}
	write(t, f.dir, "rules.hcl", runKeyRules+"\n# edited\n")
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	if code, body := post(t, f, "/v1/events", strings.ReplaceAll(strings.ReplaceAll(rsvps, `"r`, `"s`), "#4", "#5"), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, body)
	}
	if m := metricsText(t, f); !strings.Contains(m, series+"5\n") {
		t.Errorf("after a reload and three more refusals, want 5:\n%s", grepLines([]byte(m), "hearth_campaign"))
	}
}
