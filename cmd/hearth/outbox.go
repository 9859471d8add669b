package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const outboxUsage = `Usage: hearth outbox list [options] [DIR]
       hearth outbox send [DIR]
       hearth outbox retry KEY [DIR]
       hearth outbox retry -status dead|pending [options] [DIR]
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
messages still go, except the removal of a role hearth did not give (a
moderator gave it by hand, or the member held it before a tier or segment
did), which is skipped and the role left. hearth member forget skips the messages not yet sent of
campaign runs keyed by the forgotten member (run_key), and hearth campaign
stop those of the runs it stops (unless -keep-pending or -drop). A campaign's
message is decided again when it goes out, which may be late (hearth run
stopped, retries, an event posted after it happened): inside its
campaign's quiet hours it stays pending, using none of its tries, due
when they end (LAST ERROR says "held by quiet hours ...", and still
does once it is sent, so hearth campaign show counts it held); not delivered
within its campaign's expire_after (7d unless set) of its time, it is
skipped as expired ("expired: not sent within ..."). A transactional
email is neither held nor expires. A skipped action is not retried.

  list    show actions in the order they are due (default: pending, dead
          and skipped), 100 a page (-limit N): when more follow, it says
          on stderr how to get the next page (-after NEXT). DUE is when a
          pending action is tried next, or when a finished one was last
          due; FINISHED is when it was sent, moved to the dead letters or
          skipped, and outbox_retention (90d unless set) removes it that
          long after. -json prints one object, as GET /v1/outbox answers
          and as member list -json prints its page: {"entries": [...],
          "more": true or false, "next": where the next page starts};
          each entry's at is when its action was decided (event time),
          and queued_at when it went into the outbox (the clock's time)
  send    deliver what is due now through the platforms, once, and report
          (hearth run does this continuously); an email refused as a
          hard bounce (5.1.x) is recorded on its member (email.bounced),
          and that address gets no more email but transactional email
          through that platform
  retry   make a dead or pending action due now (a dead one is queued
          again: its queued_at is now). With -status dead (or
          pending) in place of a KEY, every action of that status the
          filters select: it shows how many and the first of them and
          asks for 'yes' (-auto-approve in scripts); -dry-run lists them
          all and changes nothing
  drop    remove an action without sending it

list reads the state with the configuration hearth run records there
(the one it runs) while the files fail validation, and says so.

list and retry -status select with these filters, all of them together:
-status S, -member ID, -campaign NAME (its sends), -platform P (an
address, discord.main, or a type, discord, for all its platforms), and
-since T: actions that finished (were sent, moved to the dead letters or
skipped) at T or later, and pending ones queued at T or later; T is a
duration back from now (6h, 2d) or a time (RFC 3339 or YYYY-MM-DD).
hearth run's GET /v1/outbox and POST /v1/outbox/retry take the same
filters as query parameters (status, member, campaign, platform, since).

retry writes the outbox directly, also while hearth run serves the
state: the daemon reads the outbox afresh at each delivery round (every
second), so what retry makes due goes out at its next round; with no
daemon, hearth outbox send delivers it. drop goes through a daemon
serving a SQLite state (POST /v1/outbox/drop), so it never removes an
action at the moment it is being sent, whose record as sent would be
lost: it says so and exits 1, as it does for an action a replica on
PostgreSQL is sending (drop it afterwards if it is still there). Run 'hearth outbox VERB -h'
for the options of one verb.

Examples:
  hearth outbox list -status dead examples/quickstart
  hearth outbox list -campaign onboarding -member u07 examples/quickstart
  hearth outbox list -json examples/quickstart | jq -r '.entries[].key'
  hearth outbox retry campaign/onboarding/u07/1/2/nudge examples/quickstart
  hearth outbox retry -status dead -platform local -since 6h -dry-run examples/quickstart
  hearth outbox retry -status dead -campaign onboarding examples/quickstart
  hearth outbox retry -status dead -auto-approve /etc/hearth   # in a script
`

// outboxVerbs are the outbox group's verbs, in the order its usage
// gives them.
var outboxVerbs = []string{"list", "send", "retry", "drop"}

func runOutbox(ctx context.Context, s *stdio, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, outboxUsage)
	}
	switch args[0] {
	case "list":
		return runOutboxList(ctx, s, args[1:])
	case "send":
		return runOutboxSend(ctx, s, args[1:])
	case "retry":
		return runOutboxRetry(ctx, s, args[1:])
	case "drop":
		return runOutboxDrop(ctx, s, args[1:])
	}
	return unknownVerb(s, "outbox", args[0], outboxVerbs, outboxUsage)
}

// outboxFilterFlags are the filters outbox list and retry -status share,
// read as GET /v1/outbox and POST /v1/outbox/retry read theirs.
type outboxFilterFlags struct {
	outbox.Selection
}

