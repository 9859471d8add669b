package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/textwidth"
)

// compareTextCap and compareJSONCap are how many members simulate
// -baseline -members names per change, in the text and in -json.
const (
	compareTextCap = 20
	compareJSONCap = 1000
)

// compareFlags are simulate's flags of a comparison of two rule sets.
type compareFlags struct {
	baseline, ref     string
	detailed, members bool
}

func (c *compareFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.baseline, "baseline", "", "Compare: replay the events through the rules of this `BASEDIR` as well (the baseline: say, the rules before a change) and print how the rules of DIR change what they do.")
	fs.StringVar(&c.ref, "baseline-ref", "", "Compare with the rules of DIR as they are at this git `REF` (a branch, tag or commit), taken with git archive into a temporary directory.")
	fs.BoolVar(&c.detailed, "detailed-exitcode", false, "With -baseline or -baseline-ref: exit 2 when the two replays differ (0 when they do not).")
	fs.BoolVar(&c.members, "members", false, "With -baseline or -baseline-ref: name the members of each change (up to 20 per change; 1000 with -json).")
}

func (c *compareFlags) comparing() bool { return c.baseline != "" || c.ref != "" }

// mistake is what is wrong with the flags of a comparison, "" if nothing.
func (c *compareFlags) mistake(outcomes, reportJSON string) string {
	switch {
	case c.baseline != "" && c.ref != "":
		return "-baseline and -baseline-ref both name the baseline rules; give one"
	case !c.comparing() && c.detailed:
		return "-detailed-exitcode needs -baseline BASEDIR or -baseline-ref REF: it tells whether two replays differ"
	case !c.comparing():
		return "-members needs -baseline BASEDIR or -baseline-ref REF: it names the members a rules change affects"
	case outcomes != "":
		return "-outcomes writes the outcomes of one replay: run without -baseline for them"
	case reportJSON != "":
		return "-report-json writes the report of one replay: run without -baseline for it"
	case strings.HasPrefix(c.ref, "-"):
		return fmt.Sprintf("-baseline-ref %q is not a git ref", c.ref)
	}
	return ""
}

// compareJSON is simulate -baseline -json: both replays' summaries and
// the differences.
type compareJSON struct {
	Baseline compareSide `json:"baseline"`
	New      compareSide `json:"new"`
	*simulate.Comparison
}

type compareSide struct {
	Dir string `json:"dir"`
	// Ref and Commit are -baseline-ref's: the ref given and the commit
	// it named.
	Ref     string            `json:"ref,omitempty"`
	Commit  string            `json:"commit,omitempty"`
	Summary *simulate.Summary `json:"summary"`
}

