package daemon_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// The admin API's why carries what holds a campaign's send back, as
// hearth member why -json does: here the quiet hours, until 08:00.
func TestAdminWhyHeld(t *testing.T) {
	f := start(t, `
template "t" {
  text = { en = "Hi" }
}

campaign "night" {
  enter_on = "message.posted"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 23, 10, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T23:00:00Z"}`+"\n", "")
	code, why := get(t, f, "/v1/members/cat/why?rule=campaign.night&at=2026-01-01T23:30:00Z")
	held, _ := why["held"].([]any)
	if code != 200 || len(held) != 1 {
		t.Fatalf("why: %d %v; want one hold", code, why)
	}
	h := held[0].(map[string]any)
	if h["reason"] != "quiet_hours" || h["quiet_hours"] != "22:00–08:00" || h["until"] != "2026-01-02T08:00:00Z" || h["run"] != "night" {
		t.Errorf("held: %v", h)
	}
	if _, why := get(t, f, "/v1/members/cat/why?rule=campaign.night&at=2026-01-02T09:00:00Z"); why["held"] != nil {
		t.Errorf("after the quiet hours: held %v", why["held"])
	}
	// The run itself, as hearth member why -json has it under runs: its
	// number and no send made yet.
	runs, _ := why["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs: %v; want the one run", why["runs"])
	}
	if r := runs[0].(map[string]any); r["run"] != "night" || r["number"] != 1.0 || r["ended"] != nil || r["sends"] != nil {
		t.Errorf("run: %v; want night, run 1, under way, no send queued", r)
	}
}

// The admin API's why tells of a keyed run retention dropped, from the
// member's outcomes, under "dropped", as hearth member why -json does.
func TestAdminWhyDropped(t *testing.T) {
	f := start(t, `
hearth {
  state {
    outbox_retention = "1d"
  }
}

event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}

template "t" {
  text = { en = "Hi" }
}

campaign "rsvp" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  reentry  = "always"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"r","type":"meetup.rsvp","member":"ann","at":"2026-03-01T09:00:00Z","attrs":{"meetup":"#42"}}`+"\n", "")
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"ann","at":"2026-03-05T09:00:00Z"}`+"\n", "")
	code, why := get(t, f, "/v1/members/ann/why?rule="+url.QueryEscape("campaign.rsvp[#42]"))
	d, _ := why["dropped"].(map[string]any)
	if code != 200 || d == nil {
		t.Fatalf("why: %d %v; want the dropped run", code, why)
	}
	if d["found"] != true || d["number"] != 1.0 || d["reason"] != "finished" || d["ended_at"] != "2026-03-01T09:00:00Z" || d["dropped_up_to"] != 1.0 || d["run"] != "rsvp[#42]" {
		t.Errorf("dropped: %v", d)
	}
	_, why = get(t, f, "/v1/members/ann/why?rule=campaign.rsvp")
	if why["dropped"] != nil {
		t.Errorf("the campaign, not a run: dropped %v", why["dropped"])
	}
	// Asked about the campaign, with no run kept: what retention left.
	e, _ := why["ended_runs"].(map[string]any)
	if e == nil || e["campaign"] != "rsvp" || e["keys_kept"] != 0.0 || e["dropped_up_to"] != 1.0 || e["latest_key_kept"] != nil {
		t.Errorf("ended_runs: %v", why["ended_runs"])
	}
	if _, why := get(t, f, "/v1/members/ann/why?rule="+url.QueryEscape("campaign.rsvp[#42]")); why["ended_runs"] != nil {
		t.Errorf("a run, not the campaign: ended_runs %v", why["ended_runs"])
	}
}

// The API's answers print rules as written: >= and &&, not Go's HTML
// escapes \u003e= and \u0026\u0026, for a reader of curl's output.
func TestAdminWhyRulesAsWritten(t *testing.T) {
	f := start(t, `