func (o *outboxFilterFlags) register(fs *flag.FlagSet, status string) {
	fs.StringVar(&o.Status, "status", "", status)
	fs.StringVar(&o.Member, "member", "", "Only actions for the member with this `ID`.")
	fs.StringVar(&o.Campaign, "campaign", "", "Only the sends of the campaign with this `NAME`.")
	fs.StringVar(&o.Platform, "platform", "", "Only actions through the platform `P`: an address (discord.main) or a type (discord) for all its platforms.")
	fs.StringVar(&o.Since, "since", "", "Only actions that finished (sent, dead or skipped) at `T` or later, and pending ones queued at T or later: a duration back from now (6h, 2d) or a time (RFC 3339 or YYYY-MM-DD).")
}

// filter is the selection the flags make at now; its error names the
// flag that is wrong. The status is checked by each verb, which takes
// different ones.
func (o *outboxFilterFlags) filter(now time.Time) (state.OutboxFilter, error) {
	f, err := o.Filter(now)
	var bad *outbox.SelectionError
	if errors.As(err, &bad) {
		return f, errors.New(bad.Named("-" + bad.Field))
	}
	return f, err
}

// unknownNames says, for a selection that found nothing, which of the
// campaign and platform it names the configuration does not have.
func (o *outboxFilterFlags) unknownNames(cfg *config.Config) []string {
	var notes []string
	for _, u := range o.UnknownNames(cfg) {
		notes = append(notes, u.Warning)
	}
	return notes
}

// openOutbox opens cfg's store for the outbox verb name, once the
// configuration says there is a state: the store, which the caller
// closes, and its outbox.
func openOutbox(ctx context.Context, s *stdio, cfg *config.Config, name string) (state.Store, outbox.Store, bool) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return nil, nil, false
	}
	ob, ok := st.(outbox.Store)
	if !ok {
		st.Close()
		fmt.Fprintf(s.err, "hearth %s: the %s store keeps no outbox.\n", name, cfg.Settings.State.Backend)
		return nil, nil, false
	}
	return st, ob, true
}

// outboxPage is a page of hearth outbox list -json, in the shape of GET
// /v1/outbox's answer and of member list -json's page.
type outboxPage struct {
	Entries []outbox.Entry `json:"entries"`
	More    bool           `json:"more"`
	Next    string         `json:"next,omitempty"`
}

// outboxListMax is the largest page, as GET /v1/outbox takes.
const outboxListMax = 10000

func runOutboxList(ctx context.Context, s *stdio, args []string) int {
	const name = "outbox list"
	fs := newFlags(s, name, outboxUsage)
	var sel outboxFilterFlags
	sel.register(fs, "Only actions of status `S`: pending, sent, dead or skipped (default: pending, dead and skipped).")
	limit := fs.Int("limit", 100, fmt.Sprintf("At most `N` actions, 1 to %d; when more follow, it says how to get the next page.", outboxListMax))
	after := fs.String("after", "", "Start past `NEXT`: the next page, as the line about more actions (or -json's \"next\") gives it.")
	asJSON := fs.Bool("json", false, "Print the page as one object, as GET /v1/outbox answers: {\"entries\": [...], \"more\", \"next\"}.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, name)
	if !ok {
		return 1
	}
	if statuses := []string{outbox.Pending, outbox.Sent, outbox.Dead, outbox.Skipped}; sel.Status != "" && !slices.Contains(statuses, sel.Status) {
		return argError(s, name, enumProblem("-status", sel.Status, statuses, ""))
	}
	if *limit < 1 || *limit > outboxListMax {
		return argError(s, name, fmt.Sprintf("-limit must be 1 or more, up to %d", outboxListMax))
	}
	f, err := sel.filter(s.clock())
	if err != nil {
		return argError(s, name, err.Error())
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []string{outbox.Pending, outbox.Dead, outbox.Skipped}
	}
	if *after != "" {
		if f.After, err = state.ParseOutboxCursor(*after); err != nil {
			return argError(s, name, fmt.Sprintf("-after %q is not where a page ends (give the next a page of hearth outbox list or GET /v1/outbox gave)", *after))
		}
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, name)
	if !ok {
		return 1
	}
	if missingState(cfg, hintRun) != nil {
		// Nothing was ever queued, and a look must not create state.
		if *asJSON {
			return writeJSON(s, outboxPage{Entries: []outbox.Entry{}})
		}
		fmt.Fprintf(s.out, "The outbox is empty: there is no state yet at %s.\n", cfg.Settings.State.Path)
		return 0
	}
	st, _, ok := openOutbox(ctx, s, cfg, name)
	if !ok {
		return 1
	}
	defer st.Close()
	selector, ok := st.(state.OutboxSelector)
	if !ok {
		fmt.Fprintf(s.err, "hearth %s: the %s store cannot select outbox entries.\n", name, cfg.Settings.State.Backend)
		return 1
	}
	// One past the page, to tell whether more follow.
	f.Limit = *limit + 1
	entries, err := selector.SelectOutbox(ctx, f)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return 1
	}
	page := outboxPage{Entries: entries, More: len(entries) > *limit}
	if page.More {
		page.Entries = entries[:*limit]
		page.Next = state.CursorOf(&page.Entries[*limit-1]).String()
	}
	if page.Entries == nil {
		page.Entries = []outbox.Entry{}
	}
	redactEntries(cfg, page.Entries)
	if *asJSON {
		return writeJSON(s, page)
	}
	if len(page.Entries) == 0 {
		fmt.Fprintln(s.out, emptyListing(&sel, *after != ""))
		for _, note := range sel.unknownNames(cfg) {
			fmt.Fprintf(s.err, "hearth %s: %s\n", name, note)
		}
		return 0
	}
	printOutboxTable(s.out, page.Entries)
	// Said on stderr, so stdout holds the listing alone, as for member
	// list's lines.
	if page.More {
		fmt.Fprintf(s.err, "More actions follow: hearth outbox list -after %s%s\n", page.Next, againArgs(args))
	}
	return 0
}

