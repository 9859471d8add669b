package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
)

// planErrors is how plan, drift and apply report an error that stops
// them: the configuration's sources, for the source line of an error
// about a block (plan.BlockError), and its redactor, since a platform's
// error may quote what it was sent.
type planErrors struct {
	src config.Sources
	dir string
	rd  *config.Redactor
}

// split is err as the errors it joins (guards report every refusal),
// each reported on its own.
func split(err error) []error {
	var be *plan.BlockError
	if j, ok := err.(interface{ Unwrap() []error }); ok && !errors.As(err, &be) {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, split(e)...)
		}
		return out
	}
	return []error{err}
}

// diagnostics are err as JSON diagnostics in the shape validate -json
// and apply -json's diagnostic lines have: a block's with its range and
// snippet, the others with their first line as the summary and the rest
// as the detail.
func (pe planErrors) diagnostics(err error) []config.JSONDiagnostic {
	var out []config.JSONDiagnostic
	for _, e := range split(err) {
		var be *plan.BlockError
		if errors.As(e, &be) {
			doc := config.ToJSON(pe.src, hcl.Diagnostics{be.Diagnostic}, relBase(pe.dir))
			doc.Redact(pe.rd)
			out = append(out, doc.Diagnostics...)
			continue
		}
		summary, detail, _ := strings.Cut(pe.rd.Redact(e.Error()), "\n")
		out = append(out, config.JSONDiagnostic{Severity: "error", Summary: summary, Detail: strings.TrimSpace(detail)})
	}
	return out
}

// write prints err as text on stderr: a block's error as validate
// prints a diagnostic, with its file, line, column and source line, and
// each line of the others as "hearth CMD: line".
func (pe planErrors) write(s *stdio, cmd string, err error) {
	for _, e := range split(err) {
		var be *plan.BlockError
		if errors.As(e, &be) {
			_ = pe.rd.WriteDiagnostics(s.err, pe.src, hcl.Diagnostics{be.Diagnostic}, relBase(pe.dir), s.color(s.errTTY))
			continue
		}
		for _, line := range strings.Split(pe.rd.Redact(e.Error()), "\n") {
			fmt.Fprintf(s.err, "hearth %s: %s\n", cmd, line)
		}
	}
}

// planFailure is what plan -json (and drift -json) prints on stdout
// when it stops on an error, so that a program reading stdout has the
// error to parse, as it has a configuration's: the validate -json
// document ("valid": false, the error in diagnostics, as apply -json's
// diagnostic lines have it), and with a plan a guard refused (a
// prevent_destroy, the removal share), that plan.
type planFailure struct {
	config.JSONValidation
	Plan *plan.Plan `json:"plan,omitempty"`
}

// writeJSON prints err, and the plan it refused if any, as a
// planFailure on stdout.
func (pe planErrors) writeJSON(s *stdio, err error, p *plan.Plan) {
	doc := planFailure{JSONValidation: config.JSONValidation{FormatVersion: config.ValidationFormatVersion, Diagnostics: pe.diagnostics(err)}, Plan: p}
	for _, d := range doc.Diagnostics {
		if d.Severity == "error" {
			doc.ErrorCount++
		} else {
			doc.WarningCount++
		}
	}
	enc := jsonEncoder(s.out)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}

// report prints err as the command's output asks: JSON on stdout with
// -json, else text on stderr.
func (pe planErrors) report(s *stdio, cmd string, asJSON bool, err error, p *plan.Plan) {
	if asJSON {
		pe.writeJSON(s, err, p)
		return
	}
	pe.write(s, cmd, err)
}