segment "busy" {
  when = "total('message.posted') >= 1 && member.points < 100"
}
`, "")
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T10:00:00Z"}`+"\n", "")
	for _, path := range []string{"/v1/members/cat/why?rule=segment.busy"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), `\u00`) {
			t.Errorf("GET %s: %d, HTML-escaped:\n%s", path, resp.StatusCode, body)
		}
		if !strings.Contains(string(body), `"source": "total('message.posted') >= 1 && member.points < 100"`) {
			t.Errorf("GET %s: the rule is not as written:\n%s", path, body)
		}
	}
}

// A member's name and texts come back as written from the member
// endpoints, "A&B <x>", as from hearth member show -json and export.
func TestAdminMemberAsWritten(t *testing.T) {
	f := start(t, "", "")
	post(t, f, "/v1/events", `{"id":"j","type":"member.joined","member":"ab","at":"2026-01-01T10:00:00Z","attrs":{"name":"A&B <x>"}}`+"\n", "")
	for _, path := range []string{"/v1/members/ab", "/v1/members/ab/export", "/v1/members?q=ab"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), `\u00`) || !strings.Contains(string(body), `"A&B <x>"`) {
			t.Errorf("GET %s: %d, the name is not as written:\n%s", path, resp.StatusCode, body)
		}
	}
}

