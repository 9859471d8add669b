package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
)

// applyJSONVersion is the version of hearth apply -json's messages. The
// major number changes when a reader of the old messages would misread
// the new ones; new types and fields change the minor number.
const applyJSONVersion = "1.0"

// applyView is what hearth apply shows: text for people, or with -json
// one JSON object per line on stdout for programs (a CI job), as
// Terraform's apply -json does. Errors go through it, so that with
// -json every one of them is a line of JSON on stdout, and none is text.
type applyView struct {
	s *stdio
	// enc writes the -json messages; nil for text.
	enc *json.Encoder
	// redact takes the configuration's secrets out of errors: a
	// platform's error may quote what it was sent or called.
	redact *config.Redactor
	// src are the configuration's sources, for the source line of an
	// error about a block (an import block the plan cannot follow).
	src config.Sources
	dir string
	// name is the command, for its errors: apply or destroy.
	name string
	// destroy marks a destroy plan being applied, for the closing line.
	destroy bool

	// What the closing change_summary of -json says.
	res         plan.Result
	interrupted bool
}

// uiMessage is one line of hearth apply -json. Type says which fields
// it has; README.md ("apply -json") lists them.
type uiMessage struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`

	// version
	FormatVersion     string `json:"format_version,omitempty"`
	Hearth            string `json:"hearth,omitempty"`
	PlanFormatVersion string `json:"plan_format_version,omitempty"`

	// plan: the plan applied, as hearth plan -json prints it.
	PlanFile string     `json:"plan_file,omitempty"`
	Dir      string     `json:"dir,omitempty"`
	Plan     *plan.Plan `json:"plan,omitempty"`

	// apply_start, apply_retry, apply_complete, apply_errored
	Change         *uiChange `json:"change,omitempty"`
	ElapsedSeconds *float64  `json:"elapsed_seconds,omitempty"`
	RetryInSeconds *float64  `json:"retry_in_seconds,omitempty"`
	Error          string    `json:"error,omitempty"`

	// diagnostic
	Diagnostic *config.JSONDiagnostic `json:"diagnostic,omitempty"`

	// change_summary
	Outcome      string        `json:"outcome,omitempty"`
	Summary      *plan.Summary `json:"summary,omitempty"`
	Failed       string        `json:"failed,omitempty"`
	NotAttempted *int          `json:"not_attempted,omitempty"`
}

// uiChange names the change an apply_* message is about, with the
// plan's field names.
type uiChange struct {
	Address    string `json:"address"`
	Kind       string `json:"kind"`
	Action     string `json:"action"`
	Platform   string `json:"platform"`
	ID         string `json:"id,omitempty"`
	PreviousID string `json:"previous_id,omitempty"`
	MovedFrom  string `json:"moved_from,omitempty"`
}

// newApplyView starts apply's output; with -json, with the version line.
func newApplyView(s *stdio, asJSON bool) *applyView {
	v := &applyView{s: s, name: "apply"}
	if asJSON {
		v.enc = jsonEncoder(s.out)
		v.emit(uiMessage{Type: "version", Message: "hearth " + Version, FormatVersion: applyJSONVersion, Hearth: Version, PlanFormatVersion: plan.FormatVersion})
	}
	return v
}

func (v *applyView) json() bool { return v.enc != nil }

func (v *applyView) emit(m uiMessage) {
	m.Timestamp = v.s.clock().UTC().Format(time.RFC3339Nano)
	// A failed write (stdout closed) has nowhere to be reported.
	_ = v.enc.Encode(m)
}

// fail reports an error that ends apply as plan reports one: in text,
// an error about a block with its source line and each line of the
// others on stderr; with -json, an error diagnostic for each error it
// joins (guards report all they refuse), a block's with its range.
func (v *applyView) fail(err error) {
	pe := planErrors{src: v.src, dir: v.dir, rd: v.redact}
	if !v.json() {
		pe.write(v.s, v.name, err)
		return
	}
	for _, d := range pe.diagnostics(err) {
		v.diagnostic(d)
	}
}

// failf is fail of a message made here.
func (v *applyView) failf(format string, args ...any) {
	v.fail(fmt.Errorf(format, args...))
}

func (v *applyView) diagnostic(d config.JSONDiagnostic) {
	v.emit(uiMessage{Type: "diagnostic", Message: d.Summary, Diagnostic: &d})
}

// notes reports the -target warnings (warnTargets' lines).
func (v *applyView) notes(lines []string) {
	for _, l := range lines {
		if !v.json() {
			fmt.Fprintf(v.s.err, "hearth %s: %s\n", v.name, l)
			continue
		}
		summary := strings.TrimPrefix(strings.TrimPrefix(l, "warning: "), "note: ")
		v.diagnostic(config.JSONDiagnostic{Severity: "warning", Summary: summary})
	}
}

// configDiagnostics reports the configuration's problems, warnings
// included; it returns false when there are errors.
func (v *applyView) configDiagnostics(src config.Sources, diags hcl.Diagnostics, dir string) bool {
	if !v.json() {
		if len(diags) > 0 {
			_ = v.redact.WriteDiagnostics(v.s.err, src, diags, relBase(dir), v.s.color(v.s.errTTY))
			writeErrorCount(v.s.err, diags, dir)
		}
		return !diags.HasErrors()
	}
	doc := config.ToJSON(src, diags, relBase(dir))
	doc.Redact(v.redact)
	for _, d := range doc.Diagnostics {
		v.diagnostic(d)
	}
	return doc.Valid
}

// plan shows the plan to apply: in text with its member impact; with
// -json as the document hearth plan -json prints, with the plan file it
// was read from.
func (v *applyView) plan(p *plan.Plan, planFile, dir string) {
	if !v.json() {
		_ = writePlanText(v.s, p)
		return
	}
	v.emit(uiMessage{Type: "plan", Message: p.SummaryLine(), PlanFile: planFile, Dir: dir, Plan: p})
}

// event reports one step of a change with -json; the text has the
// progress lines instead.
func (v *applyView) event(e plan.ApplyEvent) {
	if !v.json() {
		return
	}
	m := uiMessage{Type: "apply_" + string(e.Phase), Message: e.Message, Change: &uiChange{
		Address: e.Address, Kind: string(e.Kind), Action: e.Action, Platform: e.Platform,
		ID: e.ID, PreviousID: e.PreviousID, MovedFrom: e.MovedFrom,
	}}
	switch e.Phase {
	case plan.PhaseRetry:
		m.RetryInSeconds = seconds(e.RetryIn)
	case plan.PhaseComplete:
		m.ElapsedSeconds = seconds(e.Elapsed)
	case plan.PhaseErrored:
		m.ElapsedSeconds = seconds(e.Elapsed)
		m.Error = v.redact.Redact(e.Err.Error())
	}
	v.emit(m)
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) *float64 {
	s := math.Round(d.Seconds()*1000) / 1000
	return &s
}

// applied reports how plan.Apply ended: its error, if any, and what it
// did. In text, the closing line; with -json, the error as a
// diagnostic, and what change_summary will say.
func (v *applyView) applied(res plan.Result, err error, planFile, dir string) {
	v.res = res
	if err == nil {
		if !v.json() {
			fmt.Fprintf(v.s.out, "\n%s\n", completeLine(res, v.destroy))
		}
		return
	}
	v.interrupted = errors.Is(err, plan.ErrInterrupted)
	if errors.Is(err, plan.ErrStale) && planFile != "" {
		err = fmt.Errorf("%s: %w", planFile, err)
	} else {
		err = lockedIn(err, dir)
	}
	v.fail(err)
	if v.json() {
		return
	}
	switch {
	case res.Failed != "":
		fmt.Fprintf(v.s.err, "\nApply failed at %s: %d added, %d changed, %d destroyed before it (recorded in state); %s not attempted. Run %s to see what is left.\n",
			res.Failed, res.Added, res.Changed, res.Destroyed, plural(res.NotAttempted, "more change was", "more changes were"), v.planAgain())
	case v.interrupted:
		fmt.Fprintf(v.s.err, "\nApply interrupted: %d added, %d changed, %d destroyed (recorded in state); %s not attempted. Run %s to see what is left.\n",
			res.Added, res.Changed, res.Destroyed, plural(res.NotAttempted, "change was", "changes were"), v.planAgain())
	}
}

// planAgain is the command that shows what a failed apply left.
func (v *applyView) planAgain() string {
	if v.destroy {
		return "hearth plan -destroy"
	}
	return "hearth plan"
}

// completeLine is the line that ends a successful apply. Moves, imports
// and forgotten objects are counted as the plan counted them. A destroy
// plan's says so, as Terraform's destroy does.
func completeLine(res plan.Result, destroy bool) string {
	moves := ""
	if res.Moved > 0 {
		moves = fmt.Sprintf(", %d moved", res.Moved)
	}
	if res.Imported > 0 {
		moves += fmt.Sprintf(", %d imported", res.Imported)
	}
	if res.Forgotten > 0 {
		moves += fmt.Sprintf(", %d forgotten (left on the platform)", res.Forgotten)
	}
	if res.Adopted > 0 {
		moves += fmt.Sprintf(", %d adopted", res.Adopted)
	}
	if destroy {
		return fmt.Sprintf("Destroy complete! Resources: %d destroyed%s.", res.Destroyed, moves)
	}
	return fmt.Sprintf("Apply complete! Resources: %d added, %d changed, %d destroyed%s.", res.Added, res.Changed, res.Destroyed, moves)
}

// close ends -json's output with the change_summary, whatever the
// outcome, so a program always finds the last line to be one: outcome
// complete (exit 0), failed or interrupted (exit 1), with what apply
// changed before it stopped.
func (v *applyView) close(code int) {
	if !v.json() {
		return
	}
	res := v.res
	m := uiMessage{Type: "change_summary", Outcome: "complete", Message: completeLine(res, v.destroy),
		Summary:      &plan.Summary{Add: res.Added, Change: res.Changed, Destroy: res.Destroyed, Move: res.Moved, Import: res.Imported, Forget: res.Forgotten, Adopt: res.Adopted},
		Failed:       res.Failed,
		NotAttempted: &res.NotAttempted}
	counts := fmt.Sprintf("%d added, %d changed, %d destroyed", res.Added, res.Changed, res.Destroyed)
	switch {
	case code == 0:
	case v.interrupted:
		m.Outcome, m.Message = "interrupted", fmt.Sprintf("Apply interrupted: %s (recorded in state); %s not attempted.", counts, plural(res.NotAttempted, "change was", "changes were"))
	case res.Failed != "":
		m.Outcome, m.Message = "failed", fmt.Sprintf("Apply failed at %s: %s before it (recorded in state); %s not attempted.", res.Failed, counts, plural(res.NotAttempted, "more change was", "more changes were"))
	default:
		m.Outcome, m.Message = "failed", fmt.Sprintf("Apply failed: %s.", counts)
	}
	v.emit(m)
}
