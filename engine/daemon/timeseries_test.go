package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

const segmentRules = rulesA + `
segment "posters" {
  community = community.c
  when      = "member.messages >= 1"
}
`

func TestTimeseriesSamplesCountersAndPopulation(t *testing.T) {
	f := start(t, segmentRules, "", func(o *daemon.Options) {
		o.SampleEvery = 10 * time.Millisecond
		o.PopulationEvery = 30 * time.Millisecond
		o.Samples = 50
	})
	if code, out := post(t, f, "/v1/events", events(0, 20), ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	var body struct {
		SampleSeconds float64         `json:"sample_seconds"`
		Samples       []daemon.Sample `json:"samples"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(f.srv.URL + "/v1/timeseries")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The first sample may not be taken yet on a loaded machine.
		var last daemon.Sample
		if n := len(body.Samples); n > 0 {
			last = body.Samples[n-1]
		}
		var withPop *daemon.Sample
		for i := range body.Samples {
			if s := &body.Samples[i]; s.Members != nil && *s.Members == 7 {
				withPop = s
			}
		}
		if last.Accepted == 20 && withPop != nil {
			if withPop.Segments["posters"] != 7 {
				t.Fatalf("posters = %d, want 7", withPop.Segments["posters"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample with 20 accepted and 7 members: %+v", body.Samples)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The batch's commit time is in the sample after it, and only there.
	timed := 0
	for _, s := range body.Samples {
		if s.CommitP99Ms == nil {
			continue
		}
		timed++
		if *s.CommitP50Ms <= 0 || *s.CommitP50Ms > *s.CommitP99Ms {
			t.Errorf("commit time p50 %v, p99 %v", *s.CommitP50Ms, *s.CommitP99Ms)
		}
	}
	if batches := f.d.Stats()["batches"]; timed == 0 || int64(timed) > batches {
		t.Errorf("%d samples with a commit time for %d batches", timed, batches)
	}
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`hearth_segment_members{segment="posters"} 7`, "hearth_members 7", `hearth_outbox_entries{status="dead"} 0`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if len(body.Samples) > 50 {
		t.Fatalf("%d samples kept, want at most 50", len(body.Samples))
	}
	// The ring is bounded: wait for it to wrap and check it stays ordered.
	first := body.Samples[0].At
	var got []daemon.Sample
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		got = f.d.Series()
		if len(got) > 50 {
			t.Fatalf("%d samples kept, want at most 50", len(got))
		}
		// The ring wrapped once the first sample is gone.
		if len(got) == 50 && got[0].At.After(first) {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("only %d samples after 20s", len(got))
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.Before(got[i-1].At) {
			t.Fatalf("samples out of order at %d", i)
		}
	}
}

func TestFeedSkipsBadLinesAndCountsDuplicates(t *testing.T) {
	f := start(t, rulesA, "")
	in := events(0, 5) + "not json\n" + events(3, 4)
	res, err := f.d.Feed(context.Background(), strings.NewReader(in), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 7 || res.Duplicates != 2 || res.Bad != 1 {
		t.Fatalf("feed = %+v, want 7 accepted, 2 duplicates, 1 bad", res)
	}
	if got := f.d.Stats()["rejected"]; got != 1 {
		t.Fatalf("rejected = %d, want 1", got)
	}
}

// While an events file is applied, timers wait for it: a recheck at the
// wall clock between two of its batches would take a member past the
// file's later events, which then arrive late. Here a member posts daily
// for eleven days, one event a batch, with the clock weeks later: the
// lurker segment is entered once, when the last post leaves its window,
// not between every two posts.
func TestFeedHoldsTimersUntilApplied(t *testing.T) {
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	f := start(t, `
segment "lurker" {
  when = "member.days_since_joined >= 1 && count('message.posted', '3d') == 0"
}
`, "", func(o *daemon.Options) { o.Now = func() time.Time { return now } })
	day0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var in strings.Builder
	fmt.Fprintf(&in, `{"id":"j","type":"member.joined","member":"u","at":%q}`+"\n", day0.Format(time.RFC3339))
	for d := range 11 {
		fmt.Fprintf(&in, `{"id":"p%d","type":"message.posted","member":"u","at":%q}`+"\n", d, day0.Add(time.Hour).AddDate(0, 0, d).Format(time.RFC3339))
	}
	if _, err := f.d.Feed(context.Background(), strings.NewReader(in.String()), 1, nil); err != nil {
		t.Fatal(err)
	}
	// The timers run once the file is in: wait for the segment.
	var enters []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		outs, err := f.store.Outcomes(context.Background(), "u", 1000)
		if err != nil {
			t.Fatal(err)
		}
		enters = enters[:0]
		for _, o := range outs {
			if o.Kind == state.KindSegment && o.Name == "lurker" && o.Change == "enter" {
				enters = append(enters, o.At.Format(time.DateTime))
			}
		}
		if len(enters) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The last post, on day 10, leaves the three-day window on day 13.
	if want := "2026-01-14 00:00:00"; len(enters) != 1 || enters[0] != want {
		t.Fatalf("lurker entered at %v; want once, at %s", enters, want)
	}
}

// TestPopulationLeavesOutMembersWhoLeft: a member who left stays in the
// store, and counts as stored and as left, but on no tier and in no
// segment, as hearth report counts the members now.
func TestPopulationLeavesOutMembersWhoLeft(t *testing.T) {
	f := start(t, segmentRules, "", func(o *daemon.Options) {
		o.SampleEvery = 10 * time.Millisecond
		o.PopulationEvery = 30 * time.Millisecond
	})
	left := `{"id":"bye","type":"member.left","member":"m3","at":"2026-01-01T11:00:00Z"}`
	if code, out := post(t, f, "/v1/events", events(0, 20)+left+"\n", ""); code != http.StatusAccepted {
		t.Fatalf("post: %d %v", code, out)
	}
	var pop daemon.Population
	getJSON(t, f.srv.URL+"/v1/population", &pop)
	if pop.Members != 7 || pop.Left != 1 || pop.Segments["posters"] != 6 || pop.Tiers[""] != 6 {
		t.Errorf("population %+v: want 7 members stored, 1 left, 6 posters on no tier", pop)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(f.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(metrics), "hearth_members 7\n") && strings.Contains(string(metrics), "hearth_members_left 1\n") &&
			strings.Contains(string(metrics), `hearth_segment_members{segment="posters"} 6`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not count the member who left apart:\n%s", metrics)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
