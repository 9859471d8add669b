package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/stamp"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/postgres"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const replayUsage = `Usage: hearth replay -events FILE.jsonl [options] [DIR]

Applies member events to the configuration's state store (hearth.state;
by default the SQLite file DIR/.hearth/state.db), the way the daemon does:
points, badges, tiers and segments are committed, many events per
transaction. Events already applied (same id) are skipped, so replaying a
file twice changes nothing the second time.

While 'hearth run' serves the same SQLite state on this machine, the
events go to it by itself; -url names a daemon anywhere. Either way the
events go through the daemon's API (POST /v1/events?backfill=true,
a thousand per request, with HEARTH_API_TOKEN as the bearer token): the
daemon applies them as it applies everything else, and holds its timers
while they come, so members are not taken to the present between two
requests and back to the past by the next. Lines the daemon refuses are
reported and skipped, as without a daemon (the rest of their request is
sent again; ids make that safe); lines that are not events are reported
here and not sent. Event types and attributes the daemon names as
likely typos of known ones, and member time zones it names as not IANA
names, are listed after the count of lines sent. Lines the daemon did not
apply because an event with different content came first under their id
(in the file, or applied before) are named, the first ten, and counted
after the count of lines sent.

Bad lines are reported with the file and their line (and column, for
malformed JSON: "events.jsonl line 2, column 7: invalid event: malformed
JSON: ...", in the words POST /v1/events uses) and skipped, the first ten
on stderr; the exit status stays 0 unless -strict is given. With -json
none is printed: the summary lists the first 100 under "rejected_lines",
each {"line", "column" (malformed JSON only), "error"}, and "rejected"
counts them all. Problems while applying events are logged to stderr as
text lines, or as JSON lines with -json.

It prints the summary 'hearth simulate' prints (see 'hearth simulate
-h'), of what these events did; a campaign no longer in the files whose
runs in the store they stopped shows as "NAME (removed)" ("removed": true
in -json). Through a daemon it prints what the daemon's answers say: the
lines sent, the events applied, duplicates and rejected lines, and the
likely typos of event types; with -json, as one JSON object under the
names of the summary ("daemon", "lines", "events", "duplicates",
"rejected", "rejected_lines", "out_of_order", "unknown_types",
"unknown_type_suggestions").

Events are applied in the order of the file, with or without a daemon;
one dated before an event above it is applied at its own time, as a late
event is, and the summary ends with a warning counting such events
("out_of_order" in -json). -sort reads the whole file into memory and
applies its events sorted stably by "at"; -strict exits 1 for events out
of order too, unless -sort put them in order. See 'hearth simulate -h'.

Time-based rules (a count leaving its window, days_since, a grace
period or demote_after ending, campaign waits) run as the daemon's
timers run them, up to the file's last event: a member demoted by time
since then is demoted when hearth run starts, which runs the timers due
by now at once. -until TIME (RFC 3339, a date for its whole day, or
"now") runs them up to TIME instead, after the events, as the daemon
would have had it been running until then; -events /dev/null -until now
brings a state up to date with no events. Without it, the summary ends
by counting the members whose rechecks are due before now and did not
run ("stale_members" and "stale_since" in -json); hearth member show
and why call such a member stale.

The replay reaches no platform (the daemon delivers what it queues), so
sensitive variables (tokens, passwords) may go unset, except one the
state's url reads.

-outcomes FILE writes everything the rules did with the events applied,
one JSON line each, in the form 'hearth simulate -outcomes' writes
(hearth explain outcomes is their reference): what the store keeps as
outcomes, with the badge's or tier's title. Events already applied give
none. The store's outbox delivers later, in hearth run, so the lines of
sends skipped or held at delivery ("change":"skip" and "defer" of
actions) are the sandbox's alone. It needs the replay to apply the events:
not with -url, nor while hearth run serves the state. If the replay fails
part way, the lines of the batch that failed may be in FILE, though its
events were not applied: run it again, with a new FILE, to resume.
-outcomes - writes the lines to standard output, and the summary to
standard error.

-history applies the events to member state only, for history from
before hearth ran (moving an existing community to hearth): identities,
join and activity times, counts and their windows, community figures,
and the tiers and segments they lead to, settled silently. No incentive
grants (no points, no badges), no campaign is entered, no moderation rule
or alert runs, and nothing is queued for a platform: no welcome, role,
trust level, move or message. Tier and segment moves are kept as
outcomes at their times, for member history. The time-based rules then
run up to now (-until sets another time) in the same silence, so hearth
run finds nothing of the past to do out loud; they are silent for every
member due, so bring a state hearth run kept up to date first (hearth
run does as it starts), or give -until the history's end. Campaign runs
already under way in the state go on as their timers fall due. It needs the
state to itself: not with -url, nor while hearth run serves the state.
The summary says "History (-history)" ("history": true in -json). Events
with ids already applied are skipped as duplicates, with -history or
without, so history and live events under one id never count twice.

Migrating: import members with -at before the history's first event,
then replay the history. Events applied to imported members dated
before their import are warned about ("before_import" in -json): member
state ends right, but segment and tier moves are dated before the
import's and hearth report by period goes wrong. Take a backup first
(hearth state backup) to redo it in order.

Events dated more than 5m past this machine's clock are rejected lines,
each with its line and why ("events.jsonl line 8: event at
2027-03-01T00:00:00Z is 95d 12h in the future; the clock says ...; at
most 5m ahead is accepted, as POST /v1/events accepts"), counted in
"rejected" and failing -strict, as the daemon refuses them;
-allow-future applies them (not through a daemon, whose -max-ahead
decides).

Use 'hearth simulate' to try rules without touching the store.

Examples:
  hearth replay -events examples/quickstart/events.jsonl examples/quickstart
  hearth import stackexchange dump/ | hearth replay -events - examples/stackexchange
  hearth replay -events history.jsonl -url http://127.0.0.1:7341
  hearth replay -sort -strict -events unsorted.jsonl .
  hearth replay -events history.jsonl -outcomes /tmp/outcomes.jsonl .
  hearth replay -sort -events history.jsonl -until now .
  hearth replay -history -sort -events last-year.jsonl .   # a migration: state only, nothing sent
`

