package main

import (
	"context"
	"fmt"

	"github.com/hearth-community/hearth/engine/config"
)

// loadReadConfig is loadConfigAs for the commands that only read the
// state (member show, why, eval and list, campaign show, outbox list,
// report). While the files in dir fail validation, hearth run goes on
// with the last configuration that loaded, and so do these: they read
// the state with the configuration the daemon recorded in it
// (config.RunningRecord), and say so, rather than refusing to show
// anything until the files are fixed. With no record to fall back on
// (a state no daemon of this version ran, or one the broken files do
// not lead to), the errors are printed as for any command.
func loadReadConfig(ctx context.Context, s *stdio, dir string, vf varFlags, asJSON bool, name string) (*config.Config, bool) {
	opts := vf.options(s)
	cfg, src, diags := config.Load(dir, opts)
	if !diags.HasErrors() {
		return cfg, reportLoad(s, dir, cfg, src, diags, asJSON)
	}
	if run, ok := runningConfig(ctx, cfg); ok {
		opts.Files = run.Texts()
		if rc, _, rd := config.Load(dir, opts); !rd.HasErrors() {
			errs, _ := count(diags)
			fmt.Fprintf(s.err, "hearth %s: the files in %s are invalid (%s: hearth validate %s lists them); reading the state with the configuration hearth run runs, loaded %s (hash %s), as recorded in the state.\n",
				name, dir, plural(errs, "error", "errors"), dir, run.LoadedAt.UTC().Format("2006-01-02 15:04 UTC"), shortHash(run.Hash))
			return rc, true
		}
	}
	return cfg, reportLoad(s, dir, cfg, src, diags, asJSON)
}

// runningConfig is the configuration record (config.RunningRecord) of
// the state a configuration that failed to load names, if it names one
// that exists and keeps a record.
func runningConfig(ctx context.Context, cfg *config.Config) (config.Running, bool) {
	if cfg == nil {
		return config.Running{}, false
	}
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		return config.Running{}, false
	}
	defer store.Close()
	cr, ok := store.(interface {
		Cursor(ctx context.Context, stream string) (string, error)
	})
	if !ok {
		return config.Running{}, false
	}
	rec, err := cr.Cursor(ctx, config.RunningRecord)
	if err != nil {
		return config.Running{}, false
	}
	return config.ParseRunning(rec)
}

// shortHash is the first twelve characters of a configuration hash, as
// hearth run logs it.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
