package rules

import (
	"strings"
	"testing"
	"time"
)

// clauseText writes a split as nested lists: [&& a, [|| b, c]].
func clauseText(c *Clause) string {
	if c == nil {
		return "nil"
	}
	if c.Op == "" {
		return c.Source
	}
	parts := make([]string, len(c.Parts))
	for i, p := range c.Parts {
		parts[i] = clauseText(p)
		if p.Op != "" {
			parts[i] = p.Source + " " + parts[i]
		}
	}
	return "[" + c.Op + " " + strings.Join(parts, ", ") + "]"
}

func TestClauses(t *testing.T) {
	c := NewCompiler()
	for _, tc := range []struct{ src, want string }{
		{`member.points >= 100`, "nil"},
		{`member.points >= 100 && count('message.posted', '30d') >= 3 && in_segment('active')`,
			"[&& member.points >= 100, count('message.posted', '30d') >= 3, in_segment('active')]"},
		{`member.points >= 1 && (has_badge('first_post') || in_segment('active'))`,
			"[&& member.points >= 1, (has_badge('first_post') || in_segment('active')) [|| has_badge('first_post'), in_segment('active')]]"},
		{`(member.points >= 1 && in_segment('active'))`, "[&& member.points >= 1, in_segment('active')]"},
		{`(member.points >= 1) || (in_segment('active'))`, "[|| (member.points >= 1), (in_segment('active'))]"},
		// and/or are && and ||; && binds tighter.
		{`member.points > 1 and member.points < 5 or has_badge('first_post')`,
			"[|| member.points > 1 and member.points < 5 [&& member.points > 1, member.points < 5], has_badge('first_post')]"},
		// A chained comparison is an && to expr, not one written.
		{`1 < member.points < 3`, "nil"},
		// Brackets and operators in strings are text.
		{`member.name == 'a && (b' && member.points > 1`, "[&& member.name == 'a && (b', member.points > 1]"},
		{"member.points >= 1 &&\n  (in_segment('active')\n   || has_badge('first_post'))\n",
			"[&& member.points >= 1, (in_segment('active') || has_badge('first_post')) [|| in_segment('active'), has_badge('first_post')]]"},
		// A group of the same operator stays as written.
		{`member.points > 1 && (member.points < 5 && in_segment('active'))`,
			"[&& member.points > 1, (member.points < 5 && in_segment('active')) [&& member.points < 5, in_segment('active')]]"},
		{`any(member.unsubscribed_from, {# == 'email' || # == 'x'})`, "nil"},
	} {
		p, errs := c.Compile(tc.src, testScope)
		if errs != nil {
			t.Fatalf("%s: %v", tc.src, errs[0])
		}
		if got := clauseText(p.Clauses()); got != tc.want {
			t.Errorf("%q split as %s; want %s", tc.src, got, tc.want)
		}
	}
	// A rule that gives no bool is not split.
	sc := testScope
	sc.Result = String
	if p, errs := c.Compile(`member.points > 1 && true ? 'a' : 'b'`, sc); errs != nil || p.Clauses() != nil {
		t.Errorf("string rule split: %v", errs)
	}
}

// Each clause runs alone against what is bound, with what it reads.
func TestClausesRun(t *testing.T) {
	c := NewCompiler()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ev := NewEvaluator()
	ev.Bind(&Member{Points: 640}, nil, nil, now, &fakeState{now: now, counts: map[string]int{"message.posted": 30}})
	p, errs := c.Compile(`member.points >= 1000 && count('message.posted', '30d') >= 10`, testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	parts := p.Clauses().Parts
	var got []string
	for _, part := range parts {
		v, err := ev.Bool(part.Program)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, part.Source+" = "+map[bool]string{true: "true", false: "false"}[v]+" reads "+strings.Join(part.Program.Reads.Member, ",")+callNames(part.Program.Reads.Calls))
	}
	want := "member.points >= 1000 = false reads points; count('message.posted', '30d') >= 10 = true reads count('message.posted', '30d')"
	if strings.Join(got, "; ") != want {
		t.Errorf("clauses ran as\n%s\nwant\n%s", strings.Join(got, "; "), want)
	}
}

func callNames(cs []Call) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, ",")
}

func TestSourceLines(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"member.points >= 1", "member.points >= 1"},
		// <<-EOT: the common indentation is gone, the trailing newline too.
		{"a &&\n  b\n", "a &&|  b"},
		// <<EOT keeps the file's: the first line's is taken off every line.
		{"    a &&\n    (b ||\n       c)\n  ", "a &&|(b |||   c)"},
		// A line left of the first starts at the margin.
		{"\n    a &&\n  b\n", "a &&|b"},
	} {
		if got := strings.Join(SourceLines(tc.src), "|"); got != tc.want {
			t.Errorf("SourceLines(%q) = %q; want %q", tc.src, got, tc.want)
		}
	}
}