func runReplay(ctx context.Context, s *stdio, args []string) (code int) {
	fs := newFlags(s, "replay", replayUsage)
	eventsPath := fs.String("events", "", "JSON lines `FILE` of events (\"-\" for standard input). Required.")
	batch := fs.Int("batch", 1000, "Events committed per transaction.")
	asJSON := fs.Bool("json", false, "Print the summary as JSON, with the rejected lines in it (rejected_lines) rather than on stderr.")
	url := fs.String("url", "", "Send the events to a running daemon at this address instead.")
	strict := fs.Bool("strict", false, "Exit 1 when any line was rejected (bad lines are still reported and skipped), or an event is out of time order without -sort.")
	sortEvents := fs.Bool("sort", false, "Read the whole file into memory and apply its events sorted by time (stably).")
	until := fs.String("until", "", "Run the time-based rules (rechecks) due up to this `TIME` after the events, as the daemon would have: RFC 3339, a date (its whole day) or \"now\". Default: the last event's time. Not through a daemon.")
	outcomes := fs.String("outcomes", "", "Write every outcome of the events applied as a JSON line to this `FILE` (mode 0600; \"-\" for standard output, the summary then on standard error), as hearth simulate -outcomes does (hearth explain outcomes). Not through a daemon.")
	history := fs.Bool("history", false, "Apply the events to member state only, as history from before hearth ran: no points, badges, campaign entries, moderation, alerts, welcomes, roles or messages; tiers and segments settle silently, with the time-based rules run up to now (unless -until). Not through a daemon.")
	allowFuture := fs.Bool("allow-future", false, "Apply events dated more than 5m past this machine's clock; without it they are rejected lines, as POST /v1/events refuses them.")
	// The replay writes the store and reaches no platform: the daemon
	// delivers what it queues, with its own tokens.
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	to := daemonReplay{path: *eventsPath, url: *url, chunk: *batch, strict: *strict, asJSON: *asJSON, sort: *sortEvents}
	untilAt, ok := untilFlag(s, *until)
	if !ok {
		return 1
	}
	if *url != "" && *history {
		return argError(s, "replay", historyNoDaemon)
	}
	if *url != "" && *allowFuture {
		return argError(s, "replay", "-allow-future applies in the replay itself; a daemon at -url refuses events past its own -max-ahead")
	}
	if *url != "" && !untilAt.IsZero() {
		return argError(s, "replay", "-until runs the rechecks in the replay itself; a daemon at -url runs its own timers up to now")
	}
	if *url != "" {
		if *outcomes != "" {
			return argError(s, "replay", "-outcomes needs the replay to apply the events itself, not send them to a daemon with -url: the daemon's outcomes are in GET /v1/members/ID/history")
		}
		return to.run(ctx, s)
	}
	dir, ok := dirArg(pos, s, "replay")
	if !ok {
		return 1
	}
	if *eventsPath == "" {
		fmt.Fprintln(s.err, "hearth replay: -events FILE is required; see 'hearth replay -h'.")
		return 1
	}
	// -outcomes - writes to stdout; the summary then goes to stderr.
	s, stdout, code, ok := stdoutFlags(s, "replay", [2]string{"-outcomes", *outcomes})
	if !ok {
		return code
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	lock, a, ok := lockForWrite(s, cfg, "replay")
	if !ok {
		return 1
	}
	if lock == nil && *outcomes != "" {
		fmt.Fprintf(s.err, "hearth replay: -outcomes needs the replay to apply the events itself, but hearth run (pid %d) serves this state and would apply them: stop it first, or leave out -outcomes (the daemon's outcomes are in GET /v1/members/ID/history).\n", a.PID)
		return 1
	}
	if lock == nil && !untilAt.IsZero() {
		fmt.Fprintf(s.err, "hearth replay: hearth run (pid %d) serves this state and runs its timers up to now itself: leave out -until.\n", a.PID)
		return 1
	}
	if lock == nil && *history {
		fmt.Fprintf(s.err, "hearth replay: hearth run (pid %d) serves this state: %s\n", a.PID, historyNoDaemon)
		return 1
	}
	if lock == nil && *allowFuture {
		fmt.Fprintf(s.err, "hearth replay: hearth run (pid %d) serves this state and refuses events past its -max-ahead: leave out -allow-future, or stop it first.\n", a.PID)
		return 1
	}
	if lock == nil {
		if !*asJSON { // -json says it in "daemon"
			fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the events go through its API at %s.\n", a.PID, a.URL)
		}
		to.url = a.URL
		return to.run(ctx, s)
	}
	defer lock.release()
	store, ok := openStoreFor(ctx, s, cfg, "replay")
	if !ok {
		return 1
	}
	defer store.Close()
	in, closeIn, ok := openEvents(s, "replay", *eventsPath)
	if !ok {
		return 1
	}
	defer closeIn()
	bad := &skips{s: s, cmd: "replay", asJSON: *asJSON}
	start := time.Now()
	if *history && untilAt.IsZero() {
		// History ends now: settled up to now in silence, members leave
		// hearth run no rechecks of the past to make out loud.
		untilAt = s.clock().UTC()
	}
	opt := simulate.Options{Store: store, BatchSize: *batch, Sort: *sortEvents, RecheckUntil: untilAt, History: *history,
		BadEvent: func(e *events.Error) { bad.skip(e.In(eventsName(*eventsPath))) }}
	if !*allowFuture {
		opt.Now, opt.MaxAhead = s.clock(), daemon.DefaultMaxAhead
	}
	if *outcomes != "" {
		write, done, ok := outcomesFile(s, "replay", *outcomes, stdout, cfg)
		if !ok {
			return 1
		}
		defer func() {
			if !done() && code == 0 {
				code = 1
			}
		}()
		opt.Outcome = write
	}
	lines := 0 // with -sort, the lines of the file, once read
	if opt.Sort {
		opt.Loading = sortProgress(s, in, &lines)
	}
	opt.Progress = eventsProgress(s, in, "applied %d events", &lines)
	log, logCap := sandboxLogger(s, *asJSON)
	opt.Log = log
	// Joins into a full community of a capacity family are moved into a
	// sub-community apply made, as the daemon moves them.
	if list := stateResources(store); list != nil {
		opt.PlatformCommunities = func(ctx context.Context) (map[string]bool, error) {
			rs, err := list(ctx)
			if err != nil {
				return nil, err
			}
			return communityNames(rs), nil
		}
	}
	// A replay into the state is a run of these files over it, as the
	// daemon's: runs on a removed step go on to the step after it, and
	// the order is recorded for the next run.
	if cs, ok := store.(daemon.CursorStore); ok {
		was, err := cs.Cursor(ctx, config.StepOrdersRecord)
		if err == nil {
			opt.StepOrders, _ = config.ParseStepOrders(was)
			opt.StepOrders.Merge(cfg)
			if now := opt.StepOrders.String(); now != was {
				err = cs.SetCursor(ctx, config.StepOrdersRecord, now)
			}
		}
		// And the incentives it ran with, as the daemon records them: hearth
		// plan names the incentives a later change edits.
		if err == nil {
			err = recordIncentives(ctx, cs, cfg)
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: recording the campaigns' step order and incentives: %v\n", err)
			return 1
		}
	}
	sum, err := simulate.Run(ctx, cfg, in, opt)
	if s.errTTY {
		fmt.Fprint(s.err, "\r\033[K")
	}
	logCap.report(s.err, "replay")
	if err != nil {
		fmt.Fprintf(s.err, "hearth replay: %v (events of the failed batch were not applied; run again to resume)\n", err)
		return 1
	}
	bad.done()
	code = 0
	if *strict && strictFails(s, "replay", bad.n, sum.OutOfOrder) {
		code = 1
	}
	var staleSince time.Time
	sum.Stale, staleSince = staleMembers(ctx, store, s.clock())
	sum.StaleSince = stamp.Of(staleSince)
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return code
	}
	fmt.Fprintf(s.out, "State: %s %s\n", cfg.Settings.State.Backend, storeWhere(cfg))
	printSummary(s.out, cfg, sum, time.Since(start), true)
	if n := expiredPending(ctx, store, cfg, s.clock()); n > 0 {
		fmt.Fprintf(s.out, "%s already older than their campaign's expire_after (7d unless set; 7d for a community's welcome): hearth run will skip them as expired, not send them. History from before hearth ran is best replayed with -history, which queues none.\n",
			plural(n, "message queued is", "messages queued are"))
	}
	printOutOfOrder(s.out, eventsName(*eventsPath), sum.OutOfOrder, false)
	printBeforeImport(s.out, sum.BeforeImport, *history)
	if sum.Stale > 0 {
		ran := sum.To.Time
		if untilAt.After(ran) {
			ran = untilAt
		}
		upTo := "the replay ran none (no events, no -until)"
		if !ran.IsZero() {
			upTo = "the replay ran the time-based rules up to " + utcMinute(ran)
		}
		fmt.Fprintf(s.out, "%s due before now, from %s: %s; hearth run runs the rest when it starts (or hearth replay -events /dev/null -until now .).\n",
			staleCount(sum.Stale, "member has rechecks", "members have rechecks"), utcMinute(sum.StaleSince.Time), upTo)
	}
	return code
}

