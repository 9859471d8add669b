package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// documentedChange is the reference's entry for a kind and a change; nil
// when it has none.
func documentedChange(kind, change string) *state.OutcomeChange {
	for _, k := range state.OutcomeKinds() {
		if k.Kind != kind {
			continue
		}
		for i := range k.Changes {
			if k.Changes[i].Change == change {
				return &k.Changes[i]
			}
		}
	}
	return nil
}

func documentedKind(kind string) *state.OutcomeKind {
	for _, k := range state.OutcomeKinds() {
		if k.Kind == kind {
			return &k
		}
	}
	return nil
}

// The reference documents every field an -outcomes line can have, in
// the order lines give them: those of state.Outcome and the title
// simulate adds.
func TestOutcomeFieldsDocumented(t *testing.T) {
	var fields []string
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, name)
		}
	}
	walk(reflect.TypeFor[state.OutcomeLine]())
	var documented []string
	for _, f := range state.OutcomeFields() {
		documented = append(documented, f.Field)
	}
	if !slices.Equal(fields, documented) {
		t.Errorf("-outcomes lines have the fields %v; state.OutcomeFields documents %v", fields, documented)
	}
	for _, f := range state.OutcomeCommonFields {
		if !slices.Contains(fields, f) {
			t.Errorf("common field %q is not a field of an outcome", f)
		}
	}
	for _, k := range state.OutcomeKinds() {
		for _, c := range k.Changes {
			for _, f := range c.Fields {
				if !slices.Contains(fields, f) || slices.Contains(state.OutcomeCommonFields, f) {
					t.Errorf("%s %s: %q is not an optional field of an outcome", k.Kind, c.Change, f)
				}
			}
		}
	}
}

// outcomeSite is a state.Outcome literal in hearth's code.
type outcomeSite struct {
	at     string // file:line
	fn     string // file and function: "engine/runtime/runtime.go moveTier"
	kind   string // the constant's name: KindTier
	change ast.Expr
	fields []string // the optional fields it sets
}

// outcomeSites finds every state.Outcome literal in the code under
// root, outside tests and test helpers.
func outcomeSites(t *testing.T, root string) []outcomeSite {
	t.Helper()
	var sites []outcomeSite
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "statetest" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		rel = filepath.ToSlash(rel)
		inState := f.Name.Name == "state"
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || !isOutcomeType(lit.Type, inState) {
					return true
				}
				s := outcomeSite{at: fset.Position(lit.Pos()).String(), fn: rel + " " + fn.Name.Name}
				for _, e := range lit.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					key := kv.Key.(*ast.Ident).Name
					switch key {
					case "Kind":
						switch v := kv.Value.(type) {
						case *ast.SelectorExpr:
							s.kind = v.Sel.Name
						case *ast.Ident:
							s.kind = v.Name
						}
					case "Change":
						s.change = kv.Value
					case "Points", "From", "To", "Detail":
						s.fields = append(s.fields, strings.ToLower(key))
					}
				}
				sites = append(sites, s)
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sites
}

func isOutcomeType(typ ast.Expr, inState bool) bool {
	switch v := typ.(type) {
	case *ast.SelectorExpr:
		x, ok := v.X.(*ast.Ident)
		return ok && x.Name == "state" && v.Sel.Name == "Outcome"
	case *ast.Ident:
		return inState && v.Name == "Outcome"
	}
	return false
}

// kindConstants are the Kind constants of package state, by name.
func kindConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../engine/state/store.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) || !strings.HasPrefix(name.Name, "Kind") {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
				out[name.Name], _ = strconv.Unquote(lit.Value)
			}
		}
		return true
	})
	if len(out) < 8 {
		t.Fatalf("found the kinds %v in engine/state/store.go; has its form changed?", out)
	}
	return out
}

