package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hearth-community/hearth/engine/bus"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state/postgres"
)

// runUsage is hearth run -h: the HTTP API part is written from the
// table the server registers its routes from, so it lists every route.
func runUsage() string { return runUsageHead + "HTTP API:\n" + apiUsage() + "\n" + runUsageTail }

const runUsageHead = `Usage: hearth run [options] [DIR]

Runs the engine as a daemon: takes member events over HTTP, applies them
through the rules, commits them to the state store before acknowledging,
runs campaign timers and time-based rules, and reloads the configuration
when its files change (or on SIGHUP, or POST /v1/reload). A configuration
that fails validation never replaces the running one: the error is logged
and shown by GET /v1/status, and the metric hearth_config_reload_success
drops to 0. The state settings and platform blocks are read at start: a
reload that changes them takes the rest, and warns and lists them in
GET /v1/status (restart_needed) until hearth run restarts.

The files watched are the directory's .hcl files and those they read
with file(), wherever they are (house_rules = file("rules.md")).
A change to the files is read once the directory has been quiet for
-reload-settle (500ms), so a save, or a git checkout of many files,
reloads once, when written. A file that had blocks and has none left
(cat > FILE, cp, and editors that truncate a file before writing it
leave it so for a moment) is taken as a save under way: the reload that
would remove its blocks waits, logged at info, shown in GET /v1/status
(reload_held) and by hearth_config_reload_held, until the file is
written, or has stayed so for -reload-grace (10s). To remove a file's
blocks at once, delete the file. SIGHUP and POST /v1/reload read the
files as they are, at once. A reload that removes a campaign logs how
many runs it had under way (removed_campaigns in the reload's status):
each ends as stopped at its member's next event or timer. One that
removes a campaign's step (renamed without a moved block) logs how many
runs wait at it, which go on past it without its send (removed_steps).

A community whose capacity splits keeps each member's place in its
family (hearth member show: "in community oss-2"): on a platform that can
move members (the local platform), one joining a full community is moved
into the first of the family that apply made and that has room, before
the join's welcome, roles and campaign messages, which all go where the
member is. Elsewhere members stay where they join, and hearth plan warns
and says which community has room.

On SQLite state (the default, .hearth/state.db), a commit is durable once
its batch is in the journal beside the database (state.db-batches.0 and
.1) and synced; the tables are written from it a fraction of a second
later, and after a crash the next start writes what is left. When a
write fails (a full disk), events get 503 and /readyz answers 503 with
the reason (GET /v1/status says since when) until the daemon recovers by
itself, once there is room again; an error it cannot recover from (an
I/O error on a sync) makes /healthz answer 503 and stops it with exit 1,
for a supervisor to restart it. Back it
up with 'hearth state backup', running or not (a copy of state.db alone
misses what the journal and -wal hold). One daemon serves a SQLite
state at a time: it holds a lock on state.db.lock while it runs (the
system drops it when the process ends, however it ends), and a second
one on the same state exits 1 naming the first. Commands that write the
state directly go through the daemon's API (replay, member pardon,
forget and unsuppress, campaign stop) or refuse while it runs (state
prune, state restore, outbox send); state backup asks it for its copy.
outbox retry and drop write the outbox beside it, which it reads afresh
at each delivery round.

`

