package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// population tracks n synthetic members through the tracker, as the
// runtime would: joins over a year, a few active days each, a tier for
// one in five, a survey answer for one in ten, a purchase for one in
// twenty. It returns the tallies and how many events it counted.
func population(tr *analytics.Tracker, n int) (state.Tallies, int) {
	d := state.Tallies{}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	events := 0
	post := &events_{}
	for i := range n {
		joined := start.Add(time.Duration(i%365) * 24 * time.Hour).Add(time.Duration(i%24) * time.Hour)
		m := state.NewMember("m"+strconv.Itoa(i), joined)
		ev := post.at("member.joined", m.ID, joined, nil)
		m.Record(ev.Type, ev.At, false)
		tr.Event(d, m, ev, analytics.Kind{Amount: true})
		tr.Member(d, m)
		events++
		for k := 0; k < i%7; k++ {
			at := joined.Add(time.Duration(1+k*k*3) * 24 * time.Hour)
			ev := post.at("message.posted", m.ID, at, nil)
			m.Record(ev.Type, ev.At, true)
			tr.Event(d, m, ev, analytics.Kind{Activity: true, Amount: true})
			if k == 3 && i%5 == 0 {
				m.Tier = state.TierState{Name: "regular", Rank: 1, Since: at}
			}
			tr.Member(d, m)
			events++
		}
		if i%10 == 0 {
			ev := post.at("feedback.submitted", m.ID, joined.Add(48*time.Hour), map[string]any{"survey": "pulse", "question": "recommend", "score": i % 11})
			m.Record(ev.Type, ev.At, false)
			tr.Event(d, m, ev, analytics.Kind{Amount: true})
			events++
		}
		if i%20 == 0 {
			ev := post.at("purchase.made", m.ID, joined.Add(72*time.Hour), map[string]any{"amount": 9.5})
			m.Record(ev.Type, ev.At, false)
			tr.Event(d, m, ev, analytics.Kind{Amount: true})
			events++
		}
	}
	return d, events
}

// events_ builds events with one reused value; the tracker keeps none.
type events_ struct{ ev events.Event }

func (e *events_) at(typ, member string, at time.Time, attrs map[string]any) *events.Event {
	e.ev = events.Event{ID: "x", Type: typ, Member: events.Member{ID: member}, At: at, Attrs: attrs}
	return &e.ev
}

// BenchmarkReport1M is `hearth report` over the SQLite store of a
// community of 1,000,000 members: read the tallies, build the report.
func BenchmarkReport1M(b *testing.B) {
	cfg := loadConfig(b, healthConfig)
	tallies, _ := population(analytics.NewTracker(cfg), 1_000_000)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch, _ := s.Begin(ctx)
	if err := batch.(state.TallyBatch).AddTallies(tallies); err != nil {
		b.Fatal(err)
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(tallies)), "tallies")
	b.ResetTimer()
	for b.Loop() {
		t, err := s.Tallies(ctx)
		if err != nil {
			b.Fatal(err)
		}
		r := analytics.Build(cfg, t, time.Time{})
		if r.Members.Joined != 1_000_000 {
			b.Fatalf("joined %d", r.Members.Joined)
		}
	}
}

// BenchmarkTrack is what the tracker adds to applying one event, with
// the member's own counting (state.Member.Record) that the runtime does
// anyway.
func BenchmarkTrack(b *testing.B) {
	tr := analytics.NewTracker(loadConfig(b, healthConfig))
	var events int
	for b.Loop() {
		_, events = population(tr, 10_000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

// noTallies hides a store's tallies, so the runtime counts nothing: the
// baseline for what tallies cost.
type noTallies struct{ *state.Memory }

func (s noTallies) Begin(ctx context.Context) (state.Batch, error) {
	b, err := s.Memory.Begin(ctx)
	return plainBatch{b}, err
}

type plainBatch struct{ state.Batch }

// BenchmarkRuntimeTallies is events per second through the Stack
// Exchange rules in memory, with and without the tallies: the cost of
// keeping the report's figures as events are applied.
func BenchmarkRuntimeTallies(b *testing.B) {
	cfg, _, diags := config.Load("../../examples/stackexchange", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	evs := bench.Workload(2000, 20000, 1)
	var stream bytes.Buffer
	enc := json.NewEncoder(&stream)
	for _, e := range evs {
		_ = enc.Encode(e)
	}
	for _, c := range []struct {
		name  string
		store func() state.Store
	}{{"none", func() state.Store { return noTallies{state.NewMemory()} }}, {"tallies", func() state.Store { return state.NewMemory() }}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				if _, err := simulate.Run(context.Background(), cfg, bytes.NewReader(stream.Bytes()), simulate.Options{Store: c.store()}); err != nil {
					b.Fatal(err)
				}
				n += len(evs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
