package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/hearthtest"
)

const validateUsage = `Usage: hearth validate [options] [DIR]

Checks every *.hcl file in DIR (default: the current directory) and reports
every problem at once, each with file, line, column, the source line and a
hint. Rules are compiled and type-checked, each mistake of a rule reported
(a misspelt field, an unknown event type, a function's argument); references,
templates, durations and variables are checked. Rule test files
(*.hearthtest.hcl) are checked but not run: their syntax and schema, and
what they name in the configuration (event types, tiers, badges,
segments, campaigns, alerts), as hearth test checks them before it runs
any; hearth test runs them. Nothing is
contacted: no platform, no state, so sensitive string variables (tokens)
need no value here; the other variables do. A credential a platform
needs that comes from a variable with no value here is a warning
("Credential without a value", naming the HEARTH_VAR_ to set), since
plan, apply and run would need it; those commands, drift, outbox send,
state import and run's reloads warn of it too, and the commands that
open no platform (test, simulate, replay, template, member, outbox list,
campaign show, report, local ...) leave it out. A secret written in a file
(a token in plain text, which is a warning) is shown as "(sensitive)" in
the quoted lines, in text and in -json, as every command shows it.
A template's own crowd mention (<at user_id="all"> on Feishu, <!channel>,
<!here> and <!everyone> on Slack, @everyone, @here and a role's <@&ID> on
Discord, @here and @all on Discourse, @room on Matrix) that a campaign
or an alert sends through a platform whose mass_mentions is off is a
warning ("Crowd mention sent as text") at its line: the adapter sends
it as text, notifying no one, until mass_mentions = true.
The text lists the configuration's diagnostics, then the test files',
each errors first, then warnings, by file and position, and ends with
how many there are; -json lists them all by file and position. When the
configuration has errors, what a test file names that it lacks (a tier
deleted) may only follow from them: the text then gives one error a
test file ("3 test cases name tiers the configuration does not have:
member (first at ...)"), -json still each. A test file's variables =
{ ... } are loaded as hearth test loads them. On success, the variables
given a value by -var, -var-file or HEARTH_VAR_ are named with it
(sensitive ones by name only); -json lists them in variables_set, with
name, from, sensitive and value (never a sensitive one's). When only the
test files have errors, the text ends by saying the configuration itself
is valid; -json then has "configuration_valid": true (and valid false).

Exit status: 0 valid (warnings allowed), 1 invalid.

Related: hearth fmt -check for the layout, hearth test to run the rule
tests, hearth plan to compare with the platforms, hearth explain for
the language reference.

Examples:
  hearth validate examples/quickstart
  hearth validate -json . | jq '.diagnostics[].summary'
  hearth validate -var guild_id=123 ./community
`

func runValidate(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "validate", validateUsage)
	asJSON := fs.Bool("json", false, "Print the result as JSON (format_version 1.0).")
	s.registerNoColor(fs)
	// Validate reaches no platform, so it needs no token: CI checks a
	// pull request without the production secrets, as terraform
	// validate needs no variable values. It still warns of a credential
	// without a value here (checker): plan, apply and run would need it.
	vf := varFlags{readOnly: true, checker: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "validate")
	if !ok {
		return 1
	}
	opts := vf.options(s)
	cfg, src, diags := config.Load(dir, opts)
	// Test files are read too, as far as they can be without running
	// them, so a broken one is not found only by hearth test: their
	// syntax and schema, and what they name in the configuration
	// (tiers, badges, event types ...), as hearth test checks them
	// before running any, so that validate and test agree on a test
	// file naming a tier the configuration lacks; a file's variables
	// are loaded as hearth test loads them. On a configuration with
	// errors, what a file names that it lacks may only follow from them
	// (a tier deleted, with a rule still naming it): the text says so
	// once a file, -json lists each.
	var tests, testsAll hcl.Diagnostics
	if files, err := hearthtest.Files(dir); err == nil && len(files) > 0 {
		var suite *hearthtest.Suite
		if diags.HasErrors() {
			suite, testsAll, tests = hearthtest.LoadBroken(cfg, files, relBase(dir))
		} else {
			suite, tests = hearthtest.Load(cfg, files, hearthtest.Reloader(dir, opts), relBase(dir))
			testsAll = tests
		}
		maps.Copy(src, suite.Sources)
	}
	// Snippets mask the secrets written in the files (a plain-text
	// token's warning quotes its line); rd takes the sensitive values
	// out of messages too: validate runs in CI, whose logs are kept.
	rd := cfg.Redactor()
	if *asJSON {
		all := append(diags, testsAll...)
		out := validateJSON{JSONValidation: config.ToJSON(src, all, relBase(dir))}
		if !diags.HasErrors() && testsAll.HasErrors() {
			configValid := true
			out.ConfigurationValid = &configValid
		}
		out.Redact(rd)
		// As the text, on success only: with errors, what the
		// variables hold may be what stopped the load, and the document
		// is the one every command's -json prints for an invalid
		// configuration.
		if !all.HasErrors() {
			set := varsSet(cfg)
			if set == nil {
				set = []varSet{}
			}
			out.VariablesSet = &set
		}
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		if all.HasErrors() {
			return 1
		}
		return 0
	}
	color := s.color(s.errTTY)
	// The configuration's diagnostics first, then the test files':
	// these are checked against the configuration, which may explain
	// them (a warning about a tier's rank above fifty test errors).
	shown := append(append(hcl.Diagnostics{}, diags...), tests...)
	if len(shown) > 0 {
		_ = rd.WriteDiagnostics(s.err, src, diags, relBase(dir), color)
		_ = rd.WriteDiagnostics(s.err, src, tests, relBase(dir), color)
	}
	if shown.HasErrors() {
		writeErrorCount(s.err, shown, dir)
		if !diags.HasErrors() {
			// After an edit of main.hcl, errors only in the tests say
			// the tests need the same edit, not that the edit is wrong.
			fmt.Fprintf(s.err, "The configuration itself is valid (%s); the errors are in its rule test files (*.hearthtest.hcl).\n", summary(cfg))
		}
		return 1
	}
	fmt.Fprintf(s.out, "Success! The configuration in %s is valid: %s.\n", dir, summary(cfg))
	if set := varsSet(cfg); len(set) > 0 {
		parts := make([]string, len(set))
		for i, v := range set {
			parts[i] = v.String()
		}
		fmt.Fprintf(s.out, "Variables set: %s.\n", strings.Join(parts, ", "))
	}
	return 0
}