const runUsageTail = `Several replicas (-bus): with a shared PostgreSQL state store
(hearth { state { backend = "postgres" } }) and -bus nats://HOST:4222,
every replica takes events over HTTP and publishes them to a NATS
JetStream stream, partitioned by a hash of the member id; each partition
is read by one replica at a time, in order, and acknowledged only after
the state commit. Partitions move when replicas start and stop (a killed
replica's after -bus-lease). 202 then means the stream holds the events.
While NATS is out of reach, events get 503 with Retry-After at once
(nothing is accepted; /readyz answers 503 too), and events JetStream
does not confirm within -bus-publish-timeout (10s) get 503 naming those
it did (accepted_ids): send the rest again with the same ids.
Put credentials in HEARTH_BUS_URL rather than on the command line.
Replicas compare their configurations' hashes through their heartbeats:
when they differ, each logs a warning once and GET /v1/status says
config_mismatch (normal during a rolling deploy; /readyz stays 200).
A PostgreSQL state out of reach at start (the database restarting) is
tried again with backoff for -store-wait (60s; 0: exit at once), each
try logged with its error, then hearth run exits 1 with the last one;
an error the server answers (a wrong password) exits at once.
A daemon without -bus refuses a PostgreSQL state that replicas on a bus
serve, and a replica refuses one that a daemon without -bus serves,
until the other's heartbeat is 3 x -bus-lease old.

Logs go to stderr: -log-format json|text (default: text on a terminal,
JSON otherwise) and -log-level debug|info|warn|error (default info), or
HEARTH_LOG_FORMAT and HEARTH_LOG_LEVEL; a flag wins. At debug the daemon
writes each batch committed, each outbox delivery try and each reload
decision. Warnings include an action's first failed delivery (at most
one a minute per platform) and its move to the dead letters, requests
refused for the API token (at most one a minute, with the remote
address), and the batches a start folded after an unclean stop. The
stopping line names the signal; the last one gives the uptime and the
events committed. Secrets are taken out of every line.

A bearer token (HEARTH_API_TOKEN, or -token-file) protects /v1 and
/metrics; it is required when listening on anything but loopback, and
there it must be 16 bytes or more (openssl rand -hex 32 makes one). A
shorter token on loopback, and a token file that group or others may
read or write (chmod 600 it), are logged as warnings at start.
SIGTERM or Ctrl-C stops taking events, commits what was accepted and
exits 0. With -drain 10s it first answers /readyz with 503 for ten
seconds while it still takes events, so a load balancer (a Kubernetes
Service) stops sending it requests before it stops; a second signal
stops at once.

-events FILE applies a JSON lines file after starting, through the same
path as POST /v1/events, with timers held until it is in. Events dated
before an event above them in the file are applied at their own time,
but their members' rules saw the events above them first: when the file
is in, one warning gives their count and the first one's line and time.
-sort reads the whole file into memory first and applies its events
sorted stably by "at", as hearth replay -sort does. Once the file is in,
a line on standard output and an "events file applied" log entry give
its counts (applied, duplicates, bad, too_old, future, took). Its events
are applied as live ones: history from before hearth ran, which should
earn no rewards and enter no campaign, is for 'hearth replay -history'
with hearth run stopped.

The dashboard at http://ADDR/ shows all of this in a browser. Its URLs
are relative, so a reverse proxy may serve it under a path prefix
(https://host/hearth/ to the daemon's /; README "Behind a reverse proxy").

Examples:
  hearth run examples/quickstart
  hearth run -events examples/quickstart/events.jsonl examples/quickstart
  HEARTH_LOG_LEVEL=debug hearth run -log-format json examples/quickstart
  curl -X POST --data-binary @events.jsonl http://127.0.0.1:7341/v1/events
  hearth run -token-file /etc/hearth/api-token -listen 0.0.0.0:7341 /etc/hearth
  hearth run -bus nats://127.0.0.1:4222 -listen 127.0.0.1:7342 /etc/hearth
`

