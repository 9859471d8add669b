package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const outboxUsage = `Usage: hearth outbox list [-status pending|sent|dead|skipped] [-limit N] [-json] [DIR]
       hearth outbox send [DIR]
       hearth outbox retry KEY [DIR]
       hearth outbox drop KEY [DIR]

The outbox holds every side effect the rules decided on (messages, direct
messages, emails, role changes, webhooks), written in the same transaction
as the state change that caused it, each with an idempotency key. The
dispatcher sends them with retries and backoff; an action that keeps
failing moves to the dead letters (status dead). An action whose
community, channel or role hearth apply has not created yet stays pending,
using up none of its tries, and goes out once apply has run. A message to
a member who has left the community by the time it is due (a direct
message, an email, a webhook message for them, or a role to add) is
skipped, never sent (status skipped), and so is a win-back's message to a
member who came back before it was due; role removals, bans and channel
messages still go. hearth member forget skips the messages not yet sent of
campaign runs keyed by the forgotten member (run_key). A skipped action is
not retried.

  list    show actions, oldest first (default: pending, dead and skipped):
          DUE is when a pending action is tried next, or when a finished
          one was last due; FINISHED is when it was sent, moved to the
          dead letters or skipped, and outbox_retention (90d unless set)
          removes it that long after (-json: next_at and finished_at)
  send    deliver what is due now through the platforms, once, and report
          (hearth run does this continuously)
  retry   make a dead or pending action due now
  drop    remove an action without sending it

Examples:
  hearth outbox list -status dead examples/quickstart
  hearth outbox retry campaign/onboarding/u07/1/2/nudge examples/quickstart
`

// outboxVerbs are the verbs and whether each takes an action's key
// before the directory, as the usage says.
var outboxVerbs = map[string]bool{"list": false, "send": false, "retry": true, "drop": true}