// historyNoDaemon is why -history is not sent to a daemon: its timers
// would run the members' later rechecks out loud, and no sender of
// events over the network may switch off rewards, moderation and alerts.
const historyNoDaemon = "-history applies the events in the replay itself, with the state to itself: a daemon runs the rechecks after them out loud, and takes no history over its API. Stop hearth run, replay with -history, then start it again."

// untilFlag reads replay's -until: "now" is the command's clock, a date
// its whole day; a time after now is refused, as no timer has run then.
func untilFlag(s *stdio, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	now := s.clock().UTC()
	if v == "now" {
		return now, true
	}
	t, err := parseTimeFlag(v)
	if err != nil {
		fmt.Fprintf(s.err, "hearth replay: -until: %v, or now\n", err)
		return time.Time{}, false
	}
	if len(v) == len("2006-01-02") {
		t = t.Add(24*time.Hour - time.Nanosecond) // the whole day
	}
	if t.After(now) {
		if len(v) != len("2006-01-02") || t.Add(-24*time.Hour).After(now) {
			fmt.Fprintf(s.err, "hearth replay: -until %s is after now: timers run up to the present at most (-until now).\n", v)
			return time.Time{}, false
		}
		t = now // today: up to now
	}
	return t, true
}

// staleMembers counts the members of store whose recheck fell due more
// than runtime.StaleAfter before now (at most simulate.MaxStaleCount),
// and the earliest such time: members no daemon brought up to date. A
// store that cannot tell gives zero.
func staleMembers(ctx context.Context, store state.Store, now time.Time) (int, time.Time) {
	b, err := store.Begin(ctx)
	if err != nil {
		return 0, time.Time{}
	}
	defer func() { _ = b.Rollback() }()
	ids, err := b.Due(now.Add(-runtime.StaleAfter), simulate.MaxStaleCount)
	if err != nil || len(ids) == 0 {
		return 0, time.Time{}
	}
	// Due lists the earliest first; each is read for its time, the
	// first few only, as a store may not keep that order.
	var since time.Time
	for _, id := range ids[:min(len(ids), 10)] {
		if m, err := b.Member(id); err == nil && !m.RecheckAt.IsZero() && (since.IsZero() || m.RecheckAt.Before(since)) {
			since = m.RecheckAt
		}
	}
	return len(ids), since.UTC()
}

