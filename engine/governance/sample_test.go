package governance

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

// TestRuleSample checks the evidence hearth template render previews a
// ladder's message with: a real match of the rule's first check, as
// Detect words it.
func TestRuleSample(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	when := &config.Rule{Source: "event.channel != 'market'"}
	c := &config.Community{Name: "c", Moderation: []*config.Moderation{
		{Name: "ads", Keywords: map[string][]string{"en": {"buy now"}, "zh-CN": {"加微信", "代购"}}},
		{Name: "scam", Patterns: []string{`(?i)https?://(bit\.ly|t\.cn)/`}},
		{Name: "free", Patterns: []string{`(?i)free\s+(usdt|btc)\b`, `x`}},
		{Name: "digits", Patterns: []string{`^\d{3}-\d+$`}},
		{Name: "links", Links: 3},
		{Name: "mentions", Mentions: 6},
		{Name: "flood", Rate: &durations.Rate{Count: 5, Window: 30 * time.Second}},
		{Name: "market", When: when},
		{Name: "never", Patterns: []string{`a\bb`}},
	}}
	s := Compile(c)
	cases := []struct {
		rule, locale, want string
		ok                 bool
	}{
		{"ads", "zh-CN", `keyword "加微信" (zh-CN) at 0-9: "加微信"`, true},
		{"ads", "de", `keyword "buy now" (en) at 0-7: "buy now"`, true},
		{"scam", "en", `pattern "(?i)https?://(bit\\.ly|t\\.cn)/" at 0-14: "http://bit.ly/"`, true},
		{"free", "en", `pattern "(?i)free\\s+(usdt|btc)\\b" at 0-9: "free usdt"`, true},
		{"digits", "en", `pattern "^\\d{3}-\\d+$" at 0-5: "000-0"`, true},
		{"links", "en", "3 links (limit 3)", true},
		{"mentions", "en", "6 mentions (limit 6)", true},
		{"flood", "en", "6 messages in 30s (limit 5)", true},
		{"market", "en", `when "event.channel != 'market'" held`, true},
		{"never", "en", "", false},
	}
	for _, cs := range cases {
		var r *Rule
		for _, x := range s.Rules {
			if x.Config.Name == cs.rule {
				r = x
			}
		}
		ev, ok := r.Sample(cs.locale, at)
		if ok != cs.ok || ok && ev.String() != cs.want {
			t.Errorf("%s (%s): %v %q; want %v %q", cs.rule, cs.locale, ok, ev.String(), cs.ok, cs.want)
		}
	}
}
