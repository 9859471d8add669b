package governance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

func TestLexiconCJKAndLatin(t *testing.T) {
	lex := NewLexicon(map[string][]string{
		"en":    {"spam", "Buy Now"},
		"zh-CN": {"加微信", "广告"},
	})
	cases := []struct {
		text  string
		want  []string // spans as written
		start int      // byte offset of the first hit
	}{
		{"this is SPAM!", []string{"SPAM"}, 8},
		{"spammer and antispam are words of their own", nil, 0},
		{"Please buy now, friends", []string{"buy now"}, 7},
		{"buy nowhere", nil, 0},
		// No spaces between Chinese words: substrings match.
		{"朋友们加微信领红包", []string{"加微信"}, 9},
		{"这是广告内容", []string{"广告"}, 6},
		// A Latin word right next to Chinese text is still a word.
		{"免费spam链接", []string{"spam"}, 6},
		{"无关的消息", nil, 0},
		// Case folding that changes byte lengths keeps offsets in the
		// original text.
		{"ẞ SPAM", []string{"SPAM"}, 4},
		// Spacing, full-width letters and invisible characters do not
		// hide a phrase; the span is the text as written.
		{"BUY  NOW cheap", []string{"BUY  NOW"}, 0},
		{"ok buy\nnow", []string{"buy\nnow"}, 3},
		{"buy\u00a0now", []string{"buy\u00a0now"}, 0},
		{"ＢＵＹ ＮＯＷ", []string{"ＢＵＹ ＮＯＷ"}, 0},
		{"bu\u200by now", []string{"bu\u200by now"}, 0},
		{"sp\u00adam", []string{"sp\u00adam"}, 0},
		{"朋友们加 微　信", []string{"加 微　信"}, 9},
		// A space between Latin words still separates them.
		{"buynow", nil, 0},
	}
	for _, c := range cases {
		hits := lex.Find(c.text)
		var got []string
		for _, h := range hits {
			got = append(got, h.Text)
			if c.text[h.Start:h.End] != h.Text {
				t.Errorf("%q: span %d-%d is %q, not %q", c.text, h.Start, h.End, c.text[h.Start:h.End], h.Text)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %q, want %q", c.text, got, c.want)
			}
		}
		if len(hits) > 0 && hits[0].Start != c.start {
			t.Errorf("%q: first hit at %d, want %d", c.text, hits[0].Start, c.start)
		}
	}
	h, _ := lex.First("朋友们加微信")
	if h.Locale != "zh-CN" || h.Phrase != "加微信" {
		t.Errorf("hit %+v: want locale zh-CN and phrase 加微信", h)
	}
}

func TestDetectors(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &config.Community{Name: "c", Moderation: []*config.Moderation{
		{Name: "links", Links: 3, Action: "remove"},
		{Name: "mentions", Mentions: 4, Action: "warn"},
		{Name: "flood", Rate: &durations.Rate{Count: 3, Window: 10 * time.Second}, Action: "mute", Duration: time.Hour},
		{Name: "pattern", Patterns: []string{`(?i)free\s+crypto`}, Action: "warn"},
	}}
	s := Compile(c)
	if s.RateWindow != 10*time.Second {
		t.Fatalf("rate window %v", s.RateWindow)
	}
	check := func(r *Rule, msg Message, want string) {
		t.Helper()
		ev, ok := r.Detect(msg)
		got := ""
		if ok {
			got = ev.String()
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", r.Config.Name, got, want)
		}
	}
	three := "see http://a.example https://b.example/x and www.c.example"
	check(s.Rules[0], Message{Text: three, Links: -1, Mentions: -1, At: at}, "3 links (limit 3)")
	check(s.Rules[0], Message{Text: "one http://a.example", Links: -1, Mentions: -1, At: at}, "")
	check(s.Rules[0], Message{Text: "", Links: 5, Mentions: -1, At: at}, "5 links (limit 3)")
	check(s.Rules[1], Message{Text: "@ana @bo <@123> @li hi, mail me at x@example.org", Links: -1, Mentions: -1, At: at}, "4 mentions (limit 4)")
	check(s.Rules[1], Message{Text: "mail x@example.org y@example.org", Links: -1, Mentions: -1, At: at}, "")
	recent := []time.Time{at.Add(-30 * time.Second), at.Add(-9 * time.Second), at.Add(-5 * time.Second), at.Add(-time.Second)}
	check(s.Rules[2], Message{At: at, Links: -1, Mentions: -1, Recent: recent}, "4 messages in 10s (limit 3)")
	check(s.Rules[2], Message{At: at, Links: -1, Mentions: -1, Recent: recent[:2]}, "")
	check(s.Rules[3], Message{Text: "get FREE  crypto now", Links: -1, Mentions: -1, At: at}, `pattern "(?i)free\\s+crypto" at 4-16: "FREE  crypto"`)

	mod := &state.Moderation{}
	for i := range 5 {
		s.Remember(mod, at.Add(time.Duration(i)*4*time.Second))
	}
	if len(mod.Recent) != 3 {
		t.Errorf("kept %d message times, want the 3 inside 10s", len(mod.Recent))
	}
}

