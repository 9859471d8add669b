package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
)

// runMemberEval is hearth member eval: an expression tried on one stored
// member, as terraform console tries one on the state.
func runMemberEval(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member eval", memberUsage)
	asJSON := fs.Bool("json", false, "Print JSON: the result, any error, and every input with its value.")
	atFlag := fs.String("at", "", "Evaluate at this `TIME` (RFC 3339 or YYYY-MM-DD, its midnight UTC); default now. Before the member's stored state: as of then where the state tells, with a warning for the rest.")
	eventFlag := fs.String("event", "", "Bind this event (`JSON` with type and attrs; id, member and at are filled in) as event, as a rule listening to its type sees it.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "member eval", pos, "ID EXPRESSION", "the member ID and an expression")
	if !ok {
		return 1
	}
	id, src := pos[0], pos[1]
	at := time.Now().UTC()
	if *atFlag != "" {
		var err error
		if at, err = parseTimeFlag(*atFlag); err != nil {
			fmt.Fprintf(s.err, "hearth member eval: -at: %v\n", err)
			return 1
		}
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, "member eval")
	if !ok {
		return 1
	}
	var ev *events.Event
	if *eventFlag != "" {
		var err error
		if ev, err = events.ParseAsked([]byte(*eventFlag), id, at); err != nil {
			fmt.Fprintf(s.err, "hearth member eval: -event: %v\n", err)
			return 1
		}
	}
	typ := ""
	if ev != nil {
		typ = ev.Type
	}
	scope, err := cfg.ExprScope(typ)
	if err != nil {
		fmt.Fprintf(s.err, "hearth member eval: -event: %v\n", err)
		return 1
	}
	prog, errs := rules.NewCompiler().Compile(src, scope)
	if len(errs) > 0 {
		writeExprErrors(s.err, src, errs)
		return 1
	}
	m, ok := lookupMember(ctx, s, cfg, id, "member eval")
	if !ok {
		return 1
	}
	rt := runtime.New(cfg, nil)
	past, ok := memberAsOf(ctx, s, cfg, rt, m, at, "member eval")
	if !ok {
		return 1
	}
	var ex runtime.Explanation
	if past != nil {
		ex, err = rt.EvalAsOf(past, prog, ev)
	} else {
		ex, err = rt.Eval(m, prog, ev, at)
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth member eval: -event: %v\n", err)
		return 1
	}
	warnAsOf(s.err, "member eval", past, dir)
	if *asJSON {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Member string `json:"member"`
			At     string `json:"at"`
			runtime.Explanation
			// Warnings are the inputs read that the member's state cannot
			// give as of an -at before it (runtime.AsOf).
			Warnings []runtime.AsOfNote `json:"warnings,omitempty"`
		}{m.ID, at.Format(time.RFC3339), ex, asOfNotes(past)})
	} else {
		printEval(s.out, m, at, ex, past)
	}
	if ex.Error != "" {
		return 1
	}
	return 0
}

func printEval(w io.Writer, m *state.Member, at time.Time, ex runtime.Explanation, past *runtime.AsOf) {
	fmt.Fprintf(w, "Member %s at %s:\n  %s\n", m.ID, at.Format("2006-01-02 15:04"), ex.Source)
	if ex.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", ex.Error)
	} else if len(asOfNotes(past)) > 0 {
		fmt.Fprintf(w, "  = %s   (not as of -at: see the warning)\n", formatValue(ex.Result))
	} else {
		fmt.Fprintf(w, "  = %s\n", formatValue(ex.Result))
	}
	if len(ex.Values) > 0 {
		fmt.Fprintln(w, "\n  reads:")
		for _, v := range ex.Values {
			if v.Value == nil && strings.Contains(v.Name, "…") {
				continue // a call with computed arguments: its value is in the result
			}
			fmt.Fprintf(w, "    %-36s %s%s\n", v.Name, inputText(v.Value), notAsOfMark(past, v.Name))
		}
	}
	if len(ex.Clauses) > 0 {
		// Each part alone, as member why and hearth test show them.
		fmt.Fprintf(w, "\n  %s:\n", opWords(ex.Op))
		for _, line := range clauseLines(ex.Clauses) {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

// memberAsOf is the member as of an -at before their stored state, read
// with their outcomes, or nil for an -at at or after it. It says on
// stderr why it could not.
func memberAsOf(ctx context.Context, s *stdio, cfg *config.Config, rt *runtime.Runtime, m *state.Member, at time.Time, cmd string) (*runtime.AsOf, bool) {
	if !at.Before(runtime.StateTime(m)) {
		return nil, true
	}
	outs, read, err := storedOutcomes(ctx, cfg, m.ID)
	if err != nil {
		// Without them points, badges and segments are told from the
		// member alone, and what it cannot tell is warned about.
		fmt.Fprintf(s.err, "hearth %s: the member's outcomes could not be read: %v\n", cmd, err)
	}
	past, err := rt.MemberAsOf(m, at, outs, read)
	if err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", cmd, err)
		return nil, false
	}
	return past, true
}

// storedOutcomes reads the member's outcomes from the state store; read
// is false when the store keeps none.
func storedOutcomes(ctx context.Context, cfg *config.Config, id string) (outs []state.Outcome, read bool, err error) {
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		return nil, false, err
	}
	defer store.Close()
	e, ok := store.(state.Eraser)
	if !ok {
		return nil, false, nil
	}
	outs, err = e.MemberOutcomes(ctx, id, math.MaxInt32)
	return outs, err == nil, err
}

