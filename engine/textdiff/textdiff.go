// Package textdiff diffs small texts line by line: unified diffs for
// `hearth fmt -diff`, and Lines for the plan's changed long strings.
package textdiff

import (
	"fmt"
	"strings"
)

// Unified returns a unified diff from a to b with three lines of context,
// or "" when they are equal.
func Unified(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := lcsOps(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	const context = 3
	// Group ops into hunks separated by more than 2*context equal lines.
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-context)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(len(ops), end+context)
				break
			}
			end = run
		}
		ax, bx, an, bn := ops[start].ai, ops[start].bi, 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				an++
			}
			if op.kind != '-' {
				bn++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ax, an), hunkRange(bx, bn))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

type op struct {
	kind   byte // ' ', '-', '+'
	text   string
	ai, bi int // line indexes in a and b where the op stands
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lcsOps computes an edit script through a longest common subsequence.
// Configuration files are small, so the quadratic table is fine.
func lcsOps(x, y []string) []op {
	n, m := len(x), len(y)
	t := make([][]int32, n+1)
	for i := range t {
		t[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i, j})
			i++
			j++
		case i < n && (j == m || t[i+1][j] >= t[i][j+1]):
			ops = append(ops, op{'-', x[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', y[j], i, j})
			j++
		}
	}
	return ops
}

// Line is one line of a line diff from Lines: Kind is ' ' (unchanged),
// '-' or '+'. A run of unchanged lines left out is one Line with Kind
// ' ' and Hidden set to how many there were.
type Line struct {
	Kind   byte
	Text   string
	Hidden int
}

// Lines diffs a and b line by line, keeping context unchanged lines
// around each change and folding the other unchanged runs into one
// Hidden line, as Terraform shows a changed multi-line string. It
// returns nil when they are equal.
func Lines(a, b string, context int) []Line {
	if a == b {
		return nil
	}
	ops := lcsOps(splitLines(a), splitLines(b))
	keep := make([]bool, len(ops))
	for i, o := range ops {
		if o.kind == ' ' {
			continue
		}
		for j := max(0, i-context); j <= min(len(ops)-1, i+context); j++ {
			keep[j] = true
		}
	}
	var out []Line
	for i := 0; i < len(ops); {
		if keep[i] {
			out = append(out, Line{Kind: ops[i].kind, Text: ops[i].text})
			i++
			continue
		}
		j := i
		for j < len(ops) && !keep[j] {
			j++
		}
		out = append(out, Line{Kind: ' ', Hidden: j - i})
		i = j
	}
	return out
}