func runOutbox(ctx context.Context, s *stdio, args []string) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(s.out, outboxUsage)
		return 0
	}
	if len(args) == 0 {
		fmt.Fprint(s.err, outboxUsage)
		return 1
	}
	verb := args[0]
	takesKey, known := outboxVerbs[verb]
	if !known {
		return unknownVerb(s, "outbox", verb, []string{"list", "send", "retry", "drop"}, outboxUsage)
	}
	fs := newFlags(s, "outbox "+verb, outboxUsage)
	status := fs.String("status", "", "With list: only this status (pending, sent, dead or skipped).")
	asJSON := fs.Bool("json", false, "With list: print JSON lines.")
	limit := fs.Int("limit", 100, "With list: at most this many of each status; it says when there are more.")
	vf := varFlags{readOnly: verb != "send"} // only send reaches the platforms
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	form := ""
	if takesKey {
		form = "KEY"
	}
	pos, dir, ok := leadArgs(s, "outbox "+verb, pos, form, "the action's key, which hearth outbox list shows,")
	if !ok {
		return 1
	}
	key := ""
	if takesKey {
		key = pos[0]
	}
	if verb == "list" {
		if *status != "" && *status != outbox.Pending && *status != outbox.Sent && *status != outbox.Dead && *status != outbox.Skipped {
			fmt.Fprintf(s.err, "hearth outbox list: -status must be pending, sent, dead or skipped.\n")
			return 1
		}
		if *limit < 1 {
			fmt.Fprintf(s.err, "hearth outbox list: -limit must be 1 or more.\n")
			return 1
		}
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	missing := missingState(cfg, hintRun)
	if verb == "send" {
		missing = missingForWrite(cfg, hintRun)
	}
	if err := missing; err != nil {
		// Nothing was ever queued, and a look must not create state.
		switch {
		case verb == "list" && *asJSON:
		case verb == "list":
			fmt.Fprintf(s.out, "The outbox is empty: there is no state yet at %s.\n", cfg.Settings.State.Path)
		case verb == "send":
			fmt.Fprintf(s.out, "Nothing to send: there is no state yet at %s.\n", cfg.Settings.State.Path)
		default:
			fmt.Fprintf(s.err, "hearth outbox %s: %v\n", verb, err)
			return 1
		}
		return 0
	}
	if verb == "send" {
		// A daemon delivers the outbox by itself; delivering beside it
		// would send the same actions twice.
		lock, a, ok := lockForWrite(s, cfg, "outbox send")
		if !ok {
			return 1
		}
		if lock == nil {
			fmt.Fprintf(s.err, "hearth outbox send: hearth run (pid %d, %s) serves this state and delivers the outbox by itself; hearth outbox retry KEY makes an action due now.\n", a.PID, a.URL)
			return 1
		}
		defer lock.release()
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth outbox: %v\n", err)
		return 1
	}
	defer st.Close()
	ob, ok := st.(outbox.Store)
	if !ok {
		fmt.Fprintf(s.err, "hearth outbox: the %s store keeps no outbox.\n", cfg.Settings.State.Backend)
		return 1
	}
	switch verb {
	case "send":
		sender := &outbox.PlatformSender{Registry: registry(), Config: func() *config.Config { return cfg }, Resources: stateResources(st)}
		defer sender.Close()
		recipients := func(ctx context.Context, ids []string) (map[string]state.Recipient, error) {
			return state.Recipients(ctx, st, ids)
		}
		rep, err := outbox.New(ob, sender, outbox.Options{Redact: cfg.Redactor().Redact, Recipients: recipients, Now: s.clock}).RunOnce(ctx)
		if err != nil {
			fmt.Fprintf(s.err, "hearth outbox send: %v\n", err)
			return 1
		}
		fmt.Fprintf(s.out, "Sent %d, to retry %d, waiting for their target %d, dead %d, skipped (member left, came back or unsubscribed) %d.\n", rep.Sent, rep.Retried, rep.Waiting, rep.Dead, rep.Skipped)
		return 0
	case "retry", "drop":
		var found bool
		if verb == "retry" {
			found, err = ob.RetryAction(ctx, key, s.clock())
		} else {
			found, err = ob.DropAction(ctx, key)
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth outbox %s: %v\n", verb, err)
			return 1
		}
		if !found && verb == "drop" {
			fmt.Fprintf(s.err, "hearth outbox drop: no action %q in the outbox (hearth outbox list shows the keys).\n", key)
			return 1
		}
		if !found {
			fmt.Fprintf(s.err, "hearth outbox retry: no pending or dead action %q in the outbox (hearth outbox list shows the keys; a sent action is not sent again).\n", key)
			return 1
		}
		fmt.Fprintf(s.out, "%s: %s\n", map[string]string{"retry": "due now", "drop": "dropped"}[verb], key)
		return 0
	}
	statuses := []string{outbox.Pending, outbox.Dead, outbox.Skipped}
	if *status != "" {
		statuses = []string{*status}
	}
	// Each status is read one past the limit, to tell whether more
	// remain than are shown.
	var entries []outbox.Entry
	var more []string
	for _, st := range statuses {
		es, err := ob.ListOutbox(ctx, st, *limit+1)
		if err != nil {
			fmt.Fprintf(s.err, "hearth outbox list: %v\n", err)
			return 1
		}
		if len(es) > *limit {
			es = es[:*limit]
			more = append(more, st)
		}
		entries = append(entries, es...)
	}
	redact := cfg.Redactor()
	for i := range entries {
		entries[i].LastError = redact.Redact(entries[i].LastError)
	}
	// Said on stderr, so the listing itself stays what -json promises.
	defer func() {
		if len(more) > 0 {
			fmt.Fprintf(s.err, "More %s actions than the %d shown: raise -limit, or narrow with -status.\n", strings.Join(more, " and "), *limit)
		}
	}()
	if *asJSON {
		enc := jsonEncoder(s.out)
		for _, e := range entries {
			_ = enc.Encode(e)
		}
		return 0
	}
	if len(entries) == 0 {
		// With -status, only that list is known to be empty.
		fmt.Fprintln(s.out, map[string]string{"": "The outbox is empty.", outbox.Pending: "No action is pending.",
			outbox.Sent: "No sent action is on record.", outbox.Dead: "No dead letters.", outbox.Skipped: "No skipped action."}[*status])
		return 0
	}
	tw := textwidth.NewTabWriter(s.out, 2, 0)
	fmt.Fprintln(tw, "STATUS\tTRIES\tDUE\tFINISHED\tKIND\tMEMBER\tKEY\tLAST ERROR")
	const minute = "2006-01-02 15:04"
	for _, e := range entries {
		finished := "-"
		if e.Status != outbox.Pending {
			finished = e.FinishedAt.UTC().Format(minute)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Status, e.Attempts, e.NextAt.UTC().Format(minute), finished, e.Kind, e.Member, e.Key, strings.ReplaceAll(e.LastError, "\n", " "))
	}
	_ = tw.Flush()
	return 0
}

// stateResources lists the objects apply made, for the outbox to find
// communities, channels and roles by address; nil for a store that
// keeps none.
func stateResources(st state.Store) func(context.Context) ([]state.Resource, error) {
	rs, ok := st.(interface {
		Resources(context.Context) ([]state.Resource, int64, error)
	})
	if !ok {
		return nil
	}
	return func(ctx context.Context) ([]state.Resource, error) {
		list, _, err := rs.Resources(ctx)
		return list, err
	}
}