// apiUsage lists the daemon's routes, each with its doc wrapped beside it.
func apiUsage() string {
	const indent = 20 // where docs start
	const width = 76
	var b strings.Builder
	for _, r := range daemon.Routes() {
		line := "  " + r.Usage
		if len(line) >= indent-1 {
			b.WriteString(line + "\n")
			line = ""
		}
		for _, w := range strings.Fields(r.Doc) {
			switch {
			case line == "":
				line = strings.Repeat(" ", indent) + w
			case len(line) < indent:
				line += strings.Repeat(" ", indent-len(line)) + w
			case len(line)+1+len(w) > width:
				b.WriteString(line + "\n")
				line = strings.Repeat(" ", indent) + w
			default:
				line += " " + w
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// The daemon is the bus's sink and holds its timers for a backfill the
// bus hands it.
var _ bus.TimerHolder = (*daemon.Daemon)(nil)

// maxPublishTimeout bounds -bus-publish-timeout: the answer must come
// well within the minute a request may take (ReadTimeout), for a client
// to read it rather than its own timeout.
const maxPublishTimeout = 30 * time.Second

func runRun(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "run", runUsage())
	listen := fs.String("listen", "127.0.0.1:7341", "Address for the HTTP API.")
	tokenFile := fs.String("token-file", "", "`FILE` holding the API bearer token (default: $HEARTH_API_TOKEN).")
	batch := fs.Int("batch", 1000, "Most events applied per transaction.")
	eventsPath := fs.String("events", "", "JSON lines `FILE` of events to apply after starting, as if posted to /v1/events (for a demo or a backfill); timers wait until it is applied.")
	sortEvents := fs.Bool("sort", false, "With -events: read the whole file into memory and apply its events sorted by time (stably).")
	busURL := fs.String("bus", "", "NATS URL of the JetStream event bus shared by several replicas (default: $HEARTH_BUS_URL; none: this process applies what it takes).")
	busStream := fs.String("bus-stream", "HEARTH_EVENTS", "JetStream stream of the event bus.")
	busPartitions := fs.Int("bus-partitions", 16, "Partitions of the event bus; the same for every replica, fixed by the first.")
	busLease := fs.Duration("bus-lease", 10*time.Second, "How long a partition stays with a replica that stopped renewing it.")
	busPublishTimeout := fs.Duration("bus-publish-timeout", bus.DefaultPublishTimeout, "How long a request's events may wait for JetStream to confirm them before the request is answered 503 (Retry-After: 5; with NATS out of reach, at once).")
	replica := fs.String("replica", "", "This replica's name on the bus (default: host-pid-random).")
	drain := fs.Duration("drain", 0, "On SIGTERM or Ctrl-C, answer /readyz with 503 for `DURATION` while still taking events, then stop.")
	reloadSettle := fs.Duration("reload-settle", daemon.DefaultReloadSettle, "How long the configuration directory must be quiet after a change before the files are read and reloaded, so a save or a git checkout of many files reloads once, when written.")
	reloadGrace := fs.Duration("reload-grace", daemon.DefaultReloadGrace, "How long a file that had blocks and has none left (emptied, as a save that truncates first leaves it) must stay so before the reload that removes its blocks is applied; deleting the file removes them after -reload-settle.")
	storeWait := fs.Duration("store-wait", DefaultStoreWait, "How long to keep trying, at start, a PostgreSQL state that cannot be reached (refused, down, restarting), each try logged, before exiting 1; 0 exits at once.")
	maxAhead := fs.Duration("max-ahead", daemon.DefaultMaxAhead, "How far past this machine's clock an event's time may be; events dated later are refused (422, reason future) wherever they come in.")
	var vf varFlags
	vf.register(fs)
	var lf logFlags
	lf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	log, err := lf.logger(s)
	if err != nil {
		// As a bad -max-ahead: exit 1, as every usage error of hearth.
		fmt.Fprintf(s.err, "hearth run: %v\n", err)
		return 1
	}
	dir, ok := dirArg(pos, s, "run")
	if !ok {
		return 1
	}
	if *drain < 0 {
		fmt.Fprintf(s.err, "hearth run: -drain %s is negative; give how long to keep taking events after a stop signal, such as 10s\n", *drain)
		return 1
	}
	if *maxAhead <= 0 {
		fmt.Fprintf(s.err, "hearth run: -max-ahead must be more than 0, such as 5m or 1h.\n")
		return 1
	}
	// The daemon and the bus would take 0 or less as their defaults;
	// a value given on purpose that is not used is refused instead.
	switch {
	case *batch < 1:
		fmt.Fprintf(s.err, "hearth run: -batch must be 1 or more (events per transaction; 1000 by default), not %d.\n", *batch)
		return 1
	case *busPartitions < 1:
		fmt.Fprintf(s.err, "hearth run: -bus-partitions must be 1 or more (16 by default), not %d.\n", *busPartitions)
		return 1
	case *busLease <= 0:
		fmt.Fprintf(s.err, "hearth run: -bus-lease must be more than 0, such as 10s.\n")
		return 1
	case *busPublishTimeout <= 0 || *busPublishTimeout > maxPublishTimeout:
		fmt.Fprintf(s.err, "hearth run: -bus-publish-timeout must be more than 0 and at most %s (a request may take a minute), such as %s, not %s.\n", maxPublishTimeout, bus.DefaultPublishTimeout, *busPublishTimeout)
		return 1
	case *reloadSettle <= 0:
		fmt.Fprintf(s.err, "hearth run: -reload-settle must be more than 0 (%s by default): a reload while a save is still being written reads half a file.\n", daemon.DefaultReloadSettle)
		return 1
	case *storeWait < 0:
		fmt.Fprintf(s.err, "hearth run: -store-wait %s is negative; give how long to wait for the state store at start, such as %s, or 0 to exit at once.\n", *storeWait, DefaultStoreWait)
		return 1
	case *reloadGrace <= 0:
		fmt.Fprintf(s.err, "hearth run: -reload-grace must be more than 0 (%s by default); to remove a file's blocks at once, delete the file.\n", daemon.DefaultReloadGrace)
		return 1
	}
	token, warnings, err := apiToken(s, *tokenFile, *listen)
	if err != nil {
		fmt.Fprintf(s.err, "hearth run: %v\n", err)
		return 1
	}
	for _, w := range warnings {
		log.Warn("API token", "warning", w)
	}
	if token == "" && !loopback(*listen) {
		fmt.Fprintf(s.err, "hearth run: %s is not a loopback address; set HEARTH_API_TOKEN or -token-file so the API is not open to anyone.\n", *listen)
		return 1
	}
	if *sortEvents && *eventsPath == "" {
		fmt.Fprintln(s.err, "hearth run: -sort sorts the -events file; give -events FILE too.")
		return 1
	}
	// A missing events file is a typo to report now, not after starting.
	var feed *os.File
	if *eventsPath != "" {
		if feed, err = os.Open(*eventsPath); err != nil {
			fmt.Fprintf(s.err, "hearth run: -events: %v\n", err)
			return 1
		}
		defer feed.Close()
	}
	// The daemon's output is a log: a warning about a credential written
	// in plain text must not quote it there, as no other log line does.
	cfg, src, diags := config.Load(dir, vf.options(s))
	if len(diags) > 0 {
		if _, asJSON, _ := lf.options(s); asJSON {
			// JSON lines only: a collector would take the text form's
			// lines one by one.
			v := config.ToJSON(src, diags, relBase(dir))
			v.Redact(cfg.Redactor())
			v.Log(ctx, log)
		} else {
			_ = cfg.Redactor().WriteDiagnostics(s.err, src, diags, relBase(dir), s.color(s.errTTY))
			writeErrorCount(s.err, diags, dir)
		}
	}
	if diags.HasErrors() {
		return 1
	}
	// One daemon per SQLite state: a second one would overwrite the
	// first one's member updates. The lock is held until the process
	// ends (the kernel drops it on a crash too).
	lock, err := lockState(cfg, "hearth run")
	if err != nil {
		fmt.Fprintf(s.err, "hearth run: %v\n", err)
		var busy *stateBusyError
		if errors.As(err, &busy) {
			if busy.daemon() {
				fmt.Fprintln(s.err, "Only one hearth run may serve a SQLite state: stop that one first, or give this one a state of its own (hearth { state { path = \"...\" } }). Several replicas share a PostgreSQL state instead (see hearth run -h).")
			} else {
				fmt.Fprintln(s.err, "Start hearth run once it is done.")
			}
		}
		return 1
	}
	defer lock.release()
	// A database restarting while the pod starts is waited for, rather
	// than exiting at once for the supervisor to restart (a crash loop).
	store, err := openStoreWaiting(ctx, cfg, *storeWait, log)
	if err != nil {
		fmt.Fprintf(s.err, "hearth run: %v\n", err)
		return 1
	}
	if *busURL == "" {
		*busURL, _ = s.lookupEnv("HEARTH_BUS_URL")
	}
	// A shared state says who serves it: replicas on a bus and a daemon
	// without one must not both apply events to it.
	name := bus.ReplicaName(*replica)
	me := postgres.Server{ID: name, Address: *listen}
	if *busURL != "" {
		me.Bus = *busStream
	}
	leave, err := serveState(ctx, store, me, *busLease, log)
	if err != nil {
		fmt.Fprintf(s.err, "hearth run: %v\n", err)
		var served *postgres.ServedError
		if errors.As(err, &served) {
			fmt.Fprintln(s.err, servedAdvice(served, me, serveTTL(*busLease)))
		}
		store.Close()
		return 1
	}
	defer leave()
	var d *daemon.Daemon
	var eb *bus.Bus
	var cursors bus.Cursors
	if *busURL != "" {
		var ok bool
		if cursors, ok = store.(bus.Cursors); !ok {
			fmt.Fprintf(s.err, "hearth run: -bus needs a state store that keeps cursors; the %s backend does not\n", cfg.Settings.State.Backend)
			store.Close()
			return 1
		}
		if cfg.Settings.State.Backend != "postgres" {
			log.Warn("the event bus is shared, the state is not: every replica must use the same PostgreSQL state (hearth { state { backend = \"postgres\" } }), or each applies only its own partitions' events", "state", cfg.Settings.State.Backend)
		}
		eb, err = bus.Open(ctx, bus.Options{URL: *busURL, Stream: *busStream, Partitions: *busPartitions, Lease: *busLease,
			Replica: name, Batch: *batch, PublishTimeout: *busPublishTimeout, Log: log, Info: func() bus.Info { return replicaInfo(d, *listen) }})
		if err != nil {
			fmt.Fprintf(s.err, "hearth run: -bus: %v\n", err)
			store.Close()
			return 1
		}
		defer eb.Close()
	}
	sender := &outbox.PlatformSender{Registry: registry(), Log: log, Config: func() *config.Config { return d.Snapshot().Config }, Resources: stateResources(store), Grants: stateGrants(store)}
	defer sender.Close()
	adopting := &adoptingSender{next: sender, reg: registry(), log: log, config: func() *config.Config { return d.Snapshot().Config },
		member: func(ctx context.Context, id string) (knownMember, error) {
			var m knownMember
			err := d.ReadStore(ctx, func(ctx context.Context) error {
				var err error
				m, err = readKnownMember(ctx, store, id)
				return err
			})
			return m, err
		}}
	defer adopting.Close()
	opts := daemon.Options{Dir: dir, Load: vf.options(s), Store: store, Log: log, MaxBatch: *batch, Sender: adopting, MaxAhead: *maxAhead}
	if eb != nil {
		opts.Bus = eb
	}
	d, diags, src = daemon.New(opts)
	if d == nil {
		_ = config.WriteDiagnostics(s.err, src, diags, relBase(dir), s.color(s.errTTY))
		writeErrorCount(s.err, diags, dir)
		store.Close()
		return 1
	}
	// From here on, logs go through the daemon's logger, which takes the
	// configuration's sensitive values out of them (platform adapters
	// log through it too).
	log = d.Log()
	sender.Log = log
	adopting.log = log
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			// Most often a daemon started earlier, on another directory.
			fmt.Fprintf(s.err, "hearth run: %s is in use by another program (another hearth run?): stop it, or give this one another address with -listen, such as -listen %s\n", *listen, nextPort(*listen))
		} else {
			fmt.Fprintf(s.err, "hearth run: %v\n", err)
		}
		store.Close()
		return 1
	}
	srv := &http.Server{Handler: d.Handler(token), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}

	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Add(2)
	// Run ends early when the state store failed for good: then the
	// daemon stops as for a signal, and exits 1 for a supervisor to
	// restart it.
	runDone := make(chan struct{})
	go func() { defer wg.Done(); runErr = d.Run(runCtx); close(runDone) }()
	go d.Streams(runCtx, registry())
	busCtx, stopBus := context.WithCancel(context.Background())
	busDone := make(chan struct{})
	if eb != nil {
		go func() {
			defer close(busDone)
			if err := eb.Run(busCtx, d, cursors); err != nil {
				log.Error("event bus stopped", "err", err)
			}
		}()
	} else {
		close(busDone)
	}
	closeReceivers := d.Receivers(runCtx, registry())
	defer closeReceivers()
	go func() {
		defer wg.Done()
		if err := d.Watch(runCtx, daemon.WatchOptions{Settle: *reloadSettle, Grace: *reloadGrace}); err != nil {
			log.Warn("not watching the configuration directory; reload with SIGHUP or POST /v1/reload", "err", err)
		}
	}()
	// Announced before it answers: once /readyz says 200, a command
	// that writes the state finds this daemon and goes through its API,
	// rather than being told the state is busy.
	unannounce, err := announce(cfg, ln.Addr())
	if err != nil {
		log.Warn("commands that write the state will not find this daemon", "err", err)
	} else {
		defer unannounce()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	fmt.Fprintf(s.out, "dashboard http://%s/\nhearth %s running %s\n  API      http://%s/v1/events\n  status   http://%s/v1/status\n  metrics  http://%s/metrics\nPress Ctrl-C to stop.\n",
		ln.Addr(), Version, dir, ln.Addr(), ln.Addr(), ln.Addr())
	if feed != nil {
		wg.Add(1)
		go func() { defer wg.Done(); feedFile(ctx, s, d, feed, *batch, *sortEvents, log) }()
	}
	if eb != nil {
		log.Info("started", "dir", dir, "listen", ln.Addr().String(), "state", cfg.Settings.State.Backend, "bus", *busStream, "replica", eb.Replica())
	} else {
		log.Info("started", "dir", dir, "listen", ln.Addr().String(), "state", cfg.Settings.State.Backend)
	}
	failed := false
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-runDone:
			failed = true
			break wait
		case <-hup:
			d.Reload("signal")
		}
	}
	if failed {
		log.Error("stopping: the state store failed and cannot recover by itself; exiting 1 so that a supervisor restarts hearth")
	} else if *drain > 0 {
		d.Drain()
		log.Info("draining: /readyz answers 503 while events are still taken; a second signal stops now", "for", drain.String())
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM)
		select {
		case <-time.After(*drain):
		case <-again:
		}
		signal.Stop(again)
	}
	if !failed {
		log.Info("stopping: taking no more events; committing those accepted", "signal", stopSignal(ctx))
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Refuse new connections and wait for requests in flight, whose
	// events the processor is still applying.
	httpDone := make(chan struct{})
	go func() { _ = srv.Shutdown(shutdownCtx); close(httpDone) }()
	<-httpDone
	// The bus gives its partitions back after the batch in hand, which
	// the processor still commits; then the processor stops.
	stopBus()
	<-busDone
	stop()
	wg.Wait()
	leave() // before the store closes: a daemon of the other kind may start at once
	if err := store.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		log.Error("stopped with an error", "err", runErr)
		return 1
	}
	st := d.Stats()
	log.Info("stopped", "uptime", d.Uptime().Round(time.Second).String(), "events_committed", st["accepted"], "duplicates", st["duplicates"], "rejected", st["rejected"])
	return 0
}