// emptyListing says that a listing found nothing, in the words of what
// was asked: with -status alone, only that list is known to be empty.
func emptyListing(sel *outboxFilterFlags, after bool) string {
	switch {
	case after:
		return "No more actions."
	case sel.Narrowed():
		return "No action matches."
	}
	// Without -status the listing leaves out sent actions: "empty" would
	// read as if none had gone out.
	return map[string]string{"": "No pending, dead or skipped action (sent ones are listed with -status sent).", outbox.Pending: "No action is pending.",
		outbox.Sent: "No sent action is on record.", outbox.Dead: "No dead letters.", outbox.Skipped: "No skipped action."}[sel.Status]
}

// redactEntries takes secrets out of the entries' errors: they were
// stored redacted, and are redacted again with the configuration in
// force, for entries older than a secret's place in it.
func redactEntries(cfg *config.Config, entries []outbox.Entry) {
	redact := cfg.Redactor()
	for i := range entries {
		entries[i].LastError = redact.Redact(entries[i].LastError)
	}
}

// printOutboxTable writes entries as outbox list shows them.
func printOutboxTable(w io.Writer, entries []outbox.Entry) {
	tw := textwidth.NewTabWriter(w, 2, 0)
	fmt.Fprintln(tw, "STATUS\tTRIES\tDUE\tFINISHED\tKIND\tMEMBER\tKEY\tLAST ERROR")
	const minute = "2006-01-02 15:04"
	for _, e := range entries {
		finished := "-"
		if e.Status != outbox.Pending {
			finished = e.FinishedAt.UTC().Format(minute)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Status, e.Attempts, e.NextAt.UTC().Format(minute), finished, e.Kind, termsafe.Field(e.Member), termsafe.Field(e.Key),
			termsafe.Field(strings.ReplaceAll(e.LastError, "\n", " ")))
	}
	_ = tw.Flush()
}

