package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// writeLargeConfig writes a configuration with 1,000 distinct rules
// spread the way a large community would: 87 moderation rules, 250
// segments, 100 tiers (when and keep), 250 incentives (when, and
// grant.to on a quarter of them), 50 campaigns (exit_when, and a when and
// a wait_until on two of their four steps), plus the templates, badges
// and roles they refer to, in one file per topic.
func writeLargeConfig(tb testing.TB) (dir string, rules int) {
	tb.Helper()
	files := map[string]*strings.Builder{}
	file := func(name string) *strings.Builder {
		if files[name] == nil {
			files[name] = &strings.Builder{}
		}
		return files[name]
	}
	b := file("community.hcl")
	b.WriteString(`hearth {
  timezone = "UTC"
}

platform "local" "main" {}

event "meetup.attended" {
  activity   = true
  attributes = { city = "string", guests = "int" }
}

community "big" {
  title    = "Big"
  platform = platform.local.main
  channel "general" {}
`)
	for i := range 100 {
		fmt.Fprintf(b, "  role \"r%d\" {\n    color = \"#%06x\"\n  }\n", i, i*4000)
	}
	for i := range 87 {
		fmt.Fprintf(b, "  moderation \"m%d\" {\n    when = \"event.links > %d || len(event.text) > %d\"\n    action = \"flag\"\n  }\n", i, i%5, 1000+i)
		rules++
	}
	b.WriteString("}\n\n")
	b = file("rewards.hcl")
	for i := range 50 {
		fmt.Fprintf(b, "badge \"b%d\" {\n  title = \"Badge %d\"\n  class = \"silver\"\n}\n\n", i, i)
		fmt.Fprintf(file("templates.hcl"), "template \"t%d\" {\n  text = {\n    en    = \"Hi ${member.name}, you have ${member.points} points (%d)\"\n    zh-CN = \"你好 ${member.name}\"\n  }\n}\n\n", i, i)
	}
	b = file("segments.hcl")
	for i := range 250 {
		rule := fmt.Sprintf("member.points >= %d && active_days('30d') >= %d", i*10, i%30)
		if i > 0 && i%5 == 0 {
			rule += fmt.Sprintf(" && in_segment('s%d')", i-1)
		}
		if i%7 == 0 {
			rule += fmt.Sprintf(" || count('message.posted', '%dd') > %d", 1+i%90, i)
		}
		fmt.Fprintf(b, "segment \"s%d\" {\n  community = community.big\n  description = \"Segment %d\"\n  when = \"%s\"\n  role = community.big.role.r%d\n}\n\n", i, i, rule, i%100)
		rules++
	}
	b = file("tiers.hcl")
	for i := range 100 {
		fmt.Fprintf(b, "tier \"t%d\" {\n  rank = %d\n  when = \"member.points >= %d && has_badge('b%d')\"\n  keep = \"member.points >= %d\"\n  grace = \"14d\"\n  role = community.big.role.r%d\n}\n\n", i, i+1, i*100, i%50, i*90, i)
		rules += 2
	}
	b = file("incentives.hcl")
	for i := range 250 {
		on := `"message.posted"`
		when := fmt.Sprintf("event.length > %d && member.messages >= %d", i, i%20)
		switch i % 3 {
		case 1:
			on = `["message.posted", "post.created"]`
			when = fmt.Sprintf("event.length > %d || tier_rank() >= rank_of('t%d')", i, i%100)
		case 2:
			on = `"meetup.attended"`
			when = fmt.Sprintf("event.guests > %d && event.city != ''", i%5)
		}
		to := ""
		if i%4 == 0 { // most grants go to the event's member
			to = fmt.Sprintf("    to = \"member.points > %d ? event.member : ''\"\n", i)
			rules++
		}
		fmt.Fprintf(b, "incentive \"i%d\" {\n  on = %s\n  when = \"%s\"\n  limit = \"5/30d\"\n  grant {\n%s    points = %d\n    badge = badge.b%d\n  }\n}\n\n", i, on, when, to, 1+i%10, i%50)
		rules++
	}
	b = file("campaigns.hcl")
	for i := range 50 {
		fmt.Fprintf(b, `campaign "c%d" {
  audience  = segment.s%d
  exit_when = "member.messages > %d"
  step "welcome" {
    send {
      channel  = "dm"
      template = template.t%d
    }
  }
  step "wait" {
    wait_until = "member.points > %d"
    timeout    = "7d"
    on_timeout = "exit"
  }
  step "nudge" {
    when = "member.days_since_active > 3"
    wait = "1d"
    send {
      channel  = "channel"
      template = template.t%d
      target   = community.big.channel.general
    }
  }
  step "done" {
    goto = "exit"
  }
}

`, i, i*5, i, i, i*10, (i+1)%50)
		rules += 3
	}
	dir = tb.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir, rules
}

// TestLargeConfig makes sure the benchmark's input is valid, so the
// benchmark measures a real load rather than an early error.
func TestLargeConfig(t *testing.T) {
	dir, rules := writeLargeConfig(t)
	if rules != 1000 {
		t.Errorf("%d rules; the benchmark promises 1000", rules)
	}
	cfg, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags[:min(len(diags), 5)]))
	}
	if n := len(allRules(cfg)); n != rules {
		t.Errorf("loaded %d rules; want %d", n, rules)
	}
}

func BenchmarkLoad1000Rules(b *testing.B) {
	dir, _ := writeLargeConfig(b)
	opts := testOptions(nil)
	for b.Loop() {
		_, _, diags := config.Load(dir, opts)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}