// staleCount is n with one or many, "or more" at simulate.MaxStaleCount.
func staleCount(n int, one, many string) string {
	s := plural(n, one, many)
	if n >= simulate.MaxStaleCount {
		s = strings.Replace(s, " ", " or more ", 1)
	}
	return s
}

// maxExpiredScan bounds the pending actions expiredPending reads: they
// come oldest first, and the oldest are the ones that expired.
const maxExpiredScan = 100000

// expiredPending counts the campaign messages pending in store that the
// outbox would skip as expired if it delivered them at now: history
// replayed from long ago decides messages nobody should get today.
func expiredPending(ctx context.Context, store state.Store, cfg *config.Config, now time.Time) int {
	ob, ok := store.(interface {
		ListOutbox(ctx context.Context, status string, limit int) ([]state.OutboxEntry, error)
	})
	if !ok {
		return 0
	}
	pending, err := ob.ListOutbox(ctx, state.OutboxPending, maxExpiredScan)
	if err != nil {
		return 0 // a hint only: the replay is done
	}
	rules := outbox.NewRules(cfg)
	n := 0
	for _, e := range pending {
		if rules.Decide(e.Action, nil, now).Expired {
			n++
		}
	}
	return n
}

// openStoreFor opens cfg's state store for command name, saying why not
// on s.err.
func openStoreFor(ctx context.Context, s *stdio, cfg *config.Config, name string) (state.Store, bool) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		reportStoreError(s, cfg, name, err)
		return nil, false
	}
	// Actions the command queues (a replay's) are stamped by its clock.
	if qc, ok := store.(state.QueueClock); ok {
		qc.SetQueueClock(s.clock)
	}
	return store, true
}

