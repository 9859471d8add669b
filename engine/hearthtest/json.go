package hearthtest

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/runtime"
)

// FormatVersion is the version of the `hearth test -json` document: the
// major number changes on incompatible changes, the minor one on
// additions (1.1: evaluated; 1.2: op and clauses of an evaluated rule;
// 1.3: the when rules of incentives behind a points or badges failure
// in evaluated, with event_reads for one that reads the event; 1.4:
// expected_value and got_value, notes, and the location of each rule in
// evaluated, its file named as the failure's).
const FormatVersion = "1.4"

// JSONReport is the `hearth test -json` document. Its first fields are
// those of `hearth validate -json`: valid is false, and diagnostics say
// why, when the configuration or a test file is wrong (then no test
// runs). Tests and summary hold the results.
type JSONReport struct {
	config.JSONValidation
	Tests   []JSONTest  `json:"tests"`
	Summary JSONSummary `json:"summary"`
}

// JSONTest is one test's result.
type JSONTest struct {
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Passed   bool          `json:"passed"`
	Failures []JSONFailure `json:"failures"`
}

// JSONFailure is one expectation not met. Expected and got are shown as
// the text output shows them, and expected_value and got_value are the
// same as JSON values (a number, a string, a list, true or false, null
// for none); decided_by lists the rules and incentives behind the
// outcome, each with its file and line; notes say what else it rests
// on; evaluated has the member rules among them run at at, as hearth
// member why -json has them (rule, source, at, result, error, values),
// with location, where the rule is written.
type JSONFailure struct {
	// Location is where the expectation is written.
	Location JSONLocation `json:"location"`
	Subject  string       `json:"subject"`
	// At is the time the member's state was looked at (RFC 3339); absent
	// for alerts, counted over all the events.
	At            string          `json:"at,omitempty"`
	Expected      string          `json:"expected"`
	Got           string          `json:"got"`
	ExpectedValue any             `json:"expected_value"`
	GotValue      any             `json:"got_value"`
	DecidedBy     []string        `json:"decided_by"`
	Notes         []string        `json:"notes"`
	Evaluated     []JSONEvaluated `json:"evaluated"`
}

// JSONEvaluated is a rule run for a failure, as member why -json has it
// (its at is the rule's file and line, the file's base name), with
// location: where the rule is written, its file named as the failure's
// location names a test file.
type JSONEvaluated struct {
	runtime.Explanation
	Location *JSONRuleLocation `json:"location,omitempty"`
}

// JSONRuleLocation is where a rule is written.
type JSONRuleLocation struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// JSONLocation is where an expectation is written.
type JSONLocation struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// JSONSummary counts the tests.
type JSONSummary struct {
	Tests  int `json:"tests"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// ToJSON is the JSON document of a run; paths are relative to base when
// they can be, as in diagnostics.
func ToJSON(src config.Sources, diags hcl.Diagnostics, results []Result, base string) JSONReport {
	out := JSONReport{JSONValidation: config.ToJSON(src, diags, base), Tests: []JSONTest{}}
	out.FormatVersion = FormatVersion
	for _, r := range results {
		t := JSONTest{Name: r.Name, File: rel(r.File, base), Passed: r.Passed(), Failures: []JSONFailure{}}
		for _, f := range r.Failures {
			by := f.DecidedBy
			if by == nil {
				by = []string{}
			}
			// [] rather than null, as decided_by: a rule that reads
			// nothing (keep = "true") has no values.
			ev := make([]JSONEvaluated, len(f.Evaluated))
			for i, e := range f.Evaluated {
				if e.Values == nil {
					e.Values = []runtime.Value{}
				}
				ev[i] = JSONEvaluated{Explanation: e, Location: ruleLocation(src, e.At, base)}
			}
			notes := f.Notes
			if notes == nil {
				notes = []string{}
			}
			at := ""
			if !f.At.IsZero() {
				at = f.At.UTC().Format(time.RFC3339)
			}
			t.Failures = append(t.Failures, JSONFailure{
				At:       at,
				Location: JSONLocation{File: rel(f.Where.Filename, base), Line: f.Where.Start.Line, Column: f.Where.Start.Column},
				Subject:  f.Subject, Expected: f.Expected, Got: f.Got, ExpectedValue: f.ExpectedValue, GotValue: f.GotValue,
				DecidedBy: by, Notes: notes, Evaluated: ev,
			})
		}
		out.Tests = append(out.Tests, t)
		out.Summary.Tests++
		if t.Passed {
			out.Summary.Passed++
		} else {
			out.Summary.Failed++
		}
	}
	return out
}

// ruleLocation is where an explained rule is written: its at is
// "members.hcl:17", the base name of a file of the configuration, which
// src has under its whole name. nil when it cannot tell.
func ruleLocation(src config.Sources, at, base string) *JSONRuleLocation {
	i := strings.LastIndexByte(at, ':')
	if i < 0 {
		return nil
	}
	line, err := strconv.Atoi(at[i+1:])
	if err != nil {
		return nil
	}
	name := at[:i]
	var found []string
	for path := range src {
		if filepath.Base(path) == name {
			found = append(found, path)
		}
	}
	if len(found) != 1 {
		return nil
	}
	return &JSONRuleLocation{File: rel(found[0], base), Line: line}
}

// rel is path relative to base, when it is inside it.
func rel(path, base string) string {
	if base == "" {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(base, abs); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
