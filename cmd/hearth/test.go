package main

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
	"github.com/hearth-community/hearth/engine/runtime"
)

const testUsage = `Usage: hearth test [options] [DIR]

Runs the rule unit tests in DIR's *.hearthtest.hcl files against the
configuration in DIR. A test lists timed events and the state members must
be in afterwards; time-based rules run up to each expectation's time.

  variables = { threshold = 10 }  # optional, at the file's top: see below
  test "ten points promote to regular" {
    start = "2026-01-01T00:00:00Z"  # optional: what offsets count from
                                    # (a date such as "2026-01-01" too)
    member "ann" {              # optional: set for ann
      identities = { email = "ann@example.org" }  # with each of her events,
                                       # as member.identities: her address
      name     = "Ann"                 # with each of her events (member.name)
      variants = { onboarding = "a" }  # the A/B variant a campaign's split
                                       # gives her, instead of the hash's;
                                       # "rsvp[#43]" = "b": her run with
                                       # that key (a campaign with run_key)
    }
    event "message.posted" {
      member   = "ann"
      at       = "1h"           # offset from start ("0": start), an RFC 3339
                                # time, or a date (its start in UTC)
      id       = "post-1"       # optional; default test-N
      attrs    = { channel = "help" }  # of the types the event type declares
      repeat   = 10             # optional: ten such events,
      every    = "1m"           # one minute apart
      received = "3d"           # optional: when hearth gets it, if later
                                # (a backdated event): see below
    }
    expect "ann" {
      at              = "4d"    # optional: look at the state then
      points          = 10
      tier            = "regular"  # "" for none
      badges          = ["first_post"]  # every badge held, a repeat one per award
      in_segments     = ["active"]
      not_in_segments = ["lurkers"]
      attrs           = { email = "opted_out" }  # member.attrs
      strikes         = 2       # live moderation strikes
      actions         = ["warn", "mute 1h"]  # moderation decisions, in order
      unsubscribed    = ["email.news"]  # email platforms unsubscribed from
      bounced         = ["email.news"]  # email platforms her address bounced
                                        # at (email.bounced; needs an address)
      campaign "onboarding" {
        key        = "#43"        # which run, in a campaign with run_key
        status     = "active"     # active, done or none (never entered)
        step       = "nudge"      # the step an active run is at
        ended      = "goal"       # why the run ended: goal, exited, finished,
                                  # left, stopped
        variant    = "a"          # the A/B variant chosen (or pinned)
        sent       = ["welcome"]  # steps whose messages were sent, in order
        skipped    = ["nudge"]    # steps whose sends were not made: at the
                                  # step, or by the outbox at delivery
        runs       = 1            # times entered
        held       = "quiet_hours"  # what holds the step's send back now:
                                    # quiet_hours, frequency_cap or none
                                    # (or, queued, quiet hours at delivery)
        held_until = "1d8h"       # until when, written as at is
        message "welcome" {       # the step's latest message that went out
          text       = "Welcome, Ann!"  # its whole text, exactly
          contains   = ["Ann"]    # pieces its text holds
          subject    = "Hello"    # an email's subject
          at         = "1h"       # when it went out, written as at is
          not_before = "1h"       # it went out then or later
        }
      }
    }
    expect_alert "negative_spike" {
      fired      = 1            # times the alert fired over all the events
      suppressed = 0            # times its cool-down held it back
    }
  }

An event with received is one hearth gets after it happened (posted
late, or replayed): it is applied at its time, as hearth run applies a
late event, once the test's clock has moved to received, and the
messages it leads to are delivered from received on, as hearth run's
outbox delivers them late. Those older than their campaign's
expire_after (7 days unless set) are skipped as expired (in skipped);
one that would go out inside its campaign's quiet hours waits for their
end (held = "quiet_hours", held_until), and is not in sent until then.

Events carry the member's id; a member block's identities and name go
with each of that member's events, as hearth run's events carry them
("member": {"id", "name", "identities"}). An email goes to the member's
email identity, and an email.bounced records a bounce of it: of a member
without one it records nothing, and the test file has a warning at it.

A campaign's split chooses each member's variant by a stable hash of the
member id and the campaign; a member block's variants pins it instead, so
one test can run each arm with the members it likes. The run takes the
pinned variant as if the split had chosen it: recorded, and on to that
variant's goto. The campaign must have a split, and the variant be one of
its variants. In a campaign with run_key, "rsvp[#43]" pins the member's
run with key #43 alone, over a pin of the campaign (rsvp), which every
other run takes. hearth run, simulate and replay never pin.

Only the attributes given are checked. 'hearth explain test' describes
every block and attribute. Event types, their attributes' types, and the
tiers, badges, segments, campaigns, variants and alerts named must exist
in the configuration; every problem is reported before any test runs.
An expect on a member no event of the test is about is an error (a
typo'd id would check an empty member and pass), with a suggestion when
a member of the events is close, unless an event names them among its
attributes (a referrer a grant goes to). An event dated before the
test's start, and an expect whose at is before the start or before its
member's first event is received, are warnings.

A failure prints, in the order the expectations are written, what was
expected, what happened, notes (the member has no events by then, or an
event dated before the check is received after it), the rules that
decided, and, under "evaluated then:", each member rule among them (a
tier's, segment's, badge's revoke_when, or a campaign run's) run for the
member at the time looked at, as 'hearth member why' runs it: its result
and the values it read (none for a member with no state then):

  segment.quiet.when = false: count('message.posted', '7d') = 7

A rule of parts joined by && or || is split into them, each run alone
and listed under it with its value and what it read; → marks the parts
that alone gave the rule its value (the false ones of a false &&, the
true ones of a true ||), and a bracketed group of the other operator is
split under its line:

  tier.regular.when = false, all of:
    → member.points >= 1000      false (member.points = 640)
      active_days('30d') >= 10   true (active_days('30d') = 12)

A rule written on several lines (a heredoc) is shown under its file and
line, indented as written; files are named as validate names them, from
where the command runs. A tier's grace period, window or demote_after
under way says since and until when. A campaign's failure ends its rules
with the path the member's run took, as -outcomes lines give it:

  path: entered at 10h (run 1), welcome queued at 10h, variant a at 10h,
  ended finished at 2d10h

The failures of one campaign block share those lines: the first prints
them, and the others say "as for line N above". The time looked at is
an offset from the test's start, with the time it is when at is written
as a time or a date, or is before the start.

Each test prints a PASS or FAIL line with its name and file. -run REGEXP
runs only the tests whose name matches: the test block's label, as those
lines print it, matched anywhere in it (anchor with ^ and $ for one test;
a / is not special). Every test file is still checked, and only the
tests selected run. A -run that selects no test is a failure (exit 1)
that lists the names, where go test would pass: a CI job whose pattern
no longer matches a renamed test would otherwise test nothing. -v prints
a RUN line as each test starts, and each test's time, and the whole
run's, on its PASS or FAIL line and the summary.

Sends are delivered as hearth run's outbox delivers them: when queued,
after every event of that instant. An email queued the instant its member
unsubscribes (unless transactional), a message the instant they leave, or
a win-back's the instant they come back, is skipped then: it is not in
sent, and skipped says when and why.

With -json, the result is one JSON object: format_version ("1.4"), valid,
error_count, warning_count and diagnostics as hearth validate -json prints
them (a -run that selects no test is an error there, "No test matches
-run", of no file); tests (those -run selects), each with name, file,
passed and failures (location {file, line, column}: where the
expectation is written; subject; at: the time looked at, RFC 3339;
expected and got as the text shows them, and expected_value and
got_value as JSON values: a number, a string, a list, true or false for
in a segment or not, null for none; decided_by; notes; evaluated: the
rules run, each with rule, source, at (file:line, the file's base name,
as member why -json has it), location {file, line} (the file named as
the failure's), result, error, values [{name, value}], and op and
clauses [{source, result, error, decided, values, op, clauses}] as in
hearth member why -json); and summary {tests, passed, failed}. -v
changes nothing in it.

A test file may pin variables for its tests, at its top:

  variables = { threshold = 50 }

The file's values win over -var, -var-file and HEARTH_VAR_ for its own
tests (a note on stderr names each it overrides); the other files' tests
keep those. Values are constants of the variable's type and must pass
its validation blocks.

Tests reach no platform, so sensitive variables (tokens, passwords) may
go unset: CI runs them without production secrets.

Exit status: 0 all tests pass (or there are none), 1 a test failed, -run
selected no test, or the configuration or a test file is invalid.

Examples:
  hearth test examples/discourse-trust-levels
  hearth test -v -run '^level 3: ' examples/discourse-trust-levels
  hearth test -json . | jq '.tests[] | select(.passed | not)'
`