// servedAdvice says what to do about a state that daemons of another
// kind serve.
func servedAdvice(served *postgres.ServedError, me postgres.Server, ttl time.Duration) string {
	wait := fmt.Sprintf("(a daemon that was killed stops counting %s after its last heartbeat)", ttl)
	switch {
	case served.Other.Bus == "":
		return "Stop it first, or start it with -bus too: replicas on a bus split the members between them, and a daemon without one would apply any member's events " + wait + "."
	case me.Bus == "":
		return fmt.Sprintf("Start this one with -bus NATS_URL -bus-stream %s to join them, or stop them first %s.", served.Other.Bus, wait)
	}
	return fmt.Sprintf("Start this one with -bus-stream %s to join them, or stop them first %s.", served.Other.Bus, wait)
}

// replicaInfo is what this replica's heartbeats on the bus say about
// it, so that the others can tell it runs another configuration.
func replicaInfo(d *daemon.Daemon, listen string) bus.Info {
	info := bus.Info{Version: Version, Address: listen}
	if d != nil {
		info.Hash = d.Snapshot().Config.Fingerprint
	}
	return info
}

// stopSignals names the signals that stop hearth run by the cause
// signal.NotifyContext gives its context (main).
var stopSignals = map[string]string{
	os.Interrupt.String() + " signal received":    "SIGINT",
	syscall.SIGTERM.String() + " signal received": "SIGTERM",
}

