package daemon_test

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
)

// A reload that changes what hearth run reads only at start (the state
// store, platform blocks) is taken, but says those changes wait for a
// restart, in the reload's record and in a warning, for as long as they
// differ from what the daemon started with.
func TestReloadSaysWhatWaitsForARestart(t *testing.T) {
	var logs syncBuffer
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	reload := func() daemon.Reload {
		t.Helper()
		r := f.d.Reload("test")
		if !r.OK {
			t.Fatalf("reload failed: %+v", r.Diagnostics)
		}
		return r
	}
	moved := strings.Replace(base, `platform "local" "main" {}`, `
hearth {
  state {
    path = "elsewhere.db"
  }
}
platform "local" "main" {
  workspace = "Renamed"
}
platform "local" "second" {}`, 1)
	write(t, f.dir, "main.hcl", moved)
	want := []string{"hearth.state", "platform.local.main (changed)", "platform.local.second (added)"}
	if r := reload(); !slices.Equal(r.RestartNeeded, want) {
		t.Errorf("restart_needed %q; want %q", r.RestartNeeded, want)
	}
	if got := logs.String(); !strings.Contains(got, `"level":"WARN","msg":"some changes take effect only when hearth run restarts`) ||
		!strings.Contains(got, `"restart_needed":["hearth.state","platform.local.main (changed)","platform.local.second (added)"]`) {
		t.Errorf("no warning naming what waits for a restart:\n%s", got)
	}
	// A later reload of the rules alone still says so: the daemon has
	// not restarted.
	write(t, f.dir, "rules.hcl", rulesB)
	if r := reload(); !slices.Equal(r.RestartNeeded, want) {
		t.Errorf("after a second reload, restart_needed %q; want %q", r.RestartNeeded, want)
	}
	// Back to the platforms and state it started with: nothing waits.
	write(t, f.dir, "main.hcl", base)
	if r := reload(); r.RestartNeeded != nil {
		t.Errorf("files back as at start: restart_needed %q; want none", r.RestartNeeded)
	}
	write(t, f.dir, "main.hcl", strings.Replace(base, `platform "local" "main" {}`, ``, 1)+`platform "local" "main" {}
platform "local" "gone" {}`)
	f.stop()
	g := startOn(t, f.dir, f.db, "")
	write(t, g.dir, "main.hcl", base)
	if r := g.d.Reload("test"); !slices.Equal(r.RestartNeeded, []string{"platform.local.gone (removed)"}) {
		t.Errorf("a platform removed: restart_needed %q", r.RestartNeeded)
	}
	_, status := get(t, g, "/v1/status")
	last, _ := json.Marshal(status["last_reload"])
	if !strings.Contains(string(last), `"restart_needed":["platform.local.gone (removed)"]`) {
		t.Errorf("status's last_reload does not say what waits for a restart: %s", last)
	}
}