func runTest(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "test", testUsage)
	s.registerNoColor(fs)
	asJSON := fs.Bool("json", false, "Print the results as JSON (format_version 1.4; see above).")
	verbose := fs.Bool("v", false, "Print each test as it starts and as it ends, with how long it took.")
	var match *regexp.Regexp
	fs.Func("run", "Run only the tests whose name matches `REGEXP` (see above).", func(v string) error {
		re, err := regexp.Compile(v)
		match = re
		return err
	})
	// Tests reach no platform: CI runs them without production tokens.
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "test")
	if !ok {
		return 1
	}
	opts := vf.options(s)
	cfg, src, diags := config.Load(dir, opts)
	var results []hearthtest.Result
	var files []string
	var opt hearthtest.RunOptions
	if match != nil {
		opt.Match = match.MatchString
	}
	var out *testPrinter
	if !*asJSON {
		out = &testPrinter{s: s, dir: dir, color: s.color(s.outTTY), verbose: *verbose}
	}
	noMatch := false
	var suite *hearthtest.Suite
	if !diags.HasErrors() {
		var err error
		if files, err = hearthtest.Files(dir); err != nil {
			fmt.Fprintf(s.err, "hearth test: %v\n", err)
			return 1
		}
		var d hcl.Diagnostics
		suite, d = hearthtest.Load(cfg, files, hearthtest.Reloader(dir, opts), relBase(dir))
		maps.Copy(src, suite.Sources)
		diags = append(diags, d...)
		if !*asJSON {
			notePinned(s, cfg, suite, dir)
		}
		// Every test file is checked, selected or not; only the
		// selected tests run.
		noMatch = match != nil && suite.Selected(opt) == 0
		if !diags.HasErrors() && !noMatch {
			if out != nil && *verbose {
				// Told as they happen, as go test -v does: a slow test
				// shows which it is.
				opt.Started, opt.Done = out.started, out.result
			}
			// No test runs while one is wrong: a result beside an
			// error would be read as meaning something.
			begin := time.Now()
			results, d = suite.Run(ctx, cfg, opt)
			diags = append(diags, d...)
			if out != nil {
				out.took = time.Since(begin)
			}
		}
	}
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		all := diags
		if noMatch && !diags.HasErrors() {
			// Why the exit status is 1, in the document a CI job reads.
			all = append(slices.Clip(diags), noMatchDiag(match, dir, suite))
		}
		doc := hearthtest.ToJSON(src, all, results, relBase(dir))
		doc.JSONValidation.Redact(cfg.Redactor())
		_ = enc.Encode(doc)
	} else {
		if len(diags) > 0 {
			_ = cfg.Redactor().WriteDiagnostics(s.err, src, diags, relBase(dir), s.color(s.errTTY))
			writeErrorCount(s.err, diags, dir)
		}
		switch {
		case diags.HasErrors():
		case len(files) == 0:
			// As go test and terraform test: no tests is not a failure
			// (unless -run asked for some, below).
			fmt.Fprintf(s.out, "No *%s files in %s: no tests to run.\n", config.TestFileSuffix, dir)
		case !noMatch:
			out.all(results, failed)
		}
	}
	if noMatch && !diags.HasErrors() {
		// go test passes a -run that matches nothing; a CI job whose
		// pattern no longer matches a renamed test would then pass
		// without testing anything. -json says so in its diagnostics.
		if !*asJSON {
			writeNoMatch(s, match, dir, suite)
		}
		return 1
	}
	if failed > 0 || diags.HasErrors() {
		return 1
	}
	return 0
}