func runOutboxSend(ctx context.Context, s *stdio, args []string) int {
	const name = "outbox send"
	fs := newFlags(s, name, outboxUsage)
	vf := varFlags{} // send reaches the platforms
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, name)
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if missingForWrite(cfg, hintRun) != nil {
		fmt.Fprintf(s.out, "Nothing to send: there is no state yet at %s.\n", cfg.Settings.State.Path)
		return 0
	}
	// A daemon delivers the outbox by itself; delivering beside it
	// would send the same actions twice.
	lock, a, ok := lockForWrite(s, cfg, name)
	if !ok {
		return 1
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth outbox send: hearth run (pid %d, %s) serves this state and delivers the outbox by itself; hearth outbox retry KEY makes an action due now.\n", a.PID, a.URL)
		return 1
	}
	defer lock.release()
	st, ob, ok := openOutbox(ctx, s, cfg, name)
	if !ok {
		return 1
	}
	defer st.Close()
	sender := &outbox.PlatformSender{Registry: registry(), Config: func() *config.Config { return cfg }, Resources: stateResources(st), Grants: stateGrants(st)}
	defer sender.Close()
	adopting := &adoptingSender{next: sender, reg: registry(), config: func() *config.Config { return cfg },
		member: func(ctx context.Context, id string) (knownMember, error) { return readKnownMember(ctx, st, id) }}
	defer adopting.Close()
	recipients := func(ctx context.Context, ids []string) (map[string]state.Recipient, error) {
		return state.Recipients(ctx, st, ids)
	}
	bounced := 0
	// A hard bounce is recorded on the member here, as hearth run
	// records it: this command holds the state's write lock.
	ingest := func(ctx context.Context, evs []events.Event) error {
		rt := runtime.New(cfg, nil)
		b, err := st.Begin(ctx)
		if err != nil {
			return err
		}
		for i := range evs {
			if _, err := rt.Apply(ctx, b, &evs[i]); err != nil {
				_ = b.Rollback()
				return err
			}
		}
		if err := b.Commit(); err != nil {
			return err
		}
		bounced += len(evs)
		return nil
	}
	rep, err := outbox.New(ob, adopting, outbox.Options{Redact: cfg.Redactor().Redact, Recipients: recipients, Now: s.clock,
		Config: func() *config.Config { return cfg }, Ingest: ingest}).RunOnce(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "hearth outbox send: %v\n", err)
		return 1
	}
	fmt.Fprintf(s.out, "Sent %d, to retry %d, waiting for their target %d, dead %d, skipped (member left, came back or unsubscribed) %d.\n",
		rep.Sent, rep.Retried, rep.Waiting, rep.Dead, rep.Skipped-rep.Expired)
	// Only when they happened: both are about sends going out late.
	if rep.Held > 0 {
		fmt.Fprintf(s.out, "Held by their campaign's quiet hours until they end: %d.\n", rep.Held)
	}
	if bounced > 0 {
		fmt.Fprintf(s.out, "Hard bounces recorded on their members (email.bounced; no more email but transactional goes to those addresses): %d.\n", bounced)
	}
	if rep.Expired > 0 {
		fmt.Fprintf(s.out, "Skipped as expired, not sent within their campaign's expire_after (7d for a community's welcome) of their time: %d.\n", rep.Expired)
	}
	switch {
	case rep.LeftAlone == 1:
		fmt.Fprintln(s.out, "Skipped 1 role removal: hearth did not give that role (it was given by hand), so it stays.")
	case rep.LeftAlone > 1:
		fmt.Fprintf(s.out, "Skipped %d role removals: hearth did not give those roles (they were given by hand), so they stay.\n", rep.LeftAlone)
	}
	return 0
}

func runOutboxDrop(ctx context.Context, s *stdio, args []string) int {
	const name = "outbox drop"
	fs := newFlags(s, name, outboxUsage)
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	key, cfg, ob, done, ok := outboxForKey(ctx, s, pos, vf, name)
	if !ok {
		return 1
	}
	defer done()
	// A daemon on this SQLite state may be sending the action right now:
	// the drop goes through it, which never removes that send's record.
	lock, a, ok := lockForWrite(s, cfg, name)
	if !ok {
		return 1
	}
	if lock == nil {
		var out struct {
			Dropped string `json:"dropped"`
		}
		endpoint := strings.TrimRight(a.URL, "/") + "/v1/outbox/drop?" + url.Values{"key": {key}}.Encode()
		if !postToDaemon(ctx, s, name, endpoint, &out) {
			return 1
		}
		fmt.Fprintf(s.out, "dropped: %s\n", key)
		return 0
	}
	defer lock.release()
	found, err := ob.DropAction(ctx, key)
	if errors.Is(err, state.ErrBeingSent) {
		fmt.Fprintf(s.err, "hearth outbox drop: action %q is %v by a replica: it will be recorded as sent, or retried; drop it afterwards if it is still there.\n", key, err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth outbox drop: %v\n", err)
		return 1
	}
	if !found {
		fmt.Fprintf(s.err, "hearth outbox drop: no action %q in the outbox (hearth outbox list shows the keys).\n", key)
		return 1
	}
	fmt.Fprintf(s.out, "dropped: %s\n", key)
	return 0
}

// outboxForKey reads the KEY [DIR] arguments of retry KEY or drop KEY
// and opens the outbox of DIR's state, which they need: done closes it.
func outboxForKey(ctx context.Context, s *stdio, pos []string, vf varFlags, name string) (key string, cfg *config.Config, ob outbox.Store, done func(), ok bool) {
	pos, dir, ok := leadArgs(s, name, pos, "KEY", "the action's key, which hearth outbox list shows,")
	if !ok {
		return "", nil, nil, nil, false
	}
	cfg, ok = loadConfig(s, dir, vf)
	if !ok {
		return "", nil, nil, nil, false
	}
	if err := missingState(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return "", nil, nil, nil, false
	}
	st, ob, ok := openOutbox(ctx, s, cfg, name)
	if !ok {
		return "", nil, nil, nil, false
	}
	return pos[0], cfg, ob, func() { st.Close() }, true
}

// stateResources lists the objects apply made, for the outbox to find
// communities, channels and roles by address; nil for a store that
// keeps none.
// stateGrants is the state's record of the role assignments hearth made,
// for the sender: every state store keeps one.
func stateGrants(st state.Store) outbox.RoleGrants {
	g, _ := st.(outbox.RoleGrants)
	return g
}

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