// runSimulateCompare replays the events of eventsPath twice, each time
// in a sandbox of its own, through the baseline rules and through those
// of dir, and prints how they differ.
func runSimulateCompare(ctx context.Context, s *stdio, dir, eventsPath string, vf varFlags, opt simulate.Options, cf compareFlags, asJSON, strict bool) int {
	base := compareSide{Dir: cf.baseline, Ref: cf.ref}
	baseDir := cf.baseline
	if cf.ref != "" {
		tmp, commit, err := exportAtRef(ctx, dir, cf.ref)
		if tmp != "" {
			defer os.RemoveAll(tmp)
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth simulate: -baseline-ref: %v\n", err)
			return 1
		}
		base.Dir, base.Commit, baseDir = dir, commit, tmp
	}
	baseCfg, ok := loadConfigAs(s, baseDir, vf, asJSON)
	if !ok {
		return 1
	}
	cfg, ok := loadConfigAs(s, dir, vf, asJSON)
	if !ok {
		return 1
	}
	// Standard input is read once: kept in a file, both replays read it.
	path := eventsPath
	if eventsPath == "-" {
		f, err := os.CreateTemp("", "hearth-events-*.jsonl")
		if err != nil {
			fmt.Fprintf(s.err, "hearth simulate: %v\n", err)
			return 1
		}
		defer os.Remove(f.Name())
		_, err = io.Copy(f, s.in)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth simulate: reading standard input: %v\n", err)
			return 1
		}
		path = f.Name()
	}
	log, logCap := sandboxLogger(s, asJSON)
	bad := &skips{s: s, cmd: "simulate", asJSON: asJSON}
	// replay runs one side in a fresh sandbox (Options.Store nil): the
	// two share nothing but the events file.
	replay := func(cfg *config.Config, who string, report bool) (simulate.Side, bool) {
		side := simulate.Side{Config: cfg, Points: simulate.PointsByRule{}}
		in, closeIn, ok := openEvents(s, "simulate", path)
		if !ok {
			return side, false
		}
		defer closeIn()
		o := opt
		o.Log = log.With("rules", who)
		o.Outcome = func(out state.Outcome) error { side.Points.Observe(out); return nil }
		// The lines of the file are the same for both: reported once,
		// with the new rules' replay (whose declared types may refuse
		// other lines: the summaries count each one's).
		o.BadEvent = func(*events.Error) {}
		if report {
			o.BadEvent = func(e *events.Error) { bad.skip(e.In(eventsName(eventsPath))) }
		}
		lines := 0
		o.Loading = nil
		if o.Sort {
			o.Loading = sortProgress(s, in, &lines)
		}
		o.Progress = eventsProgress(s, in, "replayed %d events through the "+who+" rules", &lines)
		sum, err := simulate.Run(ctx, cfg, in, o)
		if s.errTTY {
			fmt.Fprint(s.err, "\r\033[K")
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth simulate: %s rules: %v\n", who, err)
			return side, false
		}
		side.Summary = sum
		return side, true
	}
	old, ok := replay(baseCfg, "baseline", false)
	if !ok {
		return 1
	}
	next, ok := replay(cfg, "new", true)
	logCap.report(s.err, "simulate")
	if !ok {
		return 1
	}
	bad.done()
	listCap := 0
	if cf.members {
		listCap = compareTextCap
		if asJSON {
			listCap = compareJSONCap
		}
	}
	cmp, err := simulate.Compare(ctx, old, next, listCap)
	if err != nil {
		fmt.Fprintf(s.err, "hearth simulate: comparing the replays: %v\n", err)
		return 1
	}
	code := 0
	if strict && strictFails(s, "simulate", bad.n, next.Summary.OutOfOrder) {
		code = 1
	}
	if asJSON {
		base.Summary = old.Summary
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(compareJSON{Baseline: base, New: compareSide{Dir: dir, Summary: next.Summary}, Comparison: cmp})
	} else {
		baseName := base.Dir
		if cf.ref != "" {
			baseName = fmt.Sprintf("%s at %s (%s)", dir, cf.ref, shortCommit(base.Commit))
		}
		writeComparison(s.out, cmp, old, next, baseName, dir, s.color(s.outTTY))
		printOutOfOrder(s.out, eventsName(eventsPath), next.Summary.OutOfOrder, false)
	}
	if code == 0 && cf.detailed && cmp.Differs {
		code = 2
	}
	return code
}

func shortCommit(c string) string { return c[:min(len(c), 12)] }

