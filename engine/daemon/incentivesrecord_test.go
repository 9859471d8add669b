package daemon_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// The daemon records the incentives it runs with in the state when it
// loads the files, and again when a reload changes them, so that hearth
// plan can name the incentives a change edits.
func TestDaemonRecordsItsIncentives(t *testing.T) {
	ctx := context.Background()
	incentive := func(name, points string) string {
		return `
incentive "` + name + `" {
  on = "message.posted"
  grant {
    points = ` + points + `
  }
}
`
	}
	f := start(t, incentive("posting", "5"), "")
	recorded := func() config.IncentivesDigest {
		t.Helper()
		s, err := f.store.Cursor(ctx, config.IncentivesRecord)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := config.ParseIncentivesDigest(s)
		return d
	}
	var first config.IncentivesDigest
	waitFor(t, func() bool {
		first = recorded()
		return first.Incentives["posting"] != ""
	})
	write(t, f.dir, "rules.hcl", incentive("posting", "9"))
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	waitFor(t, func() bool {
		d := recorded()
		return d.Incentives["posting"] != "" && d.Incentives["posting"] != first.Incentives["posting"]
	})
	write(t, f.dir, "rules.hcl", incentive("hello", "9"))
	if code, body := post(t, f, "/v1/reload", "", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %v", code, body)
	}
	waitFor(t, func() bool {
		return strings.Join(slices.Sorted(maps.Keys(recorded().Incentives)), ",") == "hello"
	})
}
