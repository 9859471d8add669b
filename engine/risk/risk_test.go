package risk

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

func TestLexiconScorer(t *testing.T) {
	s := NewLexiconScorer(&config.Sentiment{Negative: map[string][]string{"en": {"meh"}}, Builtin: true})
	cases := map[string]bool{ // text: negative
		"this is a scam, I want a refund": true,
		"thanks, this is great":           false,
		"我要退款，太失望了":                       true,
		"谢谢大家":                            false,
		"meh":                             true,
		"scampi for dinner":               false, // whole words only in English
		"":                                false,
	}
	for text, neg := range cases {
		if got := s.Score(text) < 0; got != neg {
			t.Errorf("%q: negative %v, want %v (score %v)", text, got, neg, s.Score(text))
		}
	}
	own := NewLexiconScorer(&config.Sentiment{Negative: map[string][]string{"en": {"meh"}}})
	if own.Score("scam") != 0 || own.Score("meh") != -1 {
		t.Error("builtin = false still used the built-in lists")
	}
}

func TestFiguresActiveMembersAndWindows(t *testing.T) {
	c := &state.Community{Name: "c"}
	cc := &config.Community{Name: "c", Title: "C", Capacity: 4}
	day := 24 * time.Hour
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	last := map[string]time.Time{}
	act := func(member string, at time.Time, sig Signal) {
		sig.Active, sig.PrevActive = true, last[member]
		Observe(c, at, sig)
		if at.After(last[member]) {
			last[member] = at
		}
	}
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		Observe(c, t0, Signal{Joined: true})
		act(m, t0, Signal{Message: true})
	}
	act("a", t0.Add(10*day), Signal{Message: true, Negative: true})
	act("a", t0.Add(10*day+time.Hour), Signal{Message: true, Flagged: true})
	act("b", t0.Add(9*day), Signal{Message: true})
	Observe(c, t0.Add(10*day), Signal{Left: true})
	Observe(c, t0.Add(10*day), Signal{Report: true})
	f := Figures(c, cc, t0.Add(10*day+time.Hour))
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"members", f.Members, 4},
		{"capacity_used", f.CapacityUsed, 1.0},
		{"active_1d", f.Active1d, 1},
		{"active_7d", f.Active7d, 2},
		{"active_30d", f.Active30d, 5},
		{"active_ratio_7d", f.ActiveRatio7d, 0.5},
		{"messages_1h", f.Messages1h, 1},
		{"messages_24h", f.Messages24h, 2},
		{"messages_7d", f.Messages7d, 3},
		{"negative_24h", f.Negative24h, 1},
		{"negative_1h", f.Negative1h, 0},
		{"flagged_1h", f.Flagged1h, 1},
		{"left_24h", f.Left24h, 1},
		{"reports_24h", f.Reports24h, 1},
		{"joined_24h", f.Joined24h, 0},
		// 6 messages over the 10 days before today, averaged over them.
		{"messages_usual_24h", f.MessagesUsual24h, 0.6},
	}
	for _, k := range checks {
		if k.got != k.want {
			t.Errorf("%s = %v, want %v", k.name, k.got, k.want)
		}
		if v := Value(f, k.name); v != k.got {
			t.Errorf("Value(%s) = %v, want %v", k.name, v, k.got)
		}
	}
}

func TestStepDedupAndCooldown(t *testing.T) {
	st := &state.AlertState{}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	seq := []struct {
		at    time.Duration
		holds bool
		want  Transition
	}{
		{0, false, Quiet},
		{time.Minute, true, Fire},
		{2 * time.Minute, true, Quiet}, // still holding: deduplicated
		{time.Hour, false, Resolved},
		{2 * time.Hour, true, Suppressed}, // within the 6h cool-down
		{3 * time.Hour, false, Resolved},
		{7 * time.Hour, true, Fire},
	}
	for i, s := range seq {
		if got := Step(st, s.holds, t0.Add(s.at), 6*time.Hour); got != s.want {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
	if st.Fired != 2 || st.Suppressed != 1 {
		t.Errorf("fired %d, suppressed %d", st.Fired, st.Suppressed)
	}
}