// writeComparison prints the figures the two replays differ on, section
// by section as simulate's summary has them, and the members whose end
// state differs. With color (a terminal) gains are green and losses
// red, as in hearth plan. The new rules' warnings about the events are
// printed (the baseline's are of the same events), and tiers members
// flap on more with the new rules are told of as simulate tells of them.
func writeComparison(w io.Writer, c *simulate.Comparison, old, next simulate.Side, baseName, newName string, color bool) {
	sum := next.Summary
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + "\x1b[0m"
	}
	signed := func(n int) string {
		switch {
		case n > 0:
			return paint("\x1b[32m", "+"+strconv.Itoa(n))
		case n < 0:
			return paint("\x1b[31m", strconv.Itoa(n))
		}
		return "0"
	}
	span := ""
	if !sum.From.IsZero() {
		span = " from " + windowEdge(sum.From.Time, sum.FromGiven, false)
	}
	if !sum.To.IsZero() {
		span += " to " + windowEdge(sum.To.Time, sum.ToGiven, true)
	}
	if span != "" {
		span += " UTC"
	}
	fmt.Fprintf(w, "Replayed %s%s for %s twice, each time in a sandbox of its own, through the rules of:\n  baseline  %s\n  new       %s\n",
		plural(sum.Events, "event", "events"), span, plural(c.Members, "member", "members"), baseName, newName)
	switch {
	case sum.Warmup > 0:
		fmt.Fprintf(w, "Warm-up: %s before %s built the members' state in both replays first and count nowhere below; members' end states are at the end of the window.\n",
			plural(sum.Warmup, "event", "events"), windowEdge(sum.From.Time, true, false))
	case sum.Cold:
		fmt.Fprintf(w, "Cold start (-cold): events before %s were skipped in both replays.\n", windowEdge(sum.From.Time, true, false))
	}
	printUnknownTypes(w, sum.UnknownTypes, sum.UnknownTypeSuggestions)
	printAttrTypos(w, sum.AttrTypos)
	printBadTimezones(w, sum.BadTimezones)
	if !c.Differs {
		fmt.Fprintln(w, "\nNo difference: the new rules do with these events what the baseline rules do.")
		return
	}
	tw := textwidth.NewTabWriter(w, 2, 0)
	table := func(title string, ds []simulate.Delta, label func(simulate.Delta) string) {
		header := false
		for _, d := range ds {
			if d.Change == 0 {
				continue
			}
			if !header {
				fmt.Fprintf(tw, "\n%s\tbaseline\tnew\tchange\n", title)
				header = true
			}
			name := label(d)
			switch d.Only {
			case "baseline":
				name += " (removed)"
			case "new":
				name += " (new)"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", name, d.Baseline, d.New, signed(d.Change))
		}
	}
	plain := func(d simulate.Delta) string { return d.Name }
	replayNames := map[string]string{"events": "events applied", "rejected": "lines rejected", "rule_errors": "rule evaluations failed", "send_errors": "campaign sends not made"}
	table("Replay", c.Replay, func(d simulate.Delta) string { return replayNames[d.Name] })
	table("Incentives (grants)", c.Incentives, plain)
	// The totals as the summary and hearth report name them.
	totals := []simulate.Delta{c.PointsGranted, c.PointsDeducted, c.PointsExpired, c.Points}
	for i, name := range []string{"granted (positive grants)", "deducted (negative grants)", "expired", "net (granted - deducted - expired)"} {
		totals[i].Name = name
	}
	table("Points", append(append([]simulate.Delta{}, c.PointsByRule...), totals...), plain)
	table("Badges (holders)", c.Badges, func(d simulate.Delta) string { return badgeLabel(d.Name, d.Title) })
	table("Tiers (members)", c.Tiers, func(d simulate.Delta) string { return tierName(d.Name) })
	if len(c.TierMoves) > 0 {
		fmt.Fprintf(tw, "\nTier moves (members ending on another tier)\tmembers\n")
		for _, m := range c.TierMoves {
			ids := ""
			if len(m.Members) > 0 {
				ids = "\t" + memberList("", m.Members, m.Count)
			}
			fmt.Fprintf(tw, "  %s -> %s\t%d%s\n", tierName(m.From), tierName(m.To), m.Count, ids)
		}
	}
	table("Segments (members)", c.Segments, plain)
	table("Campaign messages queued", c.CampaignSends, plain)
	writeCampaignOutcomes(tw, c.CampaignOutcomes, signed, paint)
	table("Sends that would happen", c.Sends, plain)
	_ = tw.Flush()
	defer func() {
		worse := map[string]*simulate.Flapping{}
		for name, f := range sum.Flapping {
			if b := old.Summary.Flapping[name]; b == nil || f.Members > b.Members {
				worse[name] = f
			}
		}
		printFlapping(w, next.Config, worse, false)
	}()
	if c.MembersChanged == 0 {
		return
	}
	fmt.Fprintf(w, "\nMembers whose end state (tier, points, badges held, segments) differs: %d of %d\n", c.MembersChanged, c.Members)
	if c.OnlyBaseline > 0 {
		fmt.Fprintf(w, "  %s in the baseline replay only\n", plural(c.OnlyBaseline, "member", "members"))
	}
	if c.OnlyNew > 0 {
		fmt.Fprintf(w, "  %s in the new rules' replay only\n", plural(c.OnlyNew, "member", "members"))
	}
	if n := tierMoved(c.TierMoves); n > 0 {
		fmt.Fprintf(w, "  tier: %d (the tier moves above)\n", n)
	}
	for _, sh := range c.Shifts {
		what := sh.Kind
		switch sh.Kind {
		case "points":
			what = "points (more, fewer)"
		case "badge":
			what = "badge " + sh.Name
			for _, b := range c.Badges {
				if b.Name == sh.Name {
					what = "badge " + badgeLabel(b.Name, b.Title)
				}
			}
		default:
			what += " " + sh.Name
		}
		count := func(sign string, n int) string {
			if n == 0 {
				return sign + "0"
			}
			if sign == "+" {
				return paint("\x1b[32m", sign+strconv.Itoa(n))
			}
			return paint("\x1b[31m", sign+strconv.Itoa(n))
		}
		fmt.Fprintf(w, "  %s: %s %s", what, count("+", sh.Enter), count("-", sh.Leave))
		var parts []string
		if len(sh.EnterMembers) > 0 {
			parts = append(parts, memberList("+", sh.EnterMembers, sh.Enter))
		}
		if len(sh.LeaveMembers) > 0 {
			parts = append(parts, memberList("-", sh.LeaveMembers, sh.Leave))
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(parts, "; "))
		}
		fmt.Fprintln(w)
	}
	if c.ListCap == 0 {
		fmt.Fprintln(w, "  (-members names them)")
	}
}