// stopSignal names the signal that ended ctx, such as SIGTERM; the
// cause's own text for another cause, such as a test cancelling it.
func stopSignal(ctx context.Context) string {
	cause := context.Cause(ctx)
	if cause == nil {
		return ""
	}
	if name, ok := stopSignals[cause.Error()]; ok {
		return name
	}
	return cause.Error()
}

// feedFile applies a JSON lines file through the daemon's ingestion path,
// while the API and dashboard are already up, so the operator can watch
// it arrive.
// With sortEvents the whole file is read and sorted by time first.
func feedFile(ctx context.Context, s *stdio, d *daemon.Daemon, f *os.File, batch int, sortEvents bool, log *slog.Logger) {
	path := f.Name()
	start := time.Now()
	var src simulate.Source = events.NewReader(f)
	if sortEvents {
		sorted, err := simulate.Sort(f, nil)
		if err != nil {
			log.Error("reading the events file to sort it failed; nothing applied", "file", path, "err", err)
			return
		}
		src = sorted
	}
	res, err := d.FeedSource(ctx, src, batch, func(e *events.Error) {
		args := []any{"file", path, "line", e.Line, "index", e.Index}
		if e.ID != "" {
			args = append(args, "id", e.ID)
		}
		log.Warn("bad event skipped", append(args, "err", e.Err)...)
	})
	logOutOfOrder(log, path, res.OutOfOrder)
	// The counts are of events committed: a batch in hand at a stop is
	// waited for (daemon.FeedSource).
	counts := []any{"file", path, "applied", res.Accepted, "duplicates", res.Duplicates, "bad", res.Bad}
	if err != nil && ctx.Err() != nil {
		// Stopped on purpose (SIGTERM, Ctrl-C): no error, and the way on.
		log.Info("stopped before the end of the events file; start again with the same -events to go on (the events applied are skipped as duplicates)", counts...)
		return
	}
	if err != nil {
		log.Error("applying the events file stopped", append(counts, "err", err)...)
		return
	}
	tooOld := ""
	if res.TooOld > 0 {
		tooOld = fmt.Sprintf(", %d too old (before event_id_retention; skipped)", res.TooOld)
	}
	if res.Future > 0 {
		tooOld += fmt.Sprintf(", %d dated in the future (past -max-ahead; skipped)", res.Future)
	}
	took := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(s.out, "applied %s: %s, %s, %d bad%s, in %s\n", path, plural(res.Accepted, "event", "events"), plural(res.Duplicates, "duplicate", "duplicates"), res.Bad, tooOld, took)
	// And in the log, for those who read JSON logs, not standard output:
	// the one line that says the file is in.
	log.Info("events file applied", append(counts, "too_old", res.TooOld, "future", res.Future, "took", took)...)
}

