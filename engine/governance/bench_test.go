package governance

import (
	"fmt"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

// BenchmarkDetect checks one ordinary message against a community with
// 200 keywords in two languages, patterns, link, mention and rate rules:
// the cost every message pays.
func BenchmarkDetect(b *testing.B) {
	kw := map[string][]string{}
	for i := range 100 {
		kw["en"] = append(kw["en"], fmt.Sprintf("spamword%d", i))
		kw["zh-CN"] = append(kw["zh-CN"], fmt.Sprintf("广告%d号", i))
	}
	s := Compile(&config.Community{Name: "c", Moderation: []*config.Moderation{
		{Name: "kw", Keywords: kw, Action: "warn"},
		{Name: "pat", Patterns: []string{`(?i)free\s+crypto`, `(?i)bit\.ly/`}, Action: "warn"},
		{Name: "links", Links: 4, Action: "warn"},
		{Name: "mentions", Mentions: 6, Action: "warn"},
		{Name: "flood", Rate: &durations.Rate{Count: 5, Window: 30 * time.Second}, Action: "warn"},
	}})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := Message{Text: "今天泡了一壶岩茶，回甘明显 — brewed a lovely Dancong this morning, see https://tea.example/notes @ann", Links: -1, Mentions: -1, At: at,
		Recent: []time.Time{at.Add(-20 * time.Second), at.Add(-10 * time.Second)}}
	for b.Loop() {
		for _, r := range s.Rules {
			if _, ok := r.Detect(msg); ok {
				b.Fatal("an ordinary message matched")
			}
		}
	}
}
