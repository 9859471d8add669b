package runtime_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// TestTierTrustLevels: moving onto a tier with a discourse block queues
// its trust level on the forum, locked where the tier says lock or the
// member is held there by locked; leaving the tiers that set one lifts
// the lock; a revoked badge with a platform queues its revocation there.
func TestTierTrustLevels(t *testing.T) {
	dir := t.TempDir()
	src := `
platform "discourse" "forum" {
  url = "https://forum.example.org"
}

community "forum" {
  title    = "Forum"
  platform = platform.discourse.forum
}

tier "basic" {
  rank = 1
  when = "count('message.posted', '30d') >= 1"
  discourse {
    trust_level = 1
  }
}

tier "member" {
  rank = 2
  when = "count('message.posted', '30d') >= 3"
  discourse {
    trust_level = 2
    lock        = true
  }
}

tier "leader" {
  rank   = 3
  when   = "false"
  locked = ["u9"]
  discourse {
    trust_level = 4
  }
}

badge "active" {
  title       = "Active"
  platform    = platform.discourse.forum
  revoke_when = "count('message.posted', '30d') == 0"
}

incentive "active" {
  on = "message.posted"
  grant {
    badge = badge.active
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	forum := config.PlatformSpec{Type: config.TrustPlatform, Attrs: []config.Attr{{Name: "url", Kind: config.KindString}}}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), config.TrustPlatform: forum}})
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags.Error())
	}
	stream := ev("m1", "message.posted", "u1", 0, 9, "") + ev("m2", "message.posted", "u1", 0, 10, "") +
		ev("m3", "message.posted", "u1", 0, 11, "") + ev("c1", "checkin", "u1", 40, 9, "") + ev("c2", "checkin", "u9", 1, 9, "")
	_, outs, members := run(t, cfg, stream)
	var got []string
	for _, o := range outs {
		if o.Kind == state.KindAction && o.To == "platform.discourse.forum" && o.Name != "badge.grant" {
			// A time-driven recheck, day 30, takes the last message out of
			// the window; its event id carries the time.
			parts := strings.Split(o.Detail, "/")
			if strings.HasPrefix(parts[1], "recheck:") {
				parts[1] = "recheck"
			}
			got = append(got, strings.Join(parts, "/"))
		}
	}
	want := []string{
		"trust_level.raise/m1/u1/platform.discourse.forum/1",
		"trust_level.lock/m3/u1/platform.discourse.forum/2",
		"trust_level.lock/c2/u9/platform.discourse.forum/4",
		"badge.revoke/recheck/u1/active",
		"trust_level.unlock/recheck/u1/platform.discourse.forum",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("forum actions:\n%v\nwant:\n%v", got, want)
	}
	if m := members["u1"]; m == nil || m.Tier.Name != "" {
		t.Errorf("u1 ends on tier %v; want none", m)
	}
}
