package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const replayUsage = `Usage: hearth replay -events FILE.jsonl [options] [DIR]

Applies member events to the configuration's state store (hearth.state;
by default the SQLite file DIR/.hearth/state.db), the way the daemon does:
points, badges, tiers and segments are committed, many events per
transaction. Events already applied (same id) are skipped, so replaying a
file twice changes nothing the second time.

Use 'hearth simulate' to try rules without touching the store.

Examples:
  hearth replay -events history.jsonl examples/quickstart
  hearth import stackexchange dump/ | hearth replay -events - examples/stackexchange
`

func runReplay(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "replay", replayUsage)
	eventsPath := fs.String("events", "", "JSON lines file of events (\"-\" for standard input). Required.")
	batch := fs.Int("batch", 1000, "Events committed per transaction.")
	asJSON := fs.Bool("json", false, "Print the summary as JSON.")
	var vf varFlags
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "replay")
	if !ok {
		return 1
	}
	if *eventsPath == "" {
		fmt.Fprintln(s.err, "hearth replay: -events FILE is required; see 'hearth replay -h'.")
		return 1
	}
	cfg, store, ok := loadStore(ctx, s, dir, vf, "replay")
	if !ok {
		return 1
	}
	defer store.Close()
	var in io.Reader = s.in
	if *eventsPath != "-" {
		f, err := os.Open(*eventsPath)
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	bad := 0
	start := time.Now()
	opt := simulate.Options{Store: store, BatchSize: *batch, BadEvent: func(e *events.Error) {
		bad++
		if bad <= 10 {
			fmt.Fprintf(s.err, "hearth replay: %s: %v (skipped)\n", *eventsPath, e)
		}
	}}
	if s.errTTY {
		opt.Progress = func(n int) {
			fmt.Fprintf(s.err, "\r  applied %d events (%.0f/s)...", n, float64(n)/time.Since(start).Seconds())
		}
	}
	sum, err := simulate.Run(ctx, cfg, in, opt)
	if s.errTTY {
		fmt.Fprint(s.err, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth replay: %v (events of the failed batch were not applied; run again to resume)\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return 0
	}
	fmt.Fprintf(s.out, "State: %s %s\n", cfg.Settings.State.Backend, storeWhere(cfg))
	printSummary(s.out, cfg, sum, time.Since(start))
	return 0
}

// loadStore loads the configuration and opens its state store, printing
// what went wrong as the named command.
func loadStore(ctx context.Context, s *stdio, dir string, vf varFlags, name string) (*config.Config, state.Store, bool) {
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return nil, nil, false
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return nil, nil, false
	}
	return cfg, store, true
}

// openStore opens the state store the configuration names.
func openStore(ctx context.Context, cfg *config.Config) (state.Store, error) {
	switch cfg.Settings.State.Backend {
	case "sqlite":
		return sqlite.Open(ctx, cfg.Settings.State.Path)
	case "memory":
		return state.NewMemory(), nil
	}
	return nil, fmt.Errorf("the %s state backend is not available in this build yet; use sqlite", cfg.Settings.State.Backend)
}

func storeWhere(cfg *config.Config) string {
	if cfg.Settings.State.Backend == "sqlite" {
		return cfg.Settings.State.Path
	}
	return ""
}