// GET /v1/population counts the running sends held back, per campaign
// and by what holds them, as hearth campaign show does per step; both
// reasons are there for every campaign, held or not.
func TestPopulationCountsHeld(t *testing.T) {
	f := start(t, heldConfig, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", heldEvents, "")
	code, pop := get(t, f, "/v1/population")
	held, _ := pop["held"].(map[string]any)
	if code != 200 || fmt.Sprint(held["night"]) != "map[frequency_cap:1 quiet_hours:2]" || fmt.Sprint(held["plain"]) != "map[frequency_cap:0 quiet_hours:0]" {
		t.Fatalf("population: %d held %v", code, pop["held"])
	}
	// A held run is active too: the funnel still adds up to the runs.
	if c := fmt.Sprint(pop["campaigns"].(map[string]any)["night"]); c != "map[active:4]" {
		t.Errorf("night's funnel: %s", c)
	}
}

// heldConfig holds night's sends back: quiet hours for ann and bob, who
// post at night, and a cap of one a day for cat's second run (a second
// key) after the first one's send at noon.
const heldConfig = `
template "t" {
  text = { en = "Hi" }
}

campaign "night" {
  enter_on      = "message.posted"
  run_key       = "event.id"
  frequency_cap = "1/24h"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "later" {
    wait = "30d"
  }
}

campaign "plain" {
  enter_on = "message.posted"
  step "wait" {
    wait = "30d"
  }
}
`

const heldEvents = `{"id":"a","type":"message.posted","member":"ann","at":"2026-01-01T23:00:00Z"}
{"id":"b","type":"message.posted","member":"bob","at":"2026-01-01T23:05:00Z"}
{"id":"c1","type":"message.posted","member":"cat","at":"2026-01-01T12:00:00Z"}
{"id":"c2","type":"message.posted","member":"cat","at":"2026-01-01T13:00:00Z"}
`

// The admin API's why tells of a send skipped because the member left,
// under "skipped", as hearth member why -json does: the direct message
// of the step the timer ran after she left, and the next one's, to come.
func TestAdminWhySkipped(t *testing.T) {
	f := start(t, `
template "t" {
  text = { en = "Hi" }
}

campaign "all" {
  enter_on = "message.posted"
  members  = "all"
  step "ping" {
    wait = "1h"
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "after" {
    wait = "1d"
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	})
	// In one batch, so the step's timer cannot run between them.
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T09:00:00Z"}`+"\n"+
		`{"id":"l","type":"member.left","member":"cat","at":"2026-01-01T09:30:00Z"}`+"\n", "")
	var skipped []any
	waitFor(t, func() bool {
		_, why := get(t, f, "/v1/members/cat/why?rule=campaign.all")
		skipped, _ = why["skipped"].([]any)
		return len(skipped) == 2
	})
	s, next := skipped[0].(map[string]any), skipped[1].(map[string]any)
	if s["run"] != "all" || s["step"] != "ping" || s["reason"] != "left" || s["at"] == nil || s["expected"] != nil || s["queued"] != nil {
		t.Errorf("skipped: %v", s)
	}
	if next["step"] != "after" || next["reason"] != "left" || next["expected"] != true {
		t.Errorf("to be skipped: %v", next)
	}
	if _, why := get(t, f, "/v1/members/cat/why?rule=segment.none"); why["skipped"] != nil {
		t.Errorf("not a campaign: skipped %v", why["skipped"])
	}
}

// A campaign removed by a reload leaves its runs in the member's
// document: GET /v1/members/ID marks them (campaign_removed on the run,
// removed_campaigns), and the why of the campaign answers, with no rules
// and campaign_removed, rather than 400, as hearth member show and why
// -json do.
func TestAdminRemovedCampaign(t *testing.T) {
	const tmpl = `
template "t" {
  text = { en = "Hi" }
}
`
	f := start(t, tmpl+`
campaign "welcome" {
  enter_on = "message.posted"
  step "greet" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "nudge" {
    wait = "7d"
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"ann","at":"2026-01-01T09:00:00Z"}`+"\n", "")
	var m map[string]any
	waitFor(t, func() bool {
		_, m = get(t, f, "/v1/members/ann")
		campaigns, _ := m["campaigns"].(map[string]any)
		return campaigns["welcome"] != nil
	})
	if run := m["campaigns"].(map[string]any)["welcome"].(map[string]any); run["campaign_removed"] != nil || m["removed_campaigns"] != nil {
		t.Errorf("a campaign configured is marked removed: %v", m)
	}

	write(t, f.dir, "rules.hcl", tmpl)
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	code, m := get(t, f, "/v1/members/ann")
	run, _ := m["campaigns"].(map[string]any)["welcome"].(map[string]any)
	if code != http.StatusOK || run["campaign_removed"] != true || run["step_name"] != "nudge" || fmt.Sprint(m["removed_campaigns"]) != "[welcome]" {
		t.Errorf("after the reload: %d, run %v, removed_campaigns %v", code, run, m["removed_campaigns"])
	}
	code, why := get(t, f, "/v1/members/ann/why?rule=campaign.welcome")
	if ex, _ := why["explanations"].([]any); code != http.StatusOK || why["campaign_removed"] != true || ex == nil || len(ex) != 0 {
		t.Errorf("why of the removed campaign: %d %v", code, why)
	}
	if code, why := get(t, f, "/v1/members/ann/why?rule=campaign.never"); code != http.StatusBadRequest {
		t.Errorf("why of a campaign never configured: %d %v", code, why)
	}
}

// The admin API's why carries the verdict on a tier and on an incentive,
// as hearth member why -json does: the member is held by the grace
// period, and the cooldown stops the incentive's next grant.
func TestAdminWhyVerdict(t *testing.T) {
	f := start(t, `
tier "regular" {
  rank  = 1
  when  = "count('message.posted', '7d') >= 1"
  keep  = "count('message.posted', '1d') >= 1"
  grace = "14d"
}

incentive "post" {
  on       = "message.posted"
  cooldown = "1h"
  grant { points = 1 }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T09:30:00Z"}`+"\n", "")
	code, why := get(t, f, "/v1/members/cat/why?rule=tier.regular&at=2026-01-03T09:00:00Z")
	v, _ := why["verdict"].(map[string]any)
	if code != 200 || v["decision"] != "grace" || v["until"] != "2026-01-15T09:30:00Z" || !strings.Contains(fmt.Sprint(v["text"]), "held by grace until 2026-01-15 09:30") {
		t.Errorf("tier verdict: %d %v", code, why)
	}
	// The member's moves on the tier, as member why -json lists them.
	moves, _ := why["tier_moves"].([]any)
	var mv map[string]any
	if len(moves) == 1 {
		mv, _ = moves[0].(map[string]any)
	}
	if mv["change"] != "promote" || mv["to"] != "regular" || mv["event"] != "p" {
		t.Errorf("tier_moves: %v; want the promotion to regular alone", why["tier_moves"])
	}
	code, why = get(t, f, "/v1/members/cat/why?rule=incentive.post&at=2026-01-01T10:00:00Z")
	v, _ = why["verdict"].(map[string]any)
	in, _ := why["incentive"].(map[string]any)
	if code != 200 || v["decision"] != "cooldown" || in["cooldown_until"] != "2026-01-01T10:30:00Z" || in["grants"] != 1.0 {
		t.Errorf("incentive verdict: %d %v", code, why)
	}
}

// POST /v1/members/ID/why takes the event an incentive is asked about,
// as hearth member why -event does: its when and verdict are evaluated on
// it, another member's event (a grant.to's) with that member's state.
func TestAdminWhyOnEvent(t *testing.T) {
	f := start(t, `
incentive "post" {
  on   = "message.posted"
  when = "event.channel == 'help'"
  grant { points = 2 }
}

incentive "referral" {
  on   = "member.joined"
  when = "event.referrer != '' && event.referrer != member.id"
  grant {
    to     = "event.referrer"
    points = 50
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T09:30:00Z","attrs":{"channel":"help"}}`+"\n", "")
	ask := func(path, body string) (int, map[string]any, string, map[string]any) {
		t.Helper()
		code, why := post(t, f, path, body, "")
		v, _ := why["verdict"].(map[string]any)
		ex, _ := why["explanations"].([]any)
		var first map[string]any
		if len(ex) > 0 {
			first, _ = ex[0].(map[string]any)
		}
		return code, why, fmt.Sprint(v["text"]), first
	}

	// Without an event, when is not evaluated: it reads the event.
	_, why := get(t, f, "/v1/members/cat/why?rule=incentive.post")
	if ex := why["explanations"].([]any)[0].(map[string]any); ex["result"] != nil || fmt.Sprint(ex["event_reads"]) != "[event.channel]" {
		t.Errorf("GET, no event: %v", ex)
	}
	code, why, verdict, ex := ask("/v1/members/cat/why", `{"rule": "incentive.post", "event": {"type": "message.posted", "attrs": {"channel": "help"}}}`)
	if code != 200 || why["rule"] != "incentive.post" || verdict != "this message.posted event would grant 2 points" || ex["result"] != true || !strings.Contains(fmt.Sprint(ex["values"]), "event.channel value:help") {
		t.Errorf("on a help post: %d %q %v", code, verdict, why)
	}
	// The rule and the time as GET takes them, the event in the body.
	code, why, verdict, ex = ask("/v1/members/cat/why?rule=incentive.post&at=2026-01-01T11:00:00Z", `{"event": {"type": "message.posted", "attrs": {"channel": "random"}}}`)
	if code != 200 || why["at"] != "2026-01-01T11:00:00Z" || verdict != "no grant on this message.posted event: when does not hold" || ex["result"] != false {
		t.Errorf("on a random post: %d %q %v", code, verdict, why)
	}
	// Another member's event: zed, whom the state has not met, joins
	// naming cat as referrer; the grant would be cat's.
	code, why, verdict, _ = ask("/v1/members/cat/why", `{"rule": "incentive.referral", "event": {"type": "member.joined", "member": "zed", "attrs": {"referrer": "cat"}}}`)
	if code != 200 || verdict != "this member.joined event would grant 50 points" {
		t.Errorf("a referral: %d %q %v", code, verdict, why)
	}
	// A body without an event is GET's question.
	if code, why, _, ex := ask("/v1/members/cat/why", `{"rule": "incentive.post"}`); code != 200 || ex["result"] != nil {
		t.Errorf("no event: %d %v", code, why)
	}
}

// A bad event, or a body that is no question, gets 400 saying what is
// wrong, in the words POST /v1/events has for the same event.
func TestAdminWhyOnBadEvent(t *testing.T) {
	f := start(t, `
incentive "post" {
  on   = "message.posted"
  when = "event.length > 10"
  grant { points = 2 }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"p","type":"message.posted","member":"cat","at":"2026-01-01T09:30:00Z"}`+"\n", "")
	// What POST /v1/events says of an attribute of the wrong type.
	_, refused := post(t, f, "/v1/events", `{"id":"x","type":"message.posted","member":"cat","at":"2026-01-01T09:40:00Z","attrs":{"length":"long"}}`, "")
	typeErr := fmt.Sprint(refused["events"].([]any)[0].(map[string]any)["error"])
	if !strings.Contains(typeErr, "length") {
		t.Fatalf("POST /v1/events of a bad attribute: %v", refused)
	}
	cases := []struct{ path, body, want string }{
		{"cat/why", `{"rule": "incentive.post", "event": {"type": "message.posted", "attrs": {"length": "long"}}}`, "event: " + typeErr},
		{"cat/why", `{"rule": "incentive.post", "event": {"type": 1}}`, `event: invalid event: field "type" must be a string, not a number`},
		{"cat/why", `{"rule": "incentive.post", "event": "message.posted"}`, "event: invalid event: each line must be a JSON object (an event), not a string"},
		{"cat/why", `{"rule": "incentive.post", "event": {"type": "message.posted", "colour": "red"}}`, `event: invalid event: unknown field "colour"`},
		{"cat/why", `{"rule": "incentive.post", "event": {"type": "checkin"}}`, "incentive post fires on message.posted, not on a checkin event"},
		{"cat/why", `{"rule": "segment.x", "event": {"type": "message.posted"}}`, "event is for why of an incentive (incentive.NAME), whose rules read the event it fires on"},
		{"cat/why", `{"rule": "incentive.post",`, "the body is malformed JSON at line 1, column 27: the JSON ends inside a value"},
		{"cat/why", `{"rul": "incentive.post"}`, `the body must be {"rule": "incentive.NAME", "event": {"type": ..., "attrs": {...}}, "at": RFC 3339}`},
		{"cat/why", `{"rule": "incentive.post"} {}`, "there is more after its closing }"},
		{"cat/why", `{"event": {"type": "message.posted"}}`, `give "rule": "incentive.NAME" in the body`},
		{"cat/why", `{"rule": "incentive.post", "at": "yesterday"}`, "at must be an RFC 3339 time"},
	}
	for _, c := range cases {
		code, out := post(t, f, "/v1/members/"+c.path, c.body, "")
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["error"]), c.want) {
			t.Errorf("%s: %d %v; want 400 saying %q", c.body, code, out, c.want)
		}
	}
	if code, out := post(t, f, "/v1/members/nobody/why", `{"rule": "incentive.post", "event": {"type": "message.posted"}}`, ""); code != http.StatusNotFound || !strings.Contains(fmt.Sprint(out["error"]), `no member "nobody"`) {
		t.Errorf("an unknown member: %d %v", code, out)
	}
}