// logOutOfOrder logs, once a file is fed, the events it held dated
// before an event above them: applied as they came, a warning, as
// hearth replay gives; sorted by -sort, information that it was done.
func logOutOfOrder(log *slog.Logger, path string, o *simulate.OutOfOrder) {
	if o == nil {
		return
	}
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	args := []any{"file", path, "count", o.Count, "first_line", o.Line, "first_at", at(o.At.Time), "after_line", o.LatestLine, "after_at", at(o.Latest.Time)}
	if o.Sorted {
		log.Info("sorted the events file: events dated before an event above in the file (count); -sort applied every event in time order", args...)
		return
	}
	log.Warn("events dated before an event above in the file (count); each was applied at its own time, but its member's rules saw the later events first: sort the file by \"at\", or give -sort", args...)
}

// logHandler writes text or JSON to stderr.
// Durations are written as such ("1.5s"), not as JSON's nanoseconds.
func logHandler(s *stdio, opts *slog.HandlerOptions, asJSON bool) slog.Handler {
	o := slog.HandlerOptions{}
	if opts != nil {
		o = *opts
	}
	replace := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a = slog.String(a.Key, a.Value.Duration().String())
		}
		if replace != nil {
			a = replace(groups, a)
		}
		return a
	}
	opts = &o
	if asJSON {
		return slog.NewJSONHandler(s.err, opts)
	}
	return slog.NewTextHandler(s.err, opts)
}