// stringsAssigned are the string literals assigned, anywhere in the
// function, to a variable or field of that name.
func stringsAssigned(t *testing.T, path, fn, name string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, decl := range f.Decls {
		d, ok := decl.(*ast.FuncDecl)
		if !ok || d.Name.Name != fn {
			continue
		}
		ast.Inspect(d.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != len(as.Rhs) {
				return true
			}
			for i, l := range as.Lhs {
				var lname string
				switch v := l.(type) {
				case *ast.Ident:
					lname = v.Name
				case *ast.SelectorExpr:
					lname = v.Sel.Name
				}
				if lit, ok := as.Rhs[i].(*ast.BasicLit); ok && lname == name && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("no string assigned to %s in %s of %s; has the code changed?", name, fn, path)
	}
	return out
}

// Every outcome the code makes is documented: its kind, its change and
// the fields it sets. A change that is not a literal is traced to where
// its values come from; an outcome whose change comes from somewhere
// this test does not know fails it, to be added here and documented.
func TestOutcomeKindsDocumented(t *testing.T) {
	kinds := kindConstants(t)
	for name, kind := range kinds {
		if documentedKind(kind) == nil {
			t.Errorf("state.%s (%q) is not in state.OutcomeKinds", name, kind)
		}
	}
	if len(kinds) != len(state.OutcomeKinds()) {
		t.Errorf("package state has %d kinds, state.OutcomeKinds documents %d", len(kinds), len(state.OutcomeKinds()))
	}
	moderationActions := func() []string {
		for _, b := range config.Root.Blocks {
			if b.Type != "community" {
				continue
			}
			for _, c := range b.Blocks {
				if c.Type != "moderation" {
					continue
				}
				for _, a := range c.Attrs {
					if a.Name == "action" {
						return a.Enum
					}
				}
			}
		}
		t.Fatal("no community.moderation.action in the schema")
		return nil
	}
	// Where a change is not a literal: the values it takes, from the
	// code or the schema that gives them.
	traced := map[string]func() []string{
		"engine/runtime/runtime.go moveTier":   func() []string { return stringsAssigned(t, "../../engine/runtime/runtime.go", "decideTier", "move") },
		"engine/runtime/runtime.go segments":   func() []string { return stringsAssigned(t, "../../engine/runtime/runtime.go", "segments", "change") },
		"engine/runtime/governance.go enforce": moderationActions,
	}
	// Outcomes made for a count and never written.
	internal := map[string]bool{"engine/simulate/simulate.go countRemovedAs": true}
	sites := slices.Concat(outcomeSites(t, "../../engine"), outcomeSites(t, "../../cmd"), outcomeSites(t, "../../adapters"))
	if len(sites) < 30 {
		t.Fatalf("found %d outcome literals; has the code's form changed?", len(sites))
	}
	for _, s := range sites {
		if internal[s.fn] {
			continue
		}
		kind, ok := kinds[s.kind]
		if !ok {
			t.Errorf("%s: an outcome of kind %q, not one of package state's Kind constants", s.at, s.kind)
			continue
		}
		var changes []string
		switch c := s.change.(type) {
		case *ast.BasicLit:
			v, _ := strconv.Unquote(c.Value)
			changes = []string{v}
		default:
			trace := traced[s.fn]
			if trace == nil {
				t.Errorf("%s (%s): a %s outcome whose change is not a literal; add where its values come from to this test, and document them in state.OutcomeKinds", s.at, s.fn, kind)
				continue
			}
			changes = trace()
		}
		// A field set where the change varies is set for some of its
		// values (a moderation decision's duration, for mute and ban):
		// one of them must list it.
		var fields []string
		for _, change := range changes {
			doc := documentedChange(kind, change)
			if doc == nil {
				t.Errorf("%s: %s outcome with change %q, which state.OutcomeKinds does not document", s.at, kind, change)
				continue
			}
			fields = append(fields, doc.Fields...)
		}
		for _, f := range s.fields {
			if !slices.Contains(fields, f) {
				t.Errorf("%s: %s %s sets %s, which state.OutcomeKinds does not list for it", s.at, kind, strings.Join(changes, "/"), f)
			}
		}
	}
}

// ladderSite is a configuration whose members are demoted, which no
// example's events do: to a lower tier, and off the ladder.
const ladderSite = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
  role "core" {}
}
tier "regular" {
  rank = 1
  when = "member.points >= 10"
}
tier "core" {
  rank  = 2
  title = "Core member"
  when  = "member.points >= 100"
  keep  = "member.points >= 90"
  role  = community.c.role.core
}
badge "big_spender" {
  title = "Big spender"
}
incentive "buy" {
  on = "purchase.made"
  grant {
    points = 100
    badge  = badge.big_spender
  }
}
event "refund" {}
incentive "refund" {
  on = "refund"
  grant { points = -50 }
}
`

const ladderEvents = `{"id":"b1","type":"purchase.made","member":"u","at":"2026-01-01T09:00:00Z"}
{"id":"r1","type":"refund","member":"u","at":"2026-01-02T09:00:00Z"}
{"id":"r2","type":"refund","member":"u","at":"2026-01-03T09:00:00Z"}
`

// The outcomes simulate writes on every example with events, and on a
// ladder members are demoted on, are what the reference says:
// documented kinds, changes and fields; a tier line names the tier whose
// rule decided, a demotion the tier left; badge and tier lines carry
// the block's title.
func TestOutcomesOfExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*/events.jsonl")
	if len(dirs) < 4 {
		t.Fatalf("found %d examples with events; has their form changed?", len(dirs))
	}
	ladder := t.TempDir()
	for name, src := range map[string]string{"main.hcl": ladderSite, "events.jsonl": ladderEvents} {
		if err := os.WriteFile(filepath.Join(ladder, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs = append(dirs, filepath.Join(ladder, "events.jsonl"))
	seen := map[string]bool{}
	var ladderLines []string
	for _, events := range dirs {
		dir := filepath.Dir(events)
		out := filepath.Join(t.TempDir(), "out.jsonl")
		if code, _, errs := runCLI("simulate", "-events", events, "-outcomes", out, dir); code != 0 {
			t.Fatalf("simulate %s: exit %d: %s", dir, code, errs)
		}
		cfg, _, diags := config.Load(dir, config.Options{Platforms: platformSpecs(), Version: Version})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("%s: %v: %s", dir, err, sc.Text())
			}
			kind, _ := line["kind"].(string)
			change, _ := line["change"].(string)
			doc := documentedChange(kind, change)
			if doc == nil {
				t.Errorf("%s: kind %q change %q is not documented: %s", dir, kind, change, sc.Text())
				continue
			}
			seen[kind+" "+change] = true
			for field := range line {
				if !slices.Contains(state.OutcomeCommonFields, field) && !slices.Contains(doc.Fields, field) {
					t.Errorf("%s: %s %s has %q, which the reference does not list for it: %s", dir, kind, change, field, sc.Text())
				}
			}
			name, _ := line["name"].(string)
			from, _ := line["from"].(string)
			to, _ := line["to"].(string)
			switch kind {
			case state.KindTier:
				decided := to
				if change == "demote" {
					decided = from
				}
				if name != decided || line["rule"] != "tier."+decided {
					t.Errorf("%s: a %s names %q by %v; want the tier whose rule decided, %q: %s", dir, change, name, line["rule"], decided, sc.Text())
				}
				for _, tr := range cfg.Tiers {
					if tr.Name == name && line["title"] != tr.Title {
						t.Errorf("%s: tier %s has title %v; want %q", dir, name, line["title"], tr.Title)
					}
				}
			case state.KindCampaign:
				// A deferral says why, as a skip does: the step, then
				// what held its send and until when.
				detail, _ := line["detail"].(string)
				if change != "defer" {
					break
				}
				if m := deferDetail.FindStringSubmatch(detail); m != nil {
					seen["campaign defer "+m[1]] = true
				} else {
					t.Errorf("%s: a defer's detail %q does not say what held the send (want STEP: quiet hours until TIME or STEP: frequency cap until TIME): %s", dir, detail, sc.Text())
				}
			case state.KindBadge:
				for _, b := range cfg.Badges {
					if b.Name == name && line["title"] != b.Title {
						t.Errorf("%s: badge %s has title %v; want %q", dir, name, line["title"], b.Title)
					}
				}
			}
			if dir == ladder && (kind == state.KindTier || kind == state.KindBadge || strings.HasPrefix(name, "role.")) {
				ladderLines = append(ladderLines, fmt.Sprintf("%s %s %s by %v (%v)", kind, change, name, line["rule"], line["title"]))
			}
		}
		f.Close()
	}
	want := []string{
		"badge award big_spender by incentive.buy (Big spender)",
		"tier promote core by tier.core (Core member)",
		"action queue role.add by tier.core (<nil>)",
		"tier demote core by tier.core (Core member)",
		"action queue role.remove by tier.core (<nil>)",
		"tier demote regular by tier.regular (regular)",
	}
	if !slices.Equal(ladderLines, want) {
		t.Errorf("the ladder's outcomes:\n  %s\nwant:\n  %s", strings.Join(ladderLines, "\n  "), strings.Join(want, "\n  "))
	}
	// The examples make the common kinds of outcome, so this test
	// checks lines of each.
	for _, want := range []string{"points grant", "badge award", "tier promote", "tier demote", "segment enter", "campaign enter", "campaign defer quiet hours", "action queue", "moderation warn", "alert fire"} {
		if !seen[want] {
			t.Errorf("no example made a %s outcome; has an example changed?", want)
		}
	}
}

// deferDetail is the form of a campaign defer's detail.
var deferDetail = regexp.MustCompile(`^[A-Za-z0-9_-]+: (quiet hours|frequency cap) until \d{4}-\d\d-\d\dT\S+Z( \(key "[^"]*"\))?$`)

// The README's outcome reference has every kind, change and field the
// reference data has: a row per kind naming its changes.
func TestReadmeOutcomeReference(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n#### Outcome lines: -outcomes\n")
	if !ok {
		t.Fatal("the README has no Outcome lines section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	for _, f := range state.OutcomeFields() {
		if !strings.Contains(section, "`"+f.Field+"`") {
			t.Errorf("README Outcome lines: no `%s`", f.Field)
		}
	}
	for _, k := range state.OutcomeKinds() {
		row := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(k.Kind) + "` \\|.*$").FindString(section)
		if row == "" {
			t.Errorf("README Outcome lines: no row for `%s`", k.Kind)
			continue
		}
		for _, c := range k.Changes {
			if !strings.Contains(row, "`"+c.Change+"`") {
				t.Errorf("README Outcome lines: the row of `%s` does not name its change `%s`", k.Kind, c.Change)
			}
		}
	}
}

// An -outcomes line has the stored outcome's fields, in their order, and
// a title: a field added to state.Outcome must be added to the line.
func TestOutcomeLineFields(t *testing.T) {
	tags := func(t reflect.Type) []string {
		var out []string
		for i := range t.NumField() {
			out = append(out, t.Field(i).Tag.Get("json"))
		}
		return out
	}
	want := append(tags(reflect.TypeFor[state.Outcome]()), "title,omitempty")
	if got := tags(reflect.TypeFor[state.OutcomeLine]()); !slices.Equal(got, want) {
		t.Errorf("state.OutcomeLine's fields %q, want state.Outcome's and title: %q", got, want)
	}
	o := state.Outcome{Kind: "points", Member: "m", Name: "n", Change: "grant", At: time.Date(2026, 1, 2, 3, 4, 5, 970000000, time.FixedZone("x", 3600)),
		Rule: "incentive.n", Event: "e", Points: 3, From: "a", To: "b", Detail: "d"}
	b, err := json.Marshal(newOutcomeLine(o, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kind":"points","member":"m","name":"n","change":"grant","at":"2026-01-02T02:04:05.970000000Z","rule":"incentive.n","event":"e","points":3,"from":"a","to":"b","detail":"d"}`; string(b) != want {
		t.Errorf("line\n%s\nwant\n%s", b, want)
	}
}