// notePinned says, once a file, which values given on the command line
// (or by a var file or the environment) a test file's variables
// override for its tests, so that a -var seen to change nothing there is
// explained.
func notePinned(s *stdio, cfg *config.Config, suite *hearthtest.Suite, dir string) {
	from := map[string]string{}
	for _, v := range cfg.Variables {
		if v.From != "" {
			from[v.Name] = v.From
		}
	}
	seen := map[string]bool{}
	for _, t := range suite.Tests {
		if seen[t.File] {
			continue
		}
		seen[t.File] = true
		var over []string
		for _, p := range t.Pinned {
			if f, ok := from[p.Name]; ok {
				over = append(over, p.Name+" (over "+f+")")
			}
		}
		if len(over) > 0 {
			fmt.Fprintf(s.err, "Note: %s sets %s for its tests.\n", config.RelPath(t.File, relBase(dir)), strings.Join(over, ", "))
		}
	}
}

// writeNoMatch says that -run selected no test, and lists the names it
// could have matched, as the PASS and FAIL lines print them.
func writeNoMatch(s *stdio, match *regexp.Regexp, dir string, suite *hearthtest.Suite) {
	fmt.Fprintf(s.err, "hearth test: -run %q matches no test in %s, so none ran.\n", match.String(), dir)
	if n := len(suite.Tests); n > 0 {
		fmt.Fprintf(s.err, "Its %s:\n", plural(n, "test is", "tests are"))
		for _, t := range suite.Tests {
			fmt.Fprintf(s.err, "  %s\n", t.Name)
		}
	}
}

