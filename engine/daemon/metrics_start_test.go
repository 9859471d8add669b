package daemon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const startRules = rulesA + runKeyRules + `
segment "posters" {
  when = "member.messages > 0"
}
segment "chatty" {
  when = "member.messages >= 1"
}
segment "lurkers" {
  when = "member.messages == 0"
}
tier "regular" {
  rank = 1
  when = "member.points >= 100"
}
`

// After the reload: posters, the meetup.rsvp type and its campaign are
// gone, segment fans and tier core are new.
const reloadedRules = rulesA + `
segment "chatty" {
  when = "member.messages >= 1"
}
segment "lurkers" {
  when = "member.messages == 0"
}
segment "fans" {
  when = "member.points > 0"
}
tier "regular" {
  rank = 1
  when = "member.points >= 100"
}
tier "core" {
  rank = 2
  when = "member.points >= 1000"
}
`

// Every series whose labels the configuration makes known is served from
// the first scrape after a start, before any event and before the daemon
// runs: counters at 0 (rate() and absent() alerts see them from the
// start), and the population gauges at what the store holds. A reload
// deletes the series of the segments, event types and campaigns it
// removes, and the sampler's next count does not bring a removed segment
// back from the members that still carry its name.
func TestMetricsServedFromTheStart(t *testing.T) {
	// A store with 7 members, all posters.
	f := start(t, startRules, "")
	if code, out := post(t, f, "/v1/events", events(0, 20), ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, out)
	}
	f.stop()

	store, err := sqlite.Open(context.Background(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d, diags, _ := daemon.New(daemon.Options{Dir: f.dir, Store: store, SampleEvery: time.Hour, PopulationEvery: time.Hour,
		Load: config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}}})
	if d == nil {
		t.Fatal(diags.Error())
	}
	srv := httptest.NewServer(d.Handler(""))
	defer srv.Close()
	scrape := func() string {
		t.Helper()
		return metricsText(t, &fixture{srv: srv})
	}

	// Run has not started: whatever is served, New made it.
	m := scrape()
	for _, want := range []string{
		`hearth_segment_members{segment="posters"} 7`,
		`hearth_segment_members{segment="chatty"} 7`,
		`hearth_segment_members{segment="lurkers"} 0`,
		`hearth_tier_members{tier="none"} 7`,
		`hearth_tier_members{tier="regular"} 0`,
		`hearth_members 7`,
		`hearth_members_left 0`,
		`hearth_outbox_entries{status="dead"} 0`,
		`hearth_outbox_entries{status="pending"} 0`,
		`hearth_events_ingested_total{type="message.posted"} 0`,
		`hearth_events_ingested_total{type="member.joined"} 0`,
		`hearth_events_ingested_total{type="meetup.rsvp"} 0`,
		`hearth_events_ingested_total{type="other"} 0`,
		`hearth_events_processed_total{duplicate="false",type="message.posted"} 0`,
		`hearth_events_processed_total{duplicate="true",type="message.posted"} 0`,
		`hearth_events_processed_total{duplicate="false",type="meetup.rsvp"} 0`,
		`hearth_events_processed_total{duplicate="true",type="other"} 0`,
		`hearth_events_attr_warnings_total{type="message.posted"} 0`,
		`hearth_events_attr_warnings_total{type="meetup.rsvp"} 0`,
		`hearth_events_timezone_warnings_total 0`,
		`hearth_campaign_runs_refused_total{campaign="rsvp"} 0`,
		`hearth_rule_evaluations_total{rule="segment.posters.when"} 0`,
		`hearth_rule_errors_total{rule="tier.regular.when"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("the first scrape lacks %s", want)
		}
	}
	// An empty label value is no label to Prometheus; the profile's
	// attributes are all kept, so none of them is a typo.
	for _, never := range []string{`tier=""`, `hearth_events_attr_warnings_total{type="member.profile_updated"}`, `hearth_events_attr_warnings_total{type="other"}`} {
		if strings.Contains(m, never) {
			t.Errorf("the first scrape has %s", never)
		}
	}
	if t.Failed() {
		t.Fatalf("served:\n%s", grepLines([]byte(m), "hearth_"))
	}

	write(t, f.dir, "rules.hcl", reloadedRules)
	if r := d.Reload("test"); !r.OK {
		t.Fatalf("reload: %+v", r.Diagnostics)
	}
	m = scrape()
	for _, want := range []string{
		`hearth_segment_members{segment="chatty"} 7`, // counted before, kept
		`hearth_segment_members{segment="fans"} 0`,
		`hearth_tier_members{tier="core"} 0`,
		`hearth_tier_members{tier="none"} 7`,
		`hearth_tier_members{tier="regular"} 0`,
		`hearth_events_ingested_total{type="other"} 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("after the reload, /metrics lacks %s", want)
		}
	}
	for _, gone := range []string{`segment="posters"`, `type="meetup.rsvp"`, `campaign="rsvp"`} {
		if strings.Contains(m, gone) {
			t.Errorf("after the reload that removed it, /metrics still has %s", gone)
		}
	}

	// The reload asked the sampler for a count at once, though the next
	// is an hour away: it comes when Run starts, and counts no posters
	// though the members still carry the name.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var counted *daemon.Sample
	for deadline := time.Now().Add(10 * time.Second); counted == nil; time.Sleep(10 * time.Millisecond) {
		var body struct{ Samples []daemon.Sample }
		resp, err := http.Get(srv.URL + "/v1/timeseries")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s := body.Samples; len(s) >= 2 && s[len(s)-1].Members != nil {
			counted = &s[len(s)-1]
		}
		if counted == nil && time.Now().After(deadline) {
			t.Fatalf("no population count after the reload: %+v", body.Samples)
		}
	}
	if _, in := counted.Segments["posters"]; in || counted.Segments["chatty"] != 7 {
		t.Errorf("the count after the reload has segments %v; want chatty 7 and no posters", counted.Segments)
	}
	m = scrape()
	if strings.Contains(m, `segment="posters"`) || !strings.Contains(m, `hearth_segment_members{segment="chatty"} 7`+"\n") {
		t.Errorf("after the count, segments served:\n%s", grepLines([]byte(m), "hearth_segment_members"))
	}
}

// An events file applied after the start (hearth run -events) is
// counted in the population gauges once it is applied, not at the
// sampler's next population count, which is an hour away here.
func TestGaugesCountedAfterAFedFile(t *testing.T) {
	f := start(t, startRules, "", func(o *daemon.Options) { o.PopulationEvery = time.Hour; o.SampleEvery = time.Hour })
	if got := metric(t, f.srv.URL, "hearth_members"); got != "0" {
		t.Fatalf("hearth_members %s before the file; want 0", got)
	}
	res, err := f.d.Feed(context.Background(), strings.NewReader(events(0, 70)), 10, nil)
	if err != nil || res.Accepted != 70 {
		t.Fatalf("feed: %+v, %v", res, err)
	}
	until(t, "hearth_members counted after the file", func() bool { return metric(t, f.srv.URL, "hearth_members") == "7" })
	if got := metric(t, f.srv.URL, `hearth_segment_members{segment="posters"}`); got != "7" {
		t.Errorf("posters %s after the file; want 7", got)
	}
}