// campaignFigureName is the text's name of the rows of a campaign's
// runs (simulate.CampaignOutcome.Runs).
func campaignFigureName(name string) string {
	switch name {
	case "goal_during_run":
		return "goal (reached during the run)"
	case "converted":
		return "converted (after the last step, conversion_window)"
	case "exited":
		return "exited (stop_when)"
	}
	return name
}

// writeCampaignOutcomes prints, for each campaign whose runs ended
// otherwise with the new rules, the figures that changed: runs by how
// they ended, the goal rate (of every run, running ones not converted
// yet) and each A/B arm's. paint
// colors a rate's change as signed colors a count's.
func writeCampaignOutcomes(tw *textwidth.TabWriter, cos []simulate.CampaignOutcome, signed func(int) string, paint func(code, s string) string) {
	rate := func(r *float64) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100**r)
	}
	points := func(r simulate.RateDelta) string {
		switch {
		case r.Baseline == nil || r.New == nil:
			return "–"
		case r.Change > 0:
			return paint("\x1b[32m", fmt.Sprintf("%+.1f points", 100*r.Change))
		case r.Change < 0:
			return paint("\x1b[31m", fmt.Sprintf("%+.1f points", 100*r.Change))
		}
		return "0 points"
	}
	header := false
	for _, co := range cos {
		suffix := ""
		switch co.Only {
		case "baseline":
			suffix = " (removed)"
		case "new":
			suffix = " (new)"
		}
		row := func(label, b, n, change string) {
			if !header {
				fmt.Fprintf(tw, "\nCampaign outcomes (runs)\tbaseline\tnew\tchange\n")
				header = true
			}
			fmt.Fprintf(tw, "  %s%s: %s\t%s\t%s\t%s\n", co.Name, suffix, label, b, n, change)
		}
		for _, d := range co.Runs {
			if d.Change != 0 {
				row(campaignFigureName(d.Name), strconv.Itoa(d.Baseline), strconv.Itoa(d.New), signed(d.Change))
			}
		}
		if r := co.GoalRate; r.Differs() {
			row("goal rate (of runs)", rate(r.Baseline), rate(r.New), points(*r))
		}
		for _, a := range co.Arms {
			if a.Differs() {
				row("variant "+a.Variant+" goal rate", rate(a.Baseline), rate(a.New), points(a.RateDelta))
			}
		}
	}
}