// The admin API says what a run on a wait_until step waits for, in the
// member's view and in why, as hearth member show -json and member why
// -json do: the rule, checked at every event once the step's wait is
// over, and the timeout with the step it goes on to.
func TestAdminCampaignWaiting(t *testing.T) {
	f := start(t, `
template "t" {
  text = { en = "Hi" }
}

campaign "patient" {
  enter_on = "member.joined"
  step "settle" {
    wait       = "1d"
    wait_until = "member.messages > 0"
    timeout    = "3d"
    on_timeout = "nudge"
  }
  step "nudge" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`, "", func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC) }
	})
	post(t, f, "/v1/events", `{"id":"j","type":"member.joined","member":"ann","at":"2026-01-01T10:00:00Z"}`+"\n", "")
	want := "map[checking:true deadline:2026-01-05T10:00:00Z from:2026-01-02T10:00:00Z on_timeout:nudge rule:member.messages > 0 run:patient step:settle]"
	_, m := get(t, f, "/v1/members/ann")
	runs, _ := m["campaigns"].(map[string]any)
	run, _ := runs["patient"].(map[string]any)
	if got := fmt.Sprint(run["waiting"]); got != want {
		t.Errorf("member view's waiting: %s\nwant %s", got, want)
	}
	_, why := get(t, f, "/v1/members/ann/why?rule=campaign.patient&at=2026-01-03T00:00:00Z")
	if got := fmt.Sprint(why["waiting"]); got != "["+want+"]" {
		t.Errorf("why's waiting: %s\nwant [%s]", got, want)
	}
}
