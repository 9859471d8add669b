package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/bench"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/state/sqlite"
	"github.com/hearth-community/hearth/engine/textwidth"
)

const benchUsage = `Usage: hearth bench [options]

Measures the engine on this machine and prints one table (or, with -json,
one object with these names):

  events_per_sec_memory    events applied per second, in-memory store
  events_per_sec_durable   the same, committed to SQLite (WAL, synchronous=FULL)
  p50/p99/p999_ms_at_10k   event arrival to commit at a steady 10,000 events/s,
                           on the store the durable run filled, the same
                           mix of events going on where it stopped
  engine_overhead_ratio    engine time per event / time spent evaluating
                           the rules the event ran, both measured in one run
                           on the real member states (one evaluation in 8
                           timed; the clock's own cost is taken off both
                           the rules' time and the engine's)
  rule_eval_ns             mean time of one rule evaluation in that run
  segment_1m_ms            recomputing one segment over 1,000,000 members
  impact_1m_ms             plan's member impact (segments, tiers, badge
                           revocations, audience campaigns of -config)
                           over 1,000,000 stored members
  plan_10k_ms              a plan of 10,000 up-to-date resources on the
                           local platform, state in SQLite
  reload_1000_rules_ms     loading and validating a 1,000-rule configuration
  bytes_per_member         SQLite bytes per member after the durable and
                           latency runs
  disk                     (Linux) how the disk under the SQLite runs keeps
                           writes: a write-back cache without FUA makes
                           every sync flush the whole cache, which sets
                           the p99 more than hearth does

The workload is a year of a Q&A community (joins, posts, votes, comments,
edits) run through the rules of -config (default examples/stackexchange).

Each figure with a target is marked met or MISSED. The targets are for
2 cores; a segment or impact figure taken over fewer members than its
target is for is shown but not judged. -json also gives "missed", the
names of the figures that missed, and -check exits 1 when any did; a
figure skipped (-segment-members 0, -impact-members 0, -skip-plan) is
null in -json and is never a miss.

Run outside a hearth checkout, name the rules with -config DIR: the
default, examples/stackexchange, is relative to the current directory.

Related: hearth simulate replays your own events through your own rules
and says how long it took.

Examples:
  hearth bench
  hearth bench -json > bench.json
  hearth bench -events 50000 -segment-members 100000   # a quick look
  hearth bench -check -skip-plan                        # in CI: fail on a miss
`

func runBench(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "bench", benchUsage)
	s.registerNoColor(fs)
	dir := fs.String("config", "examples/stackexchange", "Configuration whose rules are measured.")
	nEvents := fs.Int("events", 200000, "Events per throughput run.")
	members := fs.Int("members", 20000, "Members in the workload.")
	segMembers := fs.Int("segment-members", 1000000, "Members for the segment figure (0 to skip).")
	impactMembers := fs.Int("impact-members", 1000000, "Members for the member-impact figure (0 to skip).")
	skipPlan := fs.Bool("skip-plan", false, "Skip the plan_10k_ms figure.")
	asJSON := fs.Bool("json", false, "Print the figures as one JSON object.")
	check := fs.Bool("check", false, "Exit 1, naming them, when figures miss their targets (for CI).")
	if _, code, ok := parse(fs, args); !ok {
		return code
	}
	if *members < 1 || *nEvents <= *members {
		fmt.Fprintf(s.err, "hearth bench: -events (%d) must be more than -members (%d), and -members at least 1: the first event of each member is its join.\n", *nEvents, *members)
		return 1
	}
	if _, err := os.Stat(*dir); err != nil {
		// Run from anywhere but a checkout, the default is not there:
		// say which flag names the rules rather than only that a
		// directory could not be opened.
		fmt.Fprintf(s.err, "hearth bench: no configuration directory %s (%v): name the rules to measure with -config DIR (the default, examples/stackexchange, is relative to the current directory, as in a hearth checkout)\n", *dir, errors.Unwrap(err))
		return 1
	}
	opts := config.Options{LookupEnv: s.lookupEnv, Platforms: platformSpecs(), Version: Version}
	cfg, src, diags := config.Load(*dir, opts)
	if diags.HasErrors() {
		if *asJSON {
			doc := config.ToJSON(src, diags, relBase(*dir))
			doc.Redact(cfg.Redactor())
			_ = writeJSON(s, doc)
		} else {
			_ = cfg.Redactor().WriteDiagnostics(s.err, src, diags, relBase(*dir), s.color(s.errTTY))
			writeErrorCount(s.err, diags, *dir)
		}
		return 1
	}
	tmp, err := os.MkdirTemp("", "hearth-bench-")
	if err != nil {
		fmt.Fprintf(s.err, "hearth bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	planFig := plan10kMs
	if *skipPlan {
		planFig = nil
	}
	rep, err := bench.Run(ctx, bench.Options{
		Config: cfg, Label: *dir, Events: *nEvents, Members: *members, SegmentMembers: *segMembers,
		ImpactMembers: *impactMembers, LoadOptions: opts, TempDir: tmp, Plan10k: planFig,
		Progress: func(step string) { fmt.Fprintf(s.err, "measuring %s...\n", step) },
	})
	if err != nil {
		fmt.Fprintf(s.err, "hearth bench: %v\n", err)
		return 1
	}
	rep.Machine, rep.Disk = machine(), diskCache(tmp)
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return benchCheck(s, rep, *check)
	}
	fmt.Fprintf(s.out, "hearth %s on %s\n", Version, rep.Machine)
	if rep.Disk != "" {
		fmt.Fprintf(s.out, "disk %s\n", rep.Disk)
	}
	fmt.Fprintf(s.out, "%d events, %d members, rules of %s\n\n", rep.Events, rep.Members, rep.Config)
	writeBenchTable(s.out, rep, s.color(s.outTTY))
	return benchCheck(s, rep, *check)
}