func ladder() *config.Community {
	return &config.Community{Name: "c",
		Ladder: &config.Ladder{Decay: 7 * 24 * time.Hour, Rungs: []*config.Rung{
			{Strikes: 1, Action: "warn"},
			{Strikes: 2, Action: "mute", Duration: time.Hour},
			{Strikes: 3, Action: "mute", Duration: 24 * time.Hour},
			{Strikes: 4, Action: "kick"},
			{Strikes: 5, Action: "ban"},
		}},
		Moderation: []*config.Moderation{
			{Name: "spam", Keywords: map[string][]string{"en": {"spam"}}, Strikes: 1},
			{Name: "slur", Keywords: map[string][]string{"en": {"slur"}}, Strikes: 2},
			{Name: "watch", Keywords: map[string][]string{"en": {"hmm"}}, Action: "flag"},
		}}
}

func TestLadderClimbsAndDecays(t *testing.T) {
	s := Compile(ladder())
	mod := &state.Moderation{}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	steps := []struct {
		after  time.Duration
		rule   int
		action string
		dur    time.Duration
		live   int
	}{
		{0, 0, "warn", 0, 1},
		{day, 0, "mute", time.Hour, 2},
		{2 * day, 0, "mute", 24 * time.Hour, 3},
		// Day 7.5: the first strike (day 0) has decayed: 3 live, not 4.
		{7*day + 12*time.Hour, 0, "mute", 24 * time.Hour, 3},
		{7*day + 13*time.Hour, 1, "ban", 0, 5},
		// A flag adds no strike and takes no action beyond recording.
		{7*day + 14*time.Hour, 2, "flag", 0, 5},
		// Past the last rung, the last rung repeats.
		{7*day + 15*time.Hour, 0, "ban", 0, 6},
		// A month later everything has decayed: back to a warning.
		{40 * day, 0, "warn", 0, 1},
	}
	for i, st := range steps {
		at := start.Add(st.after)
		d := s.Decide(mod, s.Rules[st.rule], Evidence{Kind: "keyword"}, at, "e")
		if d.Action != st.action || d.Duration != st.dur || d.Live != st.live {
			t.Errorf("step %d: got %s %v with %d live, want %s %v with %d", i, d.Action, d.Duration, d.Live, st.action, st.dur, st.live)
		}
	}
	if len(mod.Strikes) != 1 {
		t.Errorf("decayed strikes not pruned: %d kept", len(mod.Strikes))
	}
	if !mod.Banned {
		t.Error("ban not recorded")
	}
}