// warnAsOf tells on stderr what an evaluation as of an earlier time read
// that the member's state cannot give as of then, and where to get it.
func warnAsOf(w io.Writer, cmd string, past *runtime.AsOf, dir string) {
	notes := asOfNotes(past)
	if len(notes) == 0 {
		return
	}
	fmt.Fprintf(w, "hearth %s: warning: -at %s is before the member's stored state (%s); these inputs are not as of -at:\n",
		cmd, past.At.UTC().Format("2006-01-02 15:04"), utcMinute(past.Latest))
	for _, n := range notes {
		fmt.Fprintf(w, "  %s: %s\n", n.Input, n.Note)
	}
	fmt.Fprintf(w, "  For the member's history, replay the events up to that time in a sandbox: hearth simulate -events FILE -to %s -outcomes OUT.jsonl %s\n",
		past.At.UTC().Format(time.RFC3339), dir)
}

// asOfNotes are the warnings of an evaluation as of an earlier time;
// none for one at or after the member's state.
func asOfNotes(past *runtime.AsOf) []runtime.AsOfNote {
	if past == nil {
		return nil
	}
	return past.Notes()
}

// notAsOfMark marks an input whose value is not as of -at.
func notAsOfMark(past *runtime.AsOf, input string) string {
	if past == nil || past.Known(input) {
		return ""
	}
	return "   (not as of -at: see the warning)"
}

// inputText writes the value of an input a rule read: a string as it
// is (quoted when empty, to be seen), anything else as formatValue does,
// so member.attrs reads {"email":"opted_out"}, not Go's map[email:opted_out].
func inputText(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return termsafe.Field(s)
	}
	return formatValue(v)
}

// formatValue writes a result as it would be written in a rule: strings
// quoted, times in RFC 3339.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case time.Duration:
		return x.String()
	case nil:
		return "nil"
	}
	var b strings.Builder
	if err := jsonEncoder(&b).Encode(v); err == nil {
		if out := strings.TrimSuffix(b.String(), "\n"); strings.HasPrefix(out, "[") || strings.HasPrefix(out, "{") {
			return termsafe.Field(out) // as written: & and < not escaped; no U+202E either
		}
	}
	return fmt.Sprint(v)
}

// writeExprErrors shows compile errors of an expression with a caret
// under the part each is about, as validate shows a rule's.
func writeExprErrors(w io.Writer, src string, errs []*rules.Error) {
	fmt.Fprintln(w, "hearth member eval: the expression does not compile:")
	for _, e := range errs {
		from, to := max(0, min(e.From, len(src))), max(0, min(e.To, len(src)))
		width := max(1, len([]rune(src[from:to])))
		fmt.Fprintf(w, "\n  %s\n  %s%s\n  %s", src, strings.Repeat(" ", len([]rune(src[:from]))), strings.Repeat("^", width), e.Message)
		if e.Hint != "" {
			fmt.Fprintf(w, " %s", e.Hint)
		}
		fmt.Fprintln(w)
	}
}
