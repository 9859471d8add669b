package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// retrySample is how many of the actions a bulk retry selects its
// question shows; -dry-run lists them all.
const retrySample = 10

func runOutboxRetry(ctx context.Context, s *stdio, args []string) int {
	const name = "outbox retry"
	fs := newFlags(s, name, outboxUsage)
	var sel outboxFilterFlags
	sel.register(fs, "Retry every action of status `S` (dead or pending) the other filters select, in place of one KEY.")
	dryRun := fs.Bool("dry-run", false, "With -status: list the actions it would retry, and change nothing.")
	auto := fs.Bool("auto-approve", false, "With -status: retry without asking for confirmation (else the answer is read from standard input, a terminal or a pipe).")
	vf := varFlags{readOnly: true} // edits the store; reaches no platform
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if sel.Status == "" {
		if sel.Narrowed() || *dryRun || *auto {
			return argError(s, name, "-member, -campaign, -platform, -since, -dry-run and -auto-approve go with -status dead (or pending), which retries every action they select; one KEY needs none of them")
		}
		return retryOne(ctx, s, pos, vf)
	}
	if len(pos) > 1 {
		return argError(s, name, fmt.Sprintf("-status selects the actions to retry, so no KEY goes with it; expected one directory, got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	}
	dir, ok := dirArg(pos, s, name)
	if !ok {
		return 1
	}
	if sel.Status != outbox.Dead && sel.Status != outbox.Pending {
		return argError(s, name, enumProblem("-status", sel.Status, []string{outbox.Dead, outbox.Pending}, "a sent action is not sent again, and a skipped one was dropped on purpose"))
	}
	f, err := sel.filter(s.clock())
	if err != nil {
		return argError(s, name, err.Error())
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if err := missingState(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return 1
	}
	st, _, ok := openOutbox(ctx, s, cfg, name)
	if !ok {
		return 1
	}
	defer st.Close()
	selector, ok := st.(state.OutboxSelector)
	if !ok {
		fmt.Fprintf(s.err, "hearth %s: the %s store cannot select outbox entries; retry them one KEY at a time.\n", name, cfg.Settings.State.Backend)
		return 1
	}
	// The keys are what is retried, and only those: what the question
	// showed, not what the filters select by the time it is answered.
	// A dry run keeps every entry to list them in one table; otherwise
	// the first few are kept, for the question.
	var keys []string
	var shown []outbox.Entry
	err = state.SelectAll(ctx, selector, f, func(page []outbox.Entry) {
		for _, e := range page {
			keys = append(keys, e.Key)
		}
		if n := retrySample - len(shown); *dryRun || n > 0 {
			if !*dryRun {
				page = page[:min(n, len(page))]
			}
			shown = append(shown, page...)
		}
	})
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return 1
	}
	if len(keys) == 0 {
		fmt.Fprintf(s.out, "No %s actions match; nothing to retry.\n", sel.Status)
		for _, note := range sel.unknownNames(cfg) {
			fmt.Fprintf(s.err, "hearth %s: %s\n", name, note)
		}
		return 0
	}
	redactEntries(cfg, shown)
	count := plural(len(keys), sel.Status+" action", sel.Status+" actions")
	if *dryRun {
		fmt.Fprintf(s.out, "hearth outbox retry would make these %s actions due now:\n\n", sel.Status)
		printOutboxTable(s.out, shown)
		fmt.Fprintf(s.out, "\n%s would be made due now. -dry-run: nothing was changed.\n", count)
		return 0
	}
	if !*auto && !confirmRetry(ctx, s, count, len(keys), shown) {
		return 1
	}
	n, err := selector.RetryActions(ctx, keys, sel.Status, s.clock())
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v; nothing was changed.\n", name, err)
		return 1
	}
	if n == len(keys) {
		fmt.Fprintf(s.out, "Retried %s: due now.\n", count)
	} else {
		// Settled between the listing and the update: a daemon sent a
		// pending one, or someone retried or dropped one meanwhile.
		fmt.Fprintf(s.out, "Retried %d of the %s: due now; %s no longer %s (sent, retried, dropped or pruned since they were listed), and left alone.\n",
			n, count, plural(len(keys)-n, "was", "were"), sel.Status)
	}
	fmt.Fprintln(s.out, "hearth run delivers what is due at its next round (each second); with no daemon running, hearth outbox send does.")
	return 0
}

// confirmRetry shows how many actions a bulk retry selected and the first
// of them, and asks for 'yes', as apply does before it changes anything;
// false (said on stderr) when it was not given.
func confirmRetry(ctx context.Context, s *stdio, count string, n int, sample []outbox.Entry) bool {
	fmt.Fprintf(s.out, "hearth will make %s due now", count)
	if n > len(sample) {
		fmt.Fprintf(s.out, "; the first %d:\n\n", len(sample))
	} else {
		fmt.Fprint(s.out, ":\n\n")
	}
	printOutboxTable(s.out, sample)
	if n > len(sample) {
		fmt.Fprintf(s.out, "... and %d more (-dry-run lists them all).\n", n-len(sample))
	}
	if !confirm(ctx, s, "outbox retry", "Do you want to retry these actions? They are sent again at the next delivery round. Only 'yes' will be accepted.", "nothing was changed", " (or -dry-run to list what it would retry)") {
		return false
	}
	fmt.Fprintln(s.out)
	return true
}

// retryOne is hearth outbox retry KEY: one action made due now.
func retryOne(ctx context.Context, s *stdio, pos []string, vf varFlags) int {
	const name = "outbox retry"
	key, _, ob, done, ok := outboxForKey(ctx, s, pos, vf, name)
	if !ok {
		return 1
	}
	defer done()
	found, err := ob.RetryAction(ctx, key, s.clock())
	if err != nil {
		fmt.Fprintf(s.err, "hearth outbox retry: %v\n", err)
		return 1
	}
	if !found {
		fmt.Fprintf(s.err, "hearth outbox retry: no pending or dead action %q in the outbox (hearth outbox list shows the keys; a sent action is not sent again).\n", key)
		return 1
	}
	fmt.Fprintf(s.out, "due now: %s\n", key)
	return 0
}
