package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
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
likely typos of known ones are listed after the count of lines sent. Lines the daemon did not
apply because an event with different content came first under their id
(in the file, or applied before) are named, the first ten, and counted
after the count of lines sent.

Bad lines are reported with the file and their line (and column, for
malformed JSON: "events.jsonl line 2, column 7: invalid event: malformed
JSON: ...", in the words POST /v1/events uses) and skipped; the exit
status stays 0 unless -strict is given. Problems while applying events are
logged to stderr as text lines, or as JSON lines with -json.

It prints the summary 'hearth simulate' prints (see 'hearth simulate
-h'), of what these events did; a campaign no longer in the files whose
runs in the store they stopped shows as "NAME (removed)" ("removed": true
in -json).

Use 'hearth simulate' to try rules without touching the store.

Examples:
  hearth replay -events examples/quickstart/events.jsonl examples/quickstart
  hearth import stackexchange dump/ | hearth replay -events - examples/stackexchange
  hearth replay -events history.jsonl -url http://127.0.0.1:7341
`

func runReplay(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "replay", replayUsage)
	eventsPath := fs.String("events", "", "JSON lines `FILE` of events (\"-\" for standard input). Required.")
	batch := fs.Int("batch", 1000, "Events committed per transaction.")
	asJSON := fs.Bool("json", false, "Print the summary as JSON.")
	url := fs.String("url", "", "Send the events to a running daemon at this address instead.")
	strict := fs.Bool("strict", false, "Exit 1 when any line was rejected (bad lines are still reported and skipped).")
	var vf varFlags
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if *url != "" {
		return replayToDaemon(ctx, s, *eventsPath, *url, *batch, *strict)
	}
	dir, ok := dirArg(pos, s, "replay")
	if !ok {
		return 1
	}
	if *eventsPath == "" {
		fmt.Fprintln(s.err, "hearth replay: -events FILE is required; see 'hearth replay -h'.")
		return 1
	}
	cfg, ok := loadConfigAs(s, dir, vf, *asJSON)
	if !ok {
		return 1
	}
	lock, a, ok := lockForWrite(s, cfg, "replay")
	if !ok {
		return 1
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the events go through its API at %s.\n", a.PID, a.URL)
		return replayToDaemon(ctx, s, *eventsPath, a.URL, *batch, *strict)
	}
	defer lock.release()
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth replay: %v\n", err)
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
			fmt.Fprintf(s.err, "hearth replay: %s (skipped)\n", e.In(eventsName(*eventsPath)))
		}
	}}
	if s.errTTY {
		opt.Progress = func(n int) {
			fmt.Fprintf(s.err, "\r  applied %d events (%.0f/s)...", n, float64(n)/time.Since(start).Seconds())
		}
	}
	log, logCap := sandboxLogger(s, *asJSON)
	opt.Log = log
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
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: recording the campaigns' step order: %v\n", err)
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
	if bad > 10 {
		fmt.Fprintf(s.err, "hearth replay: %d more bad lines skipped\n", bad-10)
	}
	code = 0
	if *strict && bad > 0 {
		fmt.Fprintf(s.err, "hearth replay: %s rejected (-strict).\n", plural(bad, "line was", "lines were"))
		code = 1
	}
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return code
	}
	fmt.Fprintf(s.out, "State: %s %s\n", cfg.Settings.State.Backend, storeWhere(cfg))
	printSummary(s.out, cfg, sum, time.Since(start), true)
	return code
}

// openStoreFor opens cfg's state store for command name, saying why not
// on s.err.
func openStoreFor(ctx context.Context, s *stdio, cfg *config.Config, name string) (state.Store, bool) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		if len(cfg.MissingSecrets) > 0 {
			fmt.Fprintf(s.err, "These sensitive variables have no value, which may be why: %s. Set them with -var NAME=VALUE or %sNAME.\n",
				strings.Join(cfg.MissingSecrets, ", "), config.EnvVarPrefix)
		}
		return nil, false
	}
	return store, true
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

// replayToDaemon posts a JSON-lines file to a running daemon in chunks.
// A line that is not an event is reported as a replay to the store
// reports it, and not sent; a line the daemon refuses is reported with
// its line number and left out, and the rest of its chunk sent again, so
// a replay through a daemon skips bad lines as one straight to the store
// does. Types and attributes the daemon warns about as likely typos are
// listed at the end, as the summary of a replay to the store lists them.
func replayToDaemon(ctx context.Context, s *stdio, path, url string, chunk int, strict bool) int {
	if path == "" {
		fmt.Fprintln(s.err, "hearth replay: -events FILE is required; see 'hearth replay -h'.")
		return 1
	}
	var in io.Reader = s.in
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	// History, in time order: the daemon holds its timers while it comes
	// (a timer round between two requests would take members to the
	// present before their older events arrive).
	endpoint := strings.TrimRight(url, "/") + "/v1/events?backfill=true"
	client := &http.Client{Timeout: 5 * time.Minute}
	rd := events.NewReader(in)
	var pending []replayLine
	accepted, dups, rejected := 0, 0, 0
	typos := map[string]int{}        // likely typos the daemon named, by type
	suggested := map[string]string{} // the type each looks like
	var attrTypos simulate.AttrTypos // likely attribute typos the daemon named
	reused := 0                      // events not applied: their id was another event's
	skip := func(msg string) {
		// The first ten, as a replay to the store prints them: history
		// past the retention can refuse thousands.
		if rejected < 10 {
			fmt.Fprintf(s.err, "hearth replay: %s (skipped)\n", msg)
		}
		rejected++
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
			accepted += body.Accepted
			dups += body.Duplicates
			for _, raw := range body.Warnings {
				var aw daemon.AttrWarning
				if json.Unmarshal(raw, &aw) == nil && aw.Attribute != "" {
					attrTypos.Add(aw.Type, aw.Attribute, aw.Suggestion, aw.Events)
					continue
				}
				var iw daemon.IDWarning
				if json.Unmarshal(raw, &iw) == nil && iw.ID != "" {
					reusedLine(s.err, path, pending, &iw, reused)
					reused++
					continue
				}
				var w daemon.TypeWarning
				if json.Unmarshal(raw, &w) == nil && w.Type != "" {
					typos[w.Type] += w.Events
					suggested[w.Type] = w.Suggestion
				}
			}
			return nil, true
		}
		bad = map[int]string{}
		for _, e := range body.Events {
			if e.Line >= 1 && e.Line <= len(pending) {
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
					skip(fmt.Sprintf("%s line %d: %s", eventsName(path), l.no, msg))
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
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var e *events.Error
		if errors.As(err, &e) {
			// Not an event: said here as a replay to the store says it.
			skip(e.In(eventsName(path)))
			continue
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth replay: %s: %v\n", eventsName(path), err)
			return 1
		}
		pending = append(pending, replayLine{no: rd.Line(), text: bytes.Clone(rd.Raw())})
		if len(pending) >= chunk && !send() {
			return 1
		}
	}
	if !send() {
		return 1
	}
	if rejected > 10 {
		fmt.Fprintf(s.err, "hearth replay: %d more bad lines skipped\n", rejected-10)
	}
	if reused > maxReusedShown {
		fmt.Fprintf(s.err, "hearth replay: %d more events under reused ids\n", reused-maxReusedShown)
	}
	fmt.Fprintf(s.out, "Sent %s to %s: %d applied, %s, %d rejected.\n", plural(rd.Line(), "line", "lines"), url, accepted, plural(dups, "duplicate", "duplicates"), rejected)
	if reused > 0 {
		fmt.Fprintf(s.out, "Warning: %s not applied: an event with different content came first under the same id (counted as duplicates); an id names one event, so give each event its own.\n",
			plural(reused, "event", "events"))
	}
	printUnknownTypes(s.out, typos, suggested)
	printAttrTypos(s.out, attrTypos.List())
	if strict && rejected > 0 {
		return 1
	}
	return 0
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