// reportStoreError says on s.err why cfg's state did not open for
// command name, and which sensitive variables have no value, as that
// may be why.
func reportStoreError(s *stdio, cfg *config.Config, name string, err error) {
	fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
	if len(cfg.MissingSecrets) > 0 {
		fmt.Fprintf(s.err, "These sensitive variables have no value, which may be why: %s. Set them with %sNAME or a -var-file, not -var, which the shell history keeps.\n",
			strings.Join(cfg.MissingSecrets, ", "), config.EnvVarPrefix)
	}
}

// openStore opens the state store the configuration names.
func openStore(ctx context.Context, cfg *config.Config) (state.Store, error) {
	switch cfg.Settings.State.Backend {
	case "sqlite":
		return sqlite.Open(ctx, cfg.Settings.State.Path)
	case "memory":
		return state.NewMemory(), nil
	case "postgres":
		u, err := stateURL(cfg)
		if err != nil {
			return nil, err
		}
		return postgres.Open(ctx, u, postgres.Options{})
	}
	return nil, fmt.Errorf("the %s state backend is not available in this build; use sqlite or postgres", cfg.Settings.State.Backend)
}

// openStoreReadOnly opens the state the configuration names for a
// command that only reads it: nothing is created or migrated (see
// sqlite.OpenReadOnly, postgres.Options.ReadOnly). A PostgreSQL schema
// that holds no state yet fails with a *noStateError carrying hint, as
// a missing SQLite file does in missingState.
func openStoreReadOnly(ctx context.Context, cfg *config.Config, hint string) (state.Store, error) {
	switch cfg.Settings.State.Backend {
	case "sqlite":
		return sqlite.OpenReadOnly(ctx, cfg.Settings.State.Path)
	case "postgres":
		u, err := stateURL(cfg)
		if err != nil {
			return nil, err
		}
		st, err := postgres.Open(ctx, u, postgres.Options{ReadOnly: true})
		var none *postgres.NoStateError
		if errors.As(err, &none) {
			return nil, &noStateError{Path: "PostgreSQL " + none.Where + " (" + none.Why + ")", Hint: hint}
		}
		return st, err
	}
	return openStore(ctx, cfg)
}

// stateURL takes the PostgreSQL URL out of its sensitive mark; it is
// passed to the driver and never printed.
func stateURL(cfg *config.Config) (string, error) {
	v, _ := cfg.Settings.State.URL.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String || v.AsString() == "" {
		return "", errors.New("the postgres state backend needs url = \"postgres://USER@HOST/DATABASE\" in hearth { state { ... } }")
	}
	return v.AsString(), nil
}

