package main

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
)

const testUsage = `Usage: hearth test [options] [DIR]

Runs the rule unit tests in DIR's *.hearthtest.hcl files against the
configuration in DIR. A test lists timed events and the state members must
be in afterwards; time-based rules run up to each expectation's time.

  test "ten points promote to regular" {
    start = "2026-01-01T00:00:00Z"  # optional: what offsets count from
    member "ann" {              # optional: set for ann in place of the rules
      variants = { onboarding = "a" }  # the A/B variant a campaign's split
                                       # gives her, instead of the hash's
    }
    event "message.posted" {
      member = "ann"
      at     = "1h"             # offset from start, or an RFC 3339 time
      id     = "post-1"         # optional; default test-N
      attrs  = { channel = "help" }  # of the types the event type declares
      repeat = 10               # optional: ten such events,
      every  = "1m"             # one minute apart
    }
    expect "ann" {
      at              = "2d"    # optional: look at the state then
      points          = 10
      tier            = "regular"  # "" for none
      badges          = ["first_post"]  # every badge held, a repeat one per award
      in_segments     = ["active"]
      not_in_segments = ["lurkers"]
      attrs           = { email = "opted_out" }  # member.attrs
      strikes         = 2       # live moderation strikes
      actions         = ["warn", "mute 1h"]  # moderation decisions, in order
      unsubscribed    = ["email.news"]  # email platforms unsubscribed from
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
        held_until = "1d8h"       # until when, written as at is
      }
    }
    expect_alert "negative_spike" {
      fired      = 1            # times the alert fired over all the events
      suppressed = 0            # times its cool-down held it back
    }
  }

A campaign's split chooses each member's variant by a stable hash of the
member id and the campaign; a member block's variants pins it instead, so
one test can run each arm with the members it likes. The run takes the
pinned variant as if the split had chosen it: recorded, and on to that
variant's goto. The campaign must have a split, and the variant be one of
its variants. hearth run, simulate and replay never pin.

Only the attributes given are checked. 'hearth explain test' describes
every block and attribute. Event types, their attributes' types, and the
tiers, badges, segments, campaigns, variants and alerts named must exist
in the configuration; every problem is reported before any test runs. A
failure prints what was expected, what happened, and the rules that
decided.

Sends are delivered as hearth run's outbox delivers them: when queued,
after every event of that instant. An email queued the instant its member
unsubscribes (unless transactional), a message the instant they leave, or
a win-back's the instant they come back, is skipped then: it is not in
sent, and skipped says when and why.

With -json, the result is one JSON object: format_version ("1.0"), valid,
error_count, warning_count and diagnostics as hearth validate -json prints
them; tests, each with name, file, passed and failures (location {file,
line, column}, subject, at (the time looked at, RFC 3339), expected, got,
decided_by); and summary {tests, passed, failed}.

Tests reach no platform, so sensitive variables (tokens, passwords) may
go unset: CI runs them without production secrets.

Exit status: 0 all tests pass (or there are none), 1 a test failed or the
configuration or a test file is invalid.

Examples:
  hearth test examples/discourse-trust-levels
  hearth test -json . | jq '.tests[] | select(.passed | not)'
`

func runTest(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "test", testUsage)
	s.registerNoColor(fs)
	asJSON := fs.Bool("json", false, "Print the results as JSON (format_version 1.0; see above).")
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
	cfg, src, diags := config.Load(dir, vf.options(s))
	var results []hearthtest.Result
	var files []string
	if !diags.HasErrors() {
		var err error
		if files, err = hearthtest.Files(dir); err != nil {
			fmt.Fprintf(s.err, "hearth test: %v\n", err)
			return 1
		}
		suite, d := hearthtest.Load(cfg, files)
		maps.Copy(src, suite.Sources)
		diags = append(diags, d...)
		if !diags.HasErrors() {
			// No test runs while one is wrong: a result beside an
			// error would be read as meaning something.
			results, d = suite.Run(ctx, cfg)
			diags = append(diags, d...)
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
		doc := hearthtest.ToJSON(src, diags, results, relBase(dir))
		doc.JSONValidation.Redact(cfg.Redactor())
		_ = enc.Encode(doc)
	} else {
		if len(diags) > 0 {
			_ = cfg.Redactor().WriteDiagnostics(s.err, src, diags, relBase(dir), s.color(s.errTTY))
			writeErrorCount(s.err, diags, dir)
		}
		if !diags.HasErrors() {
			printResults(s, dir, files, results, failed)
		}
	}
	if failed > 0 || diags.HasErrors() {
		return 1
	}
	return 0
}

func printResults(s *stdio, dir string, files []string, results []hearthtest.Result, failed int) {
	if len(files) == 0 {
		// As go test and terraform test: no tests is not a failure.
		fmt.Fprintf(s.out, "No *%s files in %s: no tests to run.\n", config.TestFileSuffix, dir)
		return
	}
	color := s.color(s.outTTY)
	paint := func(code, text string) string {
		if !color {
			return text
		}
		return code + text + "\x1b[0m"
	}
	// Files are named as validate names them, from where the command
	// ran, so that an editor or a CI annotation opens the right one.
	base := relBase(dir)
	for _, r := range results {
		if r.Passed() {
			fmt.Fprintf(s.out, "%s  %s (%s)\n", paint("\x1b[32m", "PASS"), r.Name, config.RelPath(r.File, base))
			continue
		}
		fmt.Fprintf(s.out, "%s  %s (%s)\n", paint("\x1b[31m", "FAIL"), r.Name, config.RelPath(r.File, base))
		for _, f := range r.Failures {
			subject := f.Subject
			if f.When != "" {
				subject += ", at " + f.When
			}
			fmt.Fprintf(s.out, "      %s:%d:%d: %s\n        expected: %s\n        got:      %s\n", config.RelPath(f.Where.Filename, base), f.Where.Start.Line, f.Where.Start.Column, subject, f.Expected, f.Got)
			if len(f.DecidedBy) > 0 {
				fmt.Fprintf(s.out, "        decided by:\n          %s\n", strings.Join(f.DecidedBy, "\n          "))
			}
		}
	}
	fmt.Fprintf(s.out, "%s, %d passed, %d failed\n", plural(len(results), "test", "tests"), len(results)-failed, failed)
}