// noMatchDiag is writeNoMatch as a diagnostic, for -json: an error of no
// file, with the names of the tests.
func noMatchDiag(match *regexp.Regexp, dir string, suite *hearthtest.Suite) *hcl.Diagnostic {
	detail := fmt.Sprintf("-run %q matches no test in %s, so none ran.", match.String(), dir)
	if len(suite.Tests) > 0 {
		var names []string
		for _, t := range suite.Tests {
			names = append(names, strconv.Quote(t.Name))
		}
		detail += " Its " + plural(len(names), "test is", "tests are") + " " + strings.Join(names, ", ") + "."
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No test matches -run", Detail: detail}
}

// testPrinter writes hearth test's results as text: every test at the
// end, or each as it starts and ends with -v.
type testPrinter struct {
	s       *stdio
	dir     string
	color   bool
	verbose bool
	took    time.Duration // the whole run, for -v's summary
}

func (p *testPrinter) paint(code, text string) string {
	if !p.color {
		return text
	}
	return code + text + "\x1b[0m"
}

// file names a test file as validate does, from where the command ran,
// so that an editor or a CI annotation opens the right one.
func (p *testPrinter) file(path string) string {
	return config.RelPath(path, relBase(p.dir))
}

func (p *testPrinter) started(t *hearthtest.Test) {
	fmt.Fprintf(p.s.out, "RUN   %s (%s)\n", t.Name, p.file(t.File))
}

// all writes the results not written as they happened, and the summary.
func (p *testPrinter) all(results []hearthtest.Result, failed int) {
	if !p.verbose {
		for _, r := range results {
			p.result(r)
		}
	}
	summary := fmt.Sprintf("%s, %d passed, %d failed", plural(len(results), "test", "tests"), len(results)-failed, failed)
	if p.verbose {
		summary += " in " + tookText(p.took)
	}
	fmt.Fprintln(p.s.out, summary)
}

// result writes a test's outcome and, for a failure, each expectation not
// met: where, expected against got, the rules that decided it, and what
// those rules gave and read then.
func (p *testPrinter) result(r hearthtest.Result) {
	took := ""
	if p.verbose {
		took = " in " + tookText(r.Duration)
	}
	if r.Passed() {
		fmt.Fprintf(p.s.out, "%s  %s (%s)%s\n", p.paint("\x1b[32m", "PASS"), r.Name, p.file(r.File), took)
		return
	}
	fmt.Fprintf(p.s.out, "%s  %s (%s)%s\n", p.paint("\x1b[31m", "FAIL"), r.Name, p.file(r.File), took)
	for i, f := range r.Failures {
		subject := f.Subject
		if f.When != "" {
			subject += ", at " + f.When
		}
		fmt.Fprintf(p.s.out, "      %s:%d:%d: %s\n        expected: %s\n        got:      %s\n", p.file(f.Where.Filename), f.Where.Start.Line, f.Where.Start.Column, subject, f.Expected, f.Got)
		for _, n := range f.Notes {
			fmt.Fprintf(p.s.out, "        note:     %s\n", n)
		}
		if i > 0 && sameExplanation(r.Failures[i-1], f) {
			// The failures of one campaign block share their rules:
			// said once, at the first.
			prev := r.Failures[i-1].Where
			fmt.Fprintf(p.s.out, "        decided by: as for line %d above\n", prev.Start.Line)
			continue
		}
		if len(f.DecidedBy) > 0 {
			// A rule written on several lines comes under its header,
			// each line indented as in the file (hearthtest's where).
			fmt.Fprintln(p.s.out, "        decided by:")
			for _, d := range f.DecidedBy {
				for _, line := range strings.Split(d, "\n") {
					fmt.Fprintf(p.s.out, "          %s\n", line)
				}
			}
		}
		if len(f.Evaluated) > 0 {
			fmt.Fprintln(p.s.out, "        evaluated then:")
			for _, e := range f.Evaluated {
				fmt.Fprintf(p.s.out, "          %s\n", evaluatedLine(e))
				for _, line := range clauseLines(e.Clauses) {
					fmt.Fprintf(p.s.out, "            %s\n", p.markClause(line))
				}
			}
		}
	}
}

// sameExplanation reports whether b, printed after a, is explained as a
// is: a failure of the same campaign block, at the same time, with the
// same rules.
func sameExplanation(a, b hearthtest.Failure) bool {
	return b.Block != (hcl.Range{}) && a.Block == b.Block && a.At.Equal(b.At) && slices.Equal(a.DecidedBy, b.DecidedBy) && len(a.Evaluated) == len(b.Evaluated)
}

// markClause paints a clause line that decided its rule, in color.
func (p *testPrinter) markClause(line string) string {
	if strings.HasPrefix(strings.TrimLeft(line, " "), clauseMark) {
		return p.paint("\x1b[1m", line)
	}
	return line
}

// evaluatedLine is a rule run for the member, as member why shows it but
// on one line: "segment.quiet.when = false: count('message.posted',
// '7d') = 7". A rule split into its parts says how they
// join, and leaves what it read to the parts' lines under it:
// "tier.regular.when = false, all of:".
func evaluatedLine(e runtime.Explanation) string {
	line := e.Rule + " = " + inputText(e.Result)
	if len(e.EventReads) > 0 {
		// An incentive's rule reading the event, which the state does
		// not keep: what it read of the member still shows.
		line = e.Rule + " (not run: no value for " + strings.Join(e.EventReads, ", ") + ", since the state keeps no event once it settles)"
	}
	if len(e.Clauses) > 0 {
		return line + ", " + opWords(e.Op) + ":"
	}
	if e.Error == runtime.RunEventGone {
		line = e.Rule + " (not run: " + e.Error + ")"
	} else if e.Error != "" {
		msg, _, _ := strings.Cut(e.Error, "\n") // expr's snippet lines
		if i := strings.Index(msg, "\": "); strings.HasPrefix(msg, "rule \"") && i > 0 {
			msg = msg[i+3:] // rule "SOURCE": the rule is named already
		}
		line = e.Rule + ": error: " + msg
	}
	var inputs []string
	for _, v := range e.Values {
		inputs = append(inputs, v.Name+" = "+inputText(v.Value))
	}
	if len(inputs) > 0 {
		line += ": " + strings.Join(inputs, ", ")
	}
	return line
}

// tookText writes a duration as go test does: "0.01s".
func tookText(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}
