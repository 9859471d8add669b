package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hearth-community/hearth/engine/config"
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
	if st.EventIDRetention <= 0 && st.OutcomeRetention <= 0 && st.OutboxRetention <= 0 {
		fmt.Fprintln(s.err, `hearth state prune: nothing to prune: the configuration keeps event ids, outcomes and the outbox forever. Set how long to keep them, such as
  hearth {
    state {
      event_id_retention = "90d"
      outcome_retention  = "400d"
      outbox_retention   = "90d"
    }
  }`)
		return 1
	}
	if err := missingState(cfg, hintRun); err != nil {
		if asJSON {
			return writeJSON(s, map[string]any{"dry_run": dryRun, "event_ids": 0, "outcomes": 0, "outbox": 0})
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
	op, okOutbox := store.(state.OutboxPruner)
	if !ok || !okOutbox {
		fmt.Fprintf(s.err, "hearth state prune: the %s state backend keeps nothing between runs to prune\n", st.Backend)
		return 1
	}
	now := s.clock()
	req := state.PruneFor(now, st.EventIDRetention, st.OutcomeRetention)
	req.DryRun = dryRun
	var res state.Pruned
	if !req.IDsBefore.IsZero() || !req.OutcomesBefore.IsZero() {
		if res, err = p.Prune(ctx, req); err != nil {
			fmt.Fprintf(s.err, "hearth state prune: %v (forgot %s and %s before it)\n", err, plural64(res.EventIDs, "event id", "event ids"), plural64(res.Outcomes, "outcome", "outcomes"))
			return 1
		}
	}
	var ob outboxPruned
	if st.OutboxRetention > 0 {
		ob.before = now.Add(-st.OutboxRetention)
		if ob.n, err = op.PruneOutbox(ctx, ob.before, dryRun); err != nil {
			fmt.Fprintf(s.err, "hearth state prune: %v (removed %d outbox entries before it)\n", err, ob.n)
			return 1
		}
	}
	if asJSON {
		return writeJSON(s, map[string]any{"dry_run": dryRun, "event_ids": res.EventIDs, "outcomes": res.Outcomes, "outbox": ob.n,
			"ids_before": timeOrNil(req.IDsBefore), "outcomes_before": timeOrNil(req.OutcomesBefore), "outbox_before": timeOrNil(ob.before), "id_horizon": timeOrNil(res.IDHorizon)})
	}
	writePruned(s.out, st, req, res, ob)
	return 0
}

// outboxPruned is what outbox_retention removed: entries finished
// before the time (zero: the outbox is kept forever).
type outboxPruned struct {
	before time.Time
	n      int64
}

// writePruned says what a prune forgot, or a dry run would: the same
// sentences, so the two can be compared line by line. The cut of event
// ids is the retention plus the margin ids are kept beyond it
// (state.RetentionSlack), and the sentence says so: a reader working
// out "now minus the retention" would otherwise expect the ids of that
// last hour to go too. Outcomes go in the order they were written, up to
// the first one kept, so a replayed old event's outcomes written after a
// newer one's wait for a later prune.
func writePruned(w io.Writer, st config.StateSettings, req state.Prune, res state.Pruned, ob outboxPruned) {
	forget, are, remove := "Forgot", "are", "Removed"
	if req.DryRun {
		forget, are, remove = "Would forget", "would be", "Would remove"
	}
	if !req.IDsBefore.IsZero() {
		fmt.Fprintf(w, "%s %s of events before %s: event_id_retention %s, plus the %s ids are kept beyond it.\n",
			forget, plural64(res.EventIDs, "event id", "event ids"), req.IDsBefore.UTC().Format(time.RFC3339),
			durations.FormatDays(st.EventIDRetention), margin())
	}
	if !req.OutcomesBefore.IsZero() {
		fmt.Fprintf(w, "%s %s of events before %s written before any outcome kept (outcome_retention %s).\n",
			forget, plural64(res.Outcomes, "outcome", "outcomes"), req.OutcomesBefore.UTC().Format(time.RFC3339), durations.FormatDays(st.OutcomeRetention))
	}
	if !ob.before.IsZero() {
		fmt.Fprintf(w, "%s %s that finished before %s (outbox_retention %s); pending ones stay.\n",
			remove, plural64(ob.n, "sent, dead or skipped outbox entry", "sent, dead or skipped outbox entries"), ob.before.UTC().Format(time.RFC3339), durations.FormatDays(st.OutboxRetention))
	}
	if !res.IDHorizon.IsZero() {
		fmt.Fprintf(w, "Events from before %s %s refused: hearth can no longer tell them apart from events already applied.\n", res.IDHorizon.UTC().Format(time.RFC3339), are)
	}
}

// margin names state.RetentionSlack in words: "hour", "2 hours".
func margin() string {
	if h := state.RetentionSlack / time.Hour; h*time.Hour == state.RetentionSlack {
		if h == 1 {
			return "hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	return state.RetentionSlack.String()
}

func plural64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