// memberList is "u1, u2 and 3 more", of the ids listed of n members,
// after lead; "" for none listed.
func memberList(lead string, ids []string, n int) string {
	if len(ids) == 0 {
		return ""
	}
	s := lead + strings.Join(ids, ", ")
	if more := n - len(ids); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// tierMoved counts the members of the moves.
func tierMoved(moves []simulate.TierMove) int {
	n := 0
	for _, m := range moves {
		n += m.Count
	}
	return n
}

func tierName(name string) string {
	if name == "" {
		return "(no tier)"
	}
	return name
}

// exportAtRef writes the files of dir as they are at the git ref into a
// new temporary directory (out, for the caller to remove, even with an
// error) and gives the commit ref names. git archive reads the
// repository's objects: the working tree is left as it is, and a ref
// cannot run anything.
func exportAtRef(ctx context.Context, dir, ref string) (out, commit string, err error) {
	git := func(stdout io.Writer, args ...string) error {
		return runGit(ctx, dir, stdout, args...)
	}
	var b bytes.Buffer
	if err := git(&b, "rev-parse", "--show-prefix", "--show-toplevel"); err != nil {
		return "", "", fmt.Errorf("%s is not in a git repository (%v): -baseline-ref reads the rules from git; give the baseline's directory with -baseline BASEDIR instead", dir, err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	prefix, top := "", lines[len(lines)-1]
	if len(lines) == 2 { // at the top, the prefix is an empty line
		prefix = strings.TrimSuffix(lines[0], "/")
	}
	b.Reset()
	// --verify with a commit peel: a ref that names no commit is one
	// error, not whatever archive makes of it.
	if err := git(&b, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return "", "", fmt.Errorf("%q names no commit of the repository holding %s", ref, dir)
	}
	commit = strings.TrimSpace(b.String())
	if prefix != "" {
		// A directory the commit does not have (new, not committed yet,
		// or ignored): say so, rather than git archive's "fatal: not a
		// valid object name".
		if err := git(io.Discard, "cat-file", "-e", commit+":"+prefix); err != nil {
			return "", commit, fmt.Errorf("%s is not in the repository at %s (commit %.12s): git does not track it there (a directory not committed yet, or ignored). Commit it, pick a ref that has it, or give the baseline's directory with -baseline BASEDIR", dir, ref, commit)
		}
	}
	out, err = os.MkdirTemp("", "hearth-baseline-")
	if err != nil {
		return "", "", err
	}
	b.Reset()
	// From the top: in a subdirectory, archive would look for that
	// subdirectory inside the tree it is given.
	if err := runGit(ctx, top, &b, "archive", "--format=tar", commit+":"+prefix); err != nil {
		return out, commit, fmt.Errorf("%s at %s: %w", dir, ref, err)
	}
	if err := untar(&b, out); err != nil {
		return out, commit, fmt.Errorf("%s at %s: %w", dir, ref, err)
	}
	return out, commit, nil
}

// runGit runs git in dir, its output to stdout; an error carries what
// git said.
func runGit(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("git %s: %s", args[0], msg)
		}
		return fmt.Errorf("git %s: %w", args[0], err)
	}
	return nil
}

// untar writes the directories and regular files of a tar stream under
// dir. Links and names that would leave dir are skipped: git archive
// writes none of the latter, and the rules need neither.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
