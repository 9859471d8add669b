package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// An incentive's digest changes with what decides its grants, a local
// it reads included, and not with its description or the file's
// layout; the record reads back as written, and a missing or broken
// one as none.
func TestDigestIncentives(t *testing.T) {
	load := func(src string) *config.Config {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _, diags := config.Load(dir, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return cfg
	}
	const src = `
locals {
  bar = %s
}
incentive "nice" {
  description = %q
  on          = "post.voted"
  when        = "event.score == ${local.bar}"
  grant {
    points = 5
  }
}
incentive "hello" {
  on = "member.joined"
  grant {
    points = 1
  }
}
`
	digest := func(bar, desc string) config.IncentivesDigest {
		return config.DigestIncentives(load(fmt.Sprintf(src, bar, desc)))
	}
	a := digest("10", "Nice")
	if got := digest("10", "Quite nice"); got.String() != a.String() {
		t.Errorf("a description changed the digest: %s, %s", a, got)
	}
	b := digest("5", "Nice")
	changed, added, removed := b.IncentiveChanges(a)
	if !slices.Equal(changed, []string{"nice"}) || len(added)+len(removed) > 0 {
		t.Errorf("a local the rule reads changed: changed %v, added %v, removed %v; want [nice]", changed, added, removed)
	}
	// once_per decides grants: adding it changes the digest.
	withOncePer := config.DigestIncentives(load(strings.Replace(fmt.Sprintf(src, "5", "Nice"), `on          = "post.voted"`, `on = "post.voted"
  once_per = "event.id"`, 1)))
	if changed, _, _ := withOncePer.IncentiveChanges(b); !slices.Equal(changed, []string{"nice"}) {
		t.Errorf("once_per added: changed %v, want [nice]", changed)
	}
	back, ok := config.ParseIncentivesDigest(b.String())
	if !ok || back.String() != b.String() {
		t.Errorf("the record read back as %s (%v), want %s", back, ok, b)
	}
	for _, s := range []string{"", "{", `{"other":1}`} {
		if _, ok := config.ParseIncentivesDigest(s); ok {
			t.Errorf("%q read as a record", s)
		}
	}
	changed, added, removed = b.IncentiveChanges(config.IncentivesDigest{Incentives: map[string]string{"nice": b.Incentives["nice"], "gone": "x"}})
	if len(changed) > 0 || !slices.Equal(added, []string{"hello"}) || !slices.Equal(removed, []string{"gone"}) {
		t.Errorf("changed %v, added %v, removed %v; want none, [hello], [gone]", changed, added, removed)
	}
}