// benchCheck is the exit code: with -check, 1 and the reason when a
// target was missed.
func benchCheck(s *stdio, rep *bench.Report, check bool) int {
	if !check || len(rep.Missed) == 0 {
		return 0
	}
	var missed []string
	for _, t := range bench.Targets() {
		if slices.Contains(rep.Missed, t.Figure) {
			v, _, _ := rep.Figure(t.Figure)
			missed = append(missed, fmt.Sprintf("%s %s (target %s)", t.Figure, strconv.FormatFloat(v, 'f', 2, 64), t))
		}
	}
	fmt.Fprintf(s.err, "hearth bench: %d of the targets missed: %s\n", len(missed), strings.Join(missed, "; "))
	return 1
}

// writeBenchTable prints the figures with their targets and whether each
// was met; a figure measured over fewer members than its target is for
// says so and is not judged.
func writeBenchTable(w io.Writer, rep *bench.Report, color bool) {
	paint := func(code, text string) string {
		if !color {
			return text
		}
		return code + text + "\x1b[0m"
	}
	targets := map[string]bench.Target{}
	for _, t := range bench.Targets() {
		targets[t.Figure] = t
	}
	var buf bytes.Buffer
	tw := textwidth.NewTabWriter(&buf, 2, 0)
	fmt.Fprintln(tw, "figure\tvalue\ttarget\t")
	row := func(name, value string) {
		t, ok := targets[strings.TrimSpace(name)]
		if !ok {
			fmt.Fprintf(tw, "%s\t%s\t\t\n", name, value)
			return
		}
		status := ""
		switch met, judged := t.Judge(rep); {
		case !judged:
			_, members, _ := rep.Figure(t.Figure)
			status = fmt.Sprintf("not judged: over %s members, the target is for %s", thousands(members), thousands(t.Scale))
		case met:
			status = paint("\x1b[32m", "met")
		default:
			status = paint("\x1b[31m", "MISSED")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, value, t, status)
	}
	row("events_per_sec_memory", fmt.Sprintf("%.0f", rep.EventsPerSecMemory))
	row("events_per_sec_durable", fmt.Sprintf("%.0f", rep.EventsPerSecDurable))
	row("p50_ms_at_10k", fmt.Sprintf("%.2f", rep.P50MsAt10k))
	row("p99_ms_at_10k", fmt.Sprintf("%.2f", rep.P99MsAt10k))
	row("p999_ms_at_10k", fmt.Sprintf("%.2f", rep.P999MsAt10k))
	row("engine_overhead_ratio", fmt.Sprintf("%.2f", rep.EngineOverheadRatio))
	row("  rule_eval_ns", fmt.Sprintf("%.0f", rep.RuleEvalNs))
	row("  rules_per_event", fmt.Sprintf("%.1f", rep.RulesPerEvent))
	if rep.Segment1MMs > 0 {
		row("segment_1m_ms", ms(float64(rep.Segment1MMs)))
	}
	if rep.Impact1MMs > 0 {
		row("impact_1m_ms", ms(float64(rep.Impact1MMs)))
	}
	if rep.Plan10kMs > 0 {
		row("plan_10k_ms", fmt.Sprintf("%.0f", rep.Plan10kMs))
	}
	row("reload_1000_rules_ms", fmt.Sprintf("%.1f", rep.Reload1000RulesMs))
	row("bytes_per_member", fmt.Sprintf("%.0f", rep.BytesPerMember))
	_ = tw.Flush()
	// Every cell ends in a tab, so the columns line up across rows with
	// and without a target; the padding that leaves at line ends goes.
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// ms writes milliseconds whole, or with a decimal under ten (a figure
// taken over a few members).
func ms(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// thousands writes n with thousands separators: 1,000,000.
func thousands(n int) string {
	d := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plan10kMs is the median of three plans of 10,000 resources that are
// all up to date (10 communities of 500 channels and 499 roles on the
// local platform, state in SQLite), state load included.
func plan10kMs(ctx context.Context, dir string) (float64, error) {
	rs, err := local.WriteScaleFixture(ctx, dir, 10, 500, 499)
	if err != nil {
		return 0, err
	}
	reg := registry()
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		return 0, diags
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if _, err := st.PutResources(ctx, rs); err != nil {
		return 0, err
	}
	conns, err := plan.Open(ctx, reg, cfg, nil)
	if err != nil {
		return 0, err
	}
	defer conns.Close()
	var times []float64
	for range 3 {
		start := time.Now()
		p, err := plan.Make(ctx, cfg, st, conns, plan.Options{})
		if err != nil {
			return 0, err
		}
		if p.HasChanges() {
			return 0, fmt.Errorf("the plan of the prepared resources has changes: %+v", p.Summary)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(times)
	return times[1], nil
}

// machine describes where the figures came from.
func machine() string {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if model == "" {
		model = goruntime.GOARCH
	}
	return fmt.Sprintf("%d cores, %s, %s/%s, %s", goruntime.NumCPU(), model, goruntime.GOOS, goruntime.GOARCH, goruntime.Version())
}
