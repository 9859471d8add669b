package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/state"
)

// runPrune is hearth state prune: what hearth run does every hour, for
// state no daemon serves.
func runPrune(ctx context.Context, s *stdio, dir string, vf varFlags, dryRun, asJSON bool) int {
	cfg, ok := loadConfigAs(s, dir, vf, asJSON)
	if !ok {
		return 1
	}
	st := cfg.Settings.State
	if st.EventIDRetention <= 0 && st.OutcomeRetention <= 0 {
		fmt.Fprintln(s.err, `hearth state prune: nothing to prune: the configuration keeps event ids and outcomes forever. Set how long to keep them, such as
  hearth {
    state {
      event_id_retention = "90d"
      outcome_retention  = "400d"
    }
  }`)
		return 1
	}
	if err := missingState(cfg, hintRun); err != nil {
		if asJSON {
			return writeJSON(s, map[string]any{"dry_run": dryRun, "event_ids": 0, "outcomes": 0})
		}
		fmt.Fprintf(s.out, "Nothing to prune: there is no state yet at %s.\n", cfg.Settings.State.Path)
		return 0
	}
	// A daemon on SQLite keeps the id horizon in memory; it would not
	// see one moved by another process. (On PostgreSQL every commit
	// reads it, so pruning alongside replicas is safe.)
	if !dryRun {
		lock, a, ok := lockForWrite(s, cfg, "state prune")
		if !ok {
			return 1
		}
		if lock == nil {
			fmt.Fprintf(s.err, "hearth state prune: hearth run (pid %d, %s) serves this state and prunes it by itself every hour.\n", a.PID, a.URL)
			return 1
		}
		defer lock.release()
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state prune: %v\n", err)
		return 1
	}
	defer store.Close()
	p, ok := store.(state.Pruner)
	if !ok {
		fmt.Fprintf(s.err, "hearth state prune: the %s state backend keeps nothing between runs to prune\n", st.Backend)
		return 1
	}
	req := state.PruneFor(time.Now(), st.EventIDRetention, st.OutcomeRetention)
	req.DryRun = dryRun
	res, err := p.Prune(ctx, req)
	if err != nil {
		fmt.Fprintf(s.err, "hearth state prune: %v (forgot %d event ids and %d outcomes before it)\n", err, res.EventIDs, res.Outcomes)
		return 1
	}
	if asJSON {
		return writeJSON(s, map[string]any{"dry_run": dryRun, "event_ids": res.EventIDs, "outcomes": res.Outcomes,
			"ids_before": timeOrNil(req.IDsBefore), "outcomes_before": timeOrNil(req.OutcomesBefore), "id_horizon": timeOrNil(res.IDHorizon)})
	}
	verb := "Forgot"
	if dryRun {
		verb = "Would forget"
	}
	if !req.IDsBefore.IsZero() {
		fmt.Fprintf(s.out, "%s %d event ids from before %s (event_id_retention %s).\n", verb, res.EventIDs, req.IDsBefore.UTC().Format(time.RFC3339), durations.FormatDays(st.EventIDRetention))
	}
	if !req.OutcomesBefore.IsZero() {
		fmt.Fprintf(s.out, "%s %d outcomes from before %s (outcome_retention %s).\n", verb, res.Outcomes, req.OutcomesBefore.UTC().Format(time.RFC3339), durations.FormatDays(st.OutcomeRetention))
	}
	if !res.IDHorizon.IsZero() {
		are := "are"
		if dryRun {
			are = "would be"
		}
		fmt.Fprintf(s.out, "Events from before %s %s refused: hearth can no longer tell them apart from events already applied.\n", res.IDHorizon.UTC().Format(time.RFC3339), are)
	}
	return 0
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
