package main

import (
	"strings"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/textwidth"
)

// maxClauseColumn bounds the column clause values line up at: a longer
// clause pushes only its own value along.
const maxClauseColumn = 56

// clauseMark marks the parts that gave a rule its value.
const clauseMark = "→ "

// opWords says how a rule's parts join: "all of" them must hold for &&.
func opWords(op string) string {
	if op == "||" {
		return "any of"
	}
	return "all of"
}

// clauseLines writes a rule's parts, as runtime.Explanation has them
// (hearth test's failures and member why alike), one a line: each with
// its value and what it read, the parts that decided the rule marked,
// a bracketed group's parts indented under it:
//
//	→ member.points >= 1000      false (member.points = 640)
//	  active_days('30d') >= 10   true (active_days('30d') = 12)
func clauseLines(cs []runtime.Clause) []string {
	type row struct{ left, right string }
	var rows []row
	var walk func(cs []runtime.Clause, depth int)
	walk = func(cs []runtime.Clause, depth int) {
		for _, c := range cs {
			mark := "  "
			if c.Decided {
				mark = clauseMark
			}
			left := strings.Repeat("  ", depth) + mark + c.Source
			right := inputText(c.Result)
			switch {
			case c.Error != "":
				right = "error: " + c.Error
			case c.Op != "":
				right += " (" + opWords(c.Op) + ")"
			}
			var inputs []string
			for _, v := range c.Values {
				inputs = append(inputs, v.Name+" = "+inputText(v.Value))
			}
			if len(inputs) > 0 {
				right += " (" + strings.Join(inputs, ", ") + ")"
			}
			rows = append(rows, row{left, right})
			walk(c.Clauses, depth+1)
		}
	}
	walk(cs, 0)
	width := 0
	for _, r := range rows {
		if w := textwidth.Width(r.left); w <= maxClauseColumn {
			width = max(width, w)
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = textwidth.PadRight(r.left, width) + "   " + r.right
	}
	return out
}