// validateJSON is the hearth validate -json document: the diagnostics,
// as every command's -json gives them on an invalid configuration, and
// the variables set.
type validateJSON struct {
	config.JSONValidation
	// ConfigurationValid is true when only the test files have errors;
	// left out otherwise, so an invalid configuration's document stays
	// the one every command's -json prints.
	ConfigurationValid *bool     `json:"configuration_valid,omitempty"`
	VariablesSet       *[]varSet `json:"variables_set,omitempty"`
}

// varSet is a variable given a value other than its default, and where
// from. A sensitive one carries no value.
type varSet struct {
	Name      string          `json:"name"`
	From      string          `json:"from"`
	Sensitive bool            `json:"sensitive"`
	Value     json.RawMessage `json:"value,omitempty"`
	hcl       string          // the value as written in HCL, for the text
}

// String is the variable as the text names it: "threshold = 50
// (-var)", "token (sensitive, HEARTH_VAR_token)".
func (v varSet) String() string {
	if v.Sensitive {
		return fmt.Sprintf("%s (sensitive, %s)", v.Name, v.From)
	}
	return fmt.Sprintf("%s = %s (%s)", v.Name, v.hcl, v.From)
}

// varsSet lists the variables given a value other than their default,
// and where from, so that a -var that changed nothing (a misspelt value
// of the right name still counts) is seen to have been read.
func varsSet(cfg *config.Config) []varSet {
	out := []varSet{}
	for _, v := range cfg.Variables {
		if v.From == "" {
			continue
		}
		if v.Sensitive {
			out = append(out, varSet{Name: v.Name, From: v.From, Sensitive: true})
			continue
		}
		val, _ := v.Value.Unmark()
		set := varSet{Name: v.Name, From: v.From, hcl: strings.TrimSpace(string(hclwrite.TokensForValue(val).Bytes()))}
		// A value JSON cannot hold (none is expected of a variable
		// read from the command line or a file) goes without one.
		if b, err := ctyjson.Marshal(val, val.Type()); err == nil {
			set.Value = b
		}
		out = append(out, set)
	}
	return out
}

// relBase is the directory diagnostics name files relative to: the
// current directory, so paths can be pasted into an editor.
func relBase(string) string {
	wd, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	return wd
}

// writeErrorCount ends the diagnostics of a configuration that failed
// to load with how many there were and where ("1 error in the current
// directory."), as every command that reads one does, so the last line
// says what stopped it whichever command was run. Nothing when there is
// no error: warnings alone stop nothing.
func writeErrorCount(w io.Writer, diags hcl.Diagnostics, dir string) {
	errs, warns := count(diags)
	if errs == 0 {
		return
	}
	where := dir
	if where == "." {
		where = "the current directory" // not "in .."
	}
	if warns > 0 {
		fmt.Fprintf(w, "%s and %s in %s.\n", plural(errs, "error", "errors"), plural(warns, "warning", "warnings"), where)
	} else {
		fmt.Fprintf(w, "%s in %s.\n", plural(errs, "error", "errors"), where)
	}
}

func count(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

func summary(c *config.Config) string {
	rules := 0
	for _, s := range c.Segments {
		rules += btoi(s.When != nil)
	}
	for _, t := range c.Tiers {
		rules += btoi(t.When != nil) + btoi(t.Keep != nil)
	}
	for _, in := range c.Incentives {
		rules += btoi(in.When != nil) + btoi(in.Grant.To != nil)
	}
	for _, cp := range c.Campaigns {
		rules += btoi(cp.EnterWhen != nil) + btoi(cp.ExitWhen != nil) + btoi(cp.StopWhen != nil)
		for _, st := range cp.Steps {
			rules += btoi(st.When != nil) + btoi(st.WaitUntil != nil) + len(st.Branches)
		}
	}
	moderation := 0
	for _, cm := range c.Communities {
		moderation += len(cm.Moderation)
		for _, m := range cm.Moderation {
			rules += btoi(m.When != nil)
		}
	}
	for _, a := range c.Alerts {
		rules += btoi(a.When != nil)
	}
	out := fmt.Sprintf("%s, %s, %s, %s, %s, %s",
		plural(len(c.Communities), "community", "communities"), plural(len(c.Segments), "segment", "segments"),
		plural(len(c.Tiers), "tier", "tiers"), plural(len(c.Badges), "badge", "badges"),
		plural(len(c.Incentives), "incentive", "incentives"), plural(len(c.Campaigns), "campaign", "campaigns"))
	// The blocks of moderation and surveys, where there are any: a
	// moderated community's check should not read as if it had none.
	for _, n := range []struct {
		n           int
		one, plural string
	}{{moderation, "moderation rule", "moderation rules"}, {len(c.Alerts), "alert", "alerts"}, {len(c.Surveys), "survey", "surveys"}} {
		if n.n > 0 {
			out += ", " + plural(n.n, n.one, n.plural)
		}
	}
	return out + ", " + plural(rules, "rule", "rules")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