func storeWhere(cfg *config.Config) string {
	switch cfg.Settings.State.Backend {
	case "sqlite":
		return cfg.Settings.State.Path
	case "postgres":
		if u, err := stateURL(cfg); err == nil {
			return postgres.Describe(u)
		}
	}
	return ""
}

// daemonReplay is a replay through a running daemon: the options of
// replay that apply to it.
type daemonReplay struct {
	path, url      string
	chunk          int
	strict, asJSON bool
	sort           bool
}

// daemonSummary is replay -json through a daemon: the figures of the
// daemon's answers, under the names of a replay's summary.
type daemonSummary struct {
	Daemon                 string                  `json:"daemon"`
	Lines                  int                     `json:"lines"`
	Events                 int                     `json:"events"`
	Duplicates             int                     `json:"duplicates"`
	Rejected               int                     `json:"rejected"`
	RejectedLines          []simulate.RejectedLine `json:"rejected_lines,omitempty"`
	OutOfOrder             *simulate.OutOfOrder    `json:"out_of_order,omitempty"`
	UnknownTypes           map[string]int          `json:"unknown_types,omitempty"`
	UnknownTypeSuggestions map[string]string       `json:"unknown_type_suggestions,omitempty"`
	// ReusedIDs counts events the daemon did not apply because their id
	// was another event's, with different content.
	ReusedIDs int `json:"reused_ids,omitempty"`
	// AttrTypos are the attributes the daemon named as likely typos of
	// declared ones.
	AttrTypos []simulate.AttrTypo `json:"attr_typos,omitempty"`
	// BadTimezones are the member time zones the daemon named as not
	// IANA time zone names.
	BadTimezones []simulate.BadTimezone `json:"bad_timezones,omitempty"`
}

