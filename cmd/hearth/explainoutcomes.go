package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hearth-community/hearth/engine/state"
)

// explainOutcomes prints the reference of outcome lines, from the same
// data the tests hold the runtime to (state.OutcomeKinds).
func explainOutcomes(w io.Writer) {
	fmt.Fprintln(w, "Outcomes: what the rules did, one JSON object a line, as 'hearth simulate")
	fmt.Fprintln(w, "-outcomes FILE' and 'hearth replay -outcomes FILE' write them and GET")
	fmt.Fprintln(w, "/v1/members/ID/history and 'hearth member export' give a member's:")
	fmt.Fprintln(w, `  {"kind":"badge","member":"u07","name":"nice_answer","change":"award","at":"2026-11-02T10:00:00Z","rule":"incentive.nice_answer","event":"e1","detail":"bronze","title":"Nice Answer"}`)
	fmt.Fprintf(w, "\n%s\n", wrap("Fields (every line has "+strings.Join(state.OutcomeCommonFields, ", ")+"; the others only when set):", 76, ""))
	for _, f := range state.OutcomeFields() {
		fmt.Fprintf(w, "  %s\n%s\n", f.Field, wrap(f.Doc, 72, "      "))
	}
	fmt.Fprintln(w, "\nKinds, and the changes of each with the fields it sets beyond those of")
	fmt.Fprintln(w, "every line:")
	for _, k := range state.OutcomeKinds() {
		fmt.Fprintf(w, "\n%s\n", wrap(k.Kind+": "+k.Doc, 74, "  "))
		fmt.Fprintf(w, "    name\n%s\n", wrap(k.Name, 70, "        "))
		fmt.Fprintf(w, "    rule\n%s\n", wrap(k.Rule, 70, "        "))
		for _, c := range k.Changes {
			doc := c.Doc
			if len(c.Fields) > 0 {
				doc += " Sets: " + strings.Join(c.Fields, ", ") + "."
			}
			fmt.Fprintf(w, "    change %q\n%s\n", c.Change, wrap(doc, 70, "        "))
		}
	}
}

// outcomesJSON is explain -json's part for the outcomes topic.
func outcomesJSON() map[string]any {
	return map[string]any{
		"common_fields": state.OutcomeCommonFields,
		"fields":        state.OutcomeFields(),
		"kinds":         state.OutcomeKinds(),
	}
}