// TestFloodIsOneOffence: ten messages in ten seconds against a limit of
// five in 30s cost one strike, not one per message past the limit; the
// rest of the burst is flagged, and removed where the rule deletes. A
// flood that goes on past the window costs another strike.
func TestFloodIsOneOffence(t *testing.T) {
	c := ladder()
	c.Moderation = []*config.Moderation{{Name: "flood", Rate: &durations.Rate{Count: 5, Window: 30 * time.Second}, Strikes: 1, Delete: true}}
	s := Compile(c)
	mod := &state.Moderation{}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var actions []string
	flood := func(from, n int) {
		for i := from; i < from+n; i++ {
			at := start.Add(time.Duration(i) * time.Second)
			if ev, ok := s.Rules[0].Detect(Message{At: at, Links: -1, Mentions: -1, Recent: mod.Recent}); ok {
				d := s.Decide(mod, s.Rules[0], ev, at, fmt.Sprint("e", i))
				if !d.Delete {
					t.Errorf("message %d of the flood is kept, the rule deletes", i)
				}
				actions = append(actions, d.Action)
			}
			s.Remember(mod, at)
		}
	}
	flood(0, 10)
	if want := []string{"warn", "flag", "flag", "flag", "flag"}; !slices.Equal(actions, want) || s.Live(mod, start.Add(10*time.Second)) != 1 {
		t.Errorf("one burst: actions %v with %d live strikes, want %v with 1", actions, s.Live(mod, start.Add(10*time.Second)), want)
	}
	// Still flooding 30 seconds after the strike: a second offence.
	actions = nil
	flood(10, 30)
	if n := s.Live(mod, start.Add(40*time.Second)); n != 2 || !slices.Contains(actions, "mute") {
		t.Errorf("a flood past its window: actions %v with %d live strikes, want a mute at 2", actions, n)
	}
}

func TestPardonAndNextDecay(t *testing.T) {
	s := Compile(ladder())
	mod := &state.Moderation{}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s.Decide(mod, s.Rules[0], Evidence{}, at, "a")
	s.Decide(mod, s.Rules[1], Evidence{}, at.Add(time.Hour), "b")
	if got := s.NextDecay(mod, at); !got.Equal(at.Add(7 * 24 * time.Hour)) {
		t.Errorf("next decay %v", got)
	}
	if n := Pardon(mod, "slur"); n != 2 {
		t.Errorf("pardon slur cleared %d, want 2", n)
	}
	if n := s.Live(mod, at.Add(2*time.Hour)); n != 1 {
		t.Errorf("%d live after pardoning slur, want 1", n)
	}
	if n := Pardon(mod, ""); n != 1 || len(mod.Strikes) != 0 {
		t.Errorf("pardon all cleared %d, left %d", n, len(mod.Strikes))
	}
	if !s.NextDecay(mod, at).IsZero() {
		t.Error("no strikes, yet a next decay")
	}
	// After a pardon the ladder starts over.
	if d := s.Decide(mod, s.Rules[0], Evidence{}, at.Add(3*time.Hour), "c"); d.Action != "warn" {
		t.Errorf("after pardon: %s, want warn", d.Action)
	}
}

// FuzzLexicon: any text and phrase give spans that point into the text
// and say what they matched, and nothing panics.
func FuzzLexicon(f *testing.F) {
	f.Add("朋友们加微信领红包", "加微信")
	f.Add("This is SPAM!", "spam")
	f.Add("ẞẞ SPAM İstanbul", "i̇stanbul")
	f.Add("\xff\xfe broken utf8 spam", "spam")
	f.Fuzz(func(t *testing.T, text, phrase string) {
		// Two phrases, one the other's prefix, exercise shared states.
		lists := map[string][]string{"x": {phrase}, "y": {phrase + phrase[:len(phrase)/2]}}
		lex := NewLexicon(lists)
		hits := lex.Find(text)
		for _, h := range hits {
			if h.Start < 0 || h.End > len(text) || h.Start > h.End || text[h.Start:h.End] != h.Text {
				t.Fatalf("bad span %d-%d %q in %q", h.Start, h.End, h.Text, text)
			}
		}
		if want := naiveFind(lex, text); len(want) != len(hits) {
			t.Fatalf("%q in %q: automaton found %d, a plain search %d", lists, text, len(hits), len(want))
		}
	})
}

// naiveFind is Find by searching each phrase on its own, to check the
// automaton against.
func naiveFind(l *Lexicon, text string) []Hit {
	low, idx := fold(text)
	var hits []Hit
	for _, e := range l.entries {
		for from := 0; from <= len(low); {
			i := strings.Index(low[from:], e.phrase)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(e.phrase)
			if e.cjk || boundary(low, start, end) {
				from, to := span(text, idx, start, end)
				hits = append(hits, Hit{Text: text[from:to]})
			}
			from = start + 1
		}
	}
	return hits
}