// run posts a JSON-lines file to a running daemon in chunks. A line that
// is not an event is reported as a replay to the store reports it, and
// not sent; a line the daemon refuses is reported with its line number
// and left out, and the rest of its chunk sent again, so a replay
// through a daemon skips bad lines as one straight to the store does.
// Types and attributes the daemon warns about as likely typos are listed
// at the end, as the summary of a replay to the store lists them.
func (d daemonReplay) run(ctx context.Context, s *stdio) int {
	if d.path == "" {
		fmt.Fprintln(s.err, "hearth replay: -events FILE is required; see 'hearth replay -h'.")
		return 1
	}
	in, closeIn, ok := openEvents(s, "replay", d.path)
	if !ok {
		return 1
	}
	defer closeIn()
	// The lines in the file's order, checked for time order, or sorted.
	var rd simulate.Source
	var file *events.Reader
	var order simulate.OrderCheck
	var sorted *simulate.Sorted
	if d.sort {
		var err error
		lines := 0
		sorted, err = simulate.Sort(in, sortProgress(s, in, &lines))
		if s.errTTY {
			fmt.Fprint(s.err, "\r\033[K")
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %s: %v\n", eventsName(d.path), err)
			return 1
		}
		rd = sorted
	} else {
		file = events.NewReader(in)
		rd = file
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	// History, in time order: the daemon holds its timers while it comes
	// (a timer round between two requests would take members to the
	// present before their older events arrive).
	endpoint := strings.TrimRight(d.url, "/") + "/v1/events?backfill=true"
	client := &http.Client{Timeout: 5 * time.Minute}
	var pending []replayLine
	reused := 0                        // events not applied: their id was another event's
	var attrTypos simulate.AttrTypos   // likely attribute typos the daemon named
	var badZones simulate.BadTimezones // time zones the daemon named
	sum := daemonSummary{Daemon: d.url, UnknownTypes: map[string]int{}, UnknownTypeSuggestions: map[string]string{}}
	bad := &skips{s: s, cmd: "replay", asJSON: d.asJSON}
	reject := func(r simulate.RejectedLine, msg string) {
		bad.skip(msg)
		sum.Rejected++
		if len(sum.RejectedLines) < simulate.MaxRejectedLines {
			sum.RejectedLines = append(sum.RejectedLines, r)
		}
	}
	// post sends the pending lines once; bad is nil unless the daemon
	// refused some of them, by their place in the request (from 1).
	post := func() (bad map[int]string, ok bool) {
		var buf bytes.Buffer
		for _, l := range pending {
			buf.Write(l.text)
			buf.WriteByte('\n')
		}
		req, err := http.NewRequestWithContext(ctx, "POST", endpoint, &buf)
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %v\n", err)
			return nil, false
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
		}
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %v\n", err)
			return nil, false
		}
		defer resp.Body.Close()
		var body struct {
			Accepted   int    `json:"accepted"`
			Duplicates int    `json:"duplicates"`
			Error      string `json:"error"`
			Events     []struct {
				Line  int    `json:"line"`
				Error string `json:"error"`
			} `json:"events"`
			Warnings []json.RawMessage `json:"warnings"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode == http.StatusAccepted {
			sum.Events += body.Accepted
			sum.Duplicates += body.Duplicates
			for _, raw := range body.Warnings {
				// Before attribute typos: a time zone warning has an
				// attribute too, and a value.
				var zw daemon.ZoneWarning
				if json.Unmarshal(raw, &zw) == nil && zw.Value != "" {
					badZones.Add(zw.Type, zw.Value, zw.Suggestion, zw.Events)
					continue
				}
				var aw daemon.AttrWarning
				if json.Unmarshal(raw, &aw) == nil && aw.Attribute != "" {
					attrTypos.Add(aw.Type, aw.Attribute, aw.Suggestion, aw.Events)
					continue
				}
				var iw daemon.IDWarning
				if json.Unmarshal(raw, &iw) == nil && iw.ID != "" {
					if !d.asJSON {
						reusedLine(s.err, d.path, pending, &iw, reused)
					}
					reused++
					continue
				}
				var w daemon.TypeWarning
				if json.Unmarshal(raw, &w) == nil && w.Type != "" {
					sum.UnknownTypes[w.Type] += w.Events
					if w.Suggestion != "" {
						sum.UnknownTypeSuggestions[w.Type] = w.Suggestion
					}
				}
			}
			return nil, true
		}
		bad = map[int]string{}
		for _, e := range body.Events {
			// An event with two problems is listed twice, the invalid
			// one first: that one is the line's.
			if _, named := bad[e.Line]; !named && e.Line >= 1 && e.Line <= len(pending) {
				bad[e.Line] = e.Error
			}
		}
		if len(bad) == 0 { // not about the lines: auth, size, the daemon
			fmt.Fprintf(s.err, "hearth replay: %s\n", daemonRefusal(endpoint, resp.Status, body.Error, resp.StatusCode, token != ""))
			return nil, false
		}
		return bad, true
	}
	send := func() bool {
		for len(pending) > 0 {
			bad, ok := post()
			if !ok {
				return false
			}
			if bad == nil {
				break
			}
			kept := pending[:0]
			for i, l := range pending {
				if msg, refused := bad[i+1]; refused {
					reject(simulate.RejectedLine{Line: l.no, Error: msg}, fmt.Sprintf("%s line %d: %s", eventsName(d.path), l.no, msg))
					continue
				}
				kept = append(kept, l)
			}
			pending = kept
		}
		pending = pending[:0]
		return true
	}
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var e *events.Error
		if errors.As(err, &e) {
			// Not an event: said here as a replay to the store says it.
			reject(simulate.Rejection(e), e.In(eventsName(d.path)))
			continue
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %s: %v\n", eventsName(d.path), err)
			return 1
		}
		order.See(rd.Line(), ev.At) // in time order when sorted
		pending = append(pending, replayLine{no: rd.Line(), text: bytes.Clone(rd.Raw())})
		if len(pending) >= d.chunk && !send() {
			return 1
		}
	}
	if !send() {
		return 1
	}
	bad.done()
	if sorted != nil {
		sum.Lines, sum.OutOfOrder = sorted.Lines(), sorted.OutOfOrder()
	} else {
		sum.Lines, sum.OutOfOrder = file.Line(), order.Report()
	}
	sum.ReusedIDs = reused
	sum.AttrTypos = attrTypos.List()
	sum.BadTimezones = badZones.List()
	code := 0
	if d.strict && strictFails(s, "replay", sum.Rejected, sum.OutOfOrder) {
		code = 1
	}
	if d.asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return code
	}
	if reused > maxReusedShown {
		fmt.Fprintf(s.err, "hearth replay: %d more events under reused ids\n", reused-maxReusedShown)
	}
	fmt.Fprintf(s.out, "Sent %s to %s: %d applied, %s, %d rejected.\n", plural(sum.Lines, "line", "lines"), d.url, sum.Events, plural(sum.Duplicates, "duplicate", "duplicates"), sum.Rejected)
	if reused > 0 {
		fmt.Fprintf(s.out, "Warning: %s not applied: an event with different content came first under the same id (counted as duplicates); an id names one event, so give each event its own.\n",
			plural(reused, "event", "events"))
	}
	printUnknownTypes(s.out, sum.UnknownTypes, sum.UnknownTypeSuggestions)
	printAttrTypos(s.out, sum.AttrTypos)
	printBadTimezones(s.out, sum.BadTimezones)
	printOutOfOrder(s.out, eventsName(d.path), sum.OutOfOrder, true)
	return code
}

// replayLine is a line of an events file being sent to a daemon.
type replayLine struct {
	no   int // in the file
	text []byte
}

// maxReusedShown is how many events under reused ids a replay through a
// daemon names, one line each; the rest are counted.
const maxReusedShown = 10

// reusedLine reports, as the n-th, an event of the file that the daemon
// did not apply because its id was another event's (w), placed by its
// line in the file: w places it in the request, whose lines are pending.
func reusedLine(w io.Writer, path string, pending []replayLine, iw *daemon.IDWarning, n int) {
	if n >= maxReusedShown {
		return
	}
	fileLine := func(reqLine int) int {
		if reqLine >= 1 && reqLine <= len(pending) {
			return pending[reqLine-1].no
		}
		return 0
	}
	at := eventsName(path)
	if no := fileLine(iw.Line); no > 0 {
		at = fmt.Sprintf("%s line %d", at, no)
	}
	switch first := fileLine(iw.FirstLine); {
	case iw.Earlier && iw.FirstAt != nil:
		fmt.Fprintf(w, "hearth replay: %s: id %q was applied before, to an event of %s with different content; this one was not applied (counted as a duplicate)\n",
			at, iw.ID, iw.FirstAt.UTC().Format(time.RFC3339Nano))
	case iw.Earlier:
		fmt.Fprintf(w, "hearth replay: %s: id %q was applied before, to an event with different content; this one was not applied (counted as a duplicate)\n", at, iw.ID)
	case first > 0:
		fmt.Fprintf(w, "hearth replay: %s: id %q is reused with different content from line %d; this one was not applied (counted as a duplicate)\n", at, iw.ID, first)
	default:
		fmt.Fprintf(w, "hearth replay: %s: id %q is reused with different content; this one was not applied (counted as a duplicate)\n", at, iw.ID)
	}
}

// communityNames are the hearth names of the communities among the
// resources apply made: "oss", "oss-2" ...
func communityNames(rs []state.Resource) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		if name, ok := strings.CutPrefix(r.Address, "community."); ok && !strings.Contains(name, ".") {
			out[name] = true
		}
	}
	return out
}

// recordIncentives writes the record of the incentives the state runs
// with (config.IncentivesRecord), as the daemon does when it loads them.
func recordIncentives(ctx context.Context, cs daemon.CursorStore, cfg *config.Config) error {
	now := config.DigestIncentives(cfg).String()
	was, err := cs.Cursor(ctx, config.IncentivesRecord)
	if err != nil || was == now {
		return err
	}
	return cs.SetCursor(ctx, config.IncentivesRecord, now)
}

// printBeforeImport warns of events applied to imported members dated
// before their import: the members end right, but their segment and
// tier moves are dated before the import's own, so hearth report's
// history by period goes wrong (negative segments), and, replayed
// without -history, the old events earned points and badges.
func printBeforeImport(w io.Writer, b *simulate.BeforeImport, history bool) {
	if b == nil {
		return
	}
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "\nWarning: %s applied to %s dated before %s import (the first at %s; their state was as of %s).",
		plural(b.Events, "event was", "events were"), plural(b.Members, "imported member", "imported members"),
		map[bool]string{true: "its", false: "their"}[b.Members == 1], at(b.First.Time), at(b.Latest.Time))
	fmt.Fprint(w, " Member state is right, but segment and tier moves are dated before the import's, so hearth report by period is wrong before the import.")
	if !history {
		fmt.Fprint(w, " Applied without -history, they also earned points, badges and campaign entries as if new.")
	}
	fmt.Fprintln(w, " Import with -at before the history's first event, then replay the history with -history: restore the backup taken before the migration (hearth state restore) and redo it in that order.")
}
