package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
)

const graphUsage = `Usage: hearth graph [options] [DIR]

Prints how the blocks of a configuration depend on each other, in the DOT
language: an arrow from A to B means A refers to B (a reference attribute,
or a rule calling in_segment or has_badge).

Related: hearth validate reports references to blocks that do not exist
and cycles; hearth explain BLOCK lists what each block can refer to.

Examples:
  hearth graph examples/quickstart | dot -Tsvg > graph.svg
`

func runGraph(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "graph", graphUsage)
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "graph")
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	fmt.Fprint(s.out, DOT(cfg.Graph))
	return 0
}

// DOT renders a graph; nodes are grouped by kind with one shape each.
func DOT(g *config.Graph) string {
	var b strings.Builder
	b.WriteString("digraph hearth {\n  rankdir = \"LR\";\n  node [fontname = \"Helvetica\", fontsize = 11];\n")
	shapes := map[string]string{"platform": "cylinder", "community": "box3d", "segment": "ellipse", "tier": "hexagon",
		"badge": "octagon", "incentive": "cds", "campaign": "component", "template": "note", "survey": "tab"}
	for _, n := range g.Nodes {
		kind := strings.SplitN(n, ".", 2)[0]
		shape := shapes[kind]
		if shape == "" || strings.Contains(n, ".role.") || strings.Contains(n, ".channel.") {
			shape = "box"
		}
		fmt.Fprintf(&b, "  %q [shape = %s];\n", n, shape)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %q -> %q [label = %q];\n", e.From, e.To, e.Via)
	}
	b.WriteString("}\n")
	return b.String()
}