// minToken is the shortest API token hearth run takes on an address
// other than loopback: a shorter one could be found by trying, and the
// API does not slow down wrong guesses. On loopback it is a warning.
const minToken = 16

// apiToken reads the API token from file, or HEARTH_API_TOKEN without
// one, and checks it for listen: a short token is refused on an address
// other than loopback; warnings (never quoting the token) say what is
// weak but taken: a short token on loopback, a file group or others may
// read or write, as ssh says of a key.
func apiToken(s *stdio, file, listen string) (string, []string, error) {
	var t string
	var warnings []string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", nil, fmt.Errorf("token file: %w", err)
		}
		t = strings.TrimSpace(string(b))
		if t == "" {
			return "", nil, fmt.Errorf("token file %s is empty", file)
		}
		// Windows has no such mode bits; its ACLs are not checked.
		if fi, err := os.Stat(file); err == nil && goruntime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("the API token file %s may be read or written by group or others (mode %04o): anyone who reads it can use the API; chmod 600 %s", file, fi.Mode().Perm(), file))
		}
	} else {
		env, _ := s.lookupEnv("HEARTH_API_TOKEN")
		t = strings.TrimSpace(env)
	}
	if t != "" && len(t) < minToken {
		what := "HEARTH_API_TOKEN"
		if file != "" {
			what = "the token in " + file
		}
		if !loopback(listen) {
			return "", nil, fmt.Errorf("%s is shorter than %d bytes, too easy to guess on %s, which is not a loopback address; make a longer one, such as with openssl rand -hex 32", what, minToken, listen)
		}
		warnings = append(warnings, fmt.Sprintf("%s is shorter than %d bytes: a program on this machine could guess it; make a longer one, such as with openssl rand -hex 32", what, minToken))
	}
	return t, warnings, nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// nextPort is listen with the port after its own, the address a second
// daemon could take: 127.0.0.1:7342 for 127.0.0.1:7341, 0.0.0.0:8081
// for 0.0.0.0:8080. One that does not parse gets 127.0.0.1:7342.
func nextPort(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n <= 0 || n >= 65535 {
		return "127.0.0.1:7342"
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}
