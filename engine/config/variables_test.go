package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
)

// variableValue loads a configuration and returns one variable's value.
func variableValue(t *testing.T, cfg *config.Config, name string) (cty.Value, bool) {
	t.Helper()
	for _, v := range cfg.Variables {
		if v.Name == name {
			return v.Value, true
		}
	}
	return cty.NilVal, false
}

// TestVariablePrecedence: the environment loses to var files, which
// lose to -var; later var files and later -var win over earlier ones.
func TestVariablePrecedence(t *testing.T) {
	const decl = `variable "greeting" {
  default = "from default"
}
`
	dir := writeDir(t, map[string]string{
		"main.hcl":          decl,
		"vars/one.hcl.vars": `greeting = "from file one"`,
		"vars/two.hcl.vars": `greeting = "from file two"`,
	})
	one, two := filepath.Join(dir, "vars/one.hcl.vars"), filepath.Join(dir, "vars/two.hcl.vars")
	env := map[string]string{"HEARTH_VAR_greeting": "from env"}
	cases := []struct {
		name  string
		env   map[string]string
		files []string
		vars  []string
		want  string
	}{
		{"default", nil, nil, nil, "from default"},
		{"env over default", env, nil, nil, "from env"},
		{"file over env", env, []string{one}, nil, "from file one"},
		{"later file wins", env, []string{one, two}, nil, "from file two"},
		{"-var over file", env, []string{one}, []string{"greeting=from -var"}, "from -var"},
		{"-var over env", env, nil, []string{"greeting=from -var"}, "from -var"},
		{"later -var wins", nil, nil, []string{"greeting=first", "greeting=second"}, "second"},
		{"= in the value", nil, nil, []string{"greeting=a=b"}, "a=b"},
		{"empty -var", nil, nil, []string{"greeting="}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(tc.env)
			opts.VarFiles, opts.Vars = tc.files, tc.vars
			cfg, _, diags := config.Load(dir, opts)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:%s", describe(diags))
			}
			got, _ := variableValue(t, cfg, "greeting")
			if got.AsString() != tc.want {
				t.Errorf("greeting = %q; want %q", got.AsString(), tc.want)
			}
		})
	}
}

// TestPinnedVariables: a test file's values win over every other
// source, and each variable says where its value came from.
func TestPinnedVariables(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `variable "greeting" {
  default = "from default"
}
variable "count" {
  type    = number
  default = 1
}
variable "other" {
  default = "x"
}
`})
	pin := func(name, src string) config.PinnedVar {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "t.hearthtest.hcl", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return config.PinnedVar{Name: name, Expr: expr, Where: "test file t.hearthtest.hcl"}
	}
	opts := testOptions(map[string]string{"HEARTH_VAR_count": "3"})
	opts.Vars = []string{"greeting=from -var"}
	opts.Pinned = []config.PinnedVar{pin("greeting", `"pinned"`)}
	cfg, _, diags := config.Load(dir, opts)
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	from := map[string]string{}
	for _, v := range cfg.Variables {
		from[v.Name] = v.From
	}
	if got, _ := variableValue(t, cfg, "greeting"); got.AsString() != "pinned" {
		t.Errorf("greeting = %q; want the pinned value", got.AsString())
	}
	if from["greeting"] != "test file t.hearthtest.hcl" || from["count"] != "HEARTH_VAR_count" || from["other"] != "" {
		t.Errorf("From = %q", from)
	}

	opts.Pinned = []config.PinnedVar{pin("greting", `"x"`), pin("count", `"many"`)}
	_, _, diags = config.Load(dir, opts)
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary+": "+d.Detail)
	}
	want := []string{
		`Value for undeclared variable: test file t.hearthtest.hcl sets "greting", but no variable block declares it. Did you mean "greeting"?`,
		`Invalid value for variable: The value for "count" is not a number: a number is required.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestVariableConversion: text from -var and the environment is HCL for
// non-string types, plain text for strings and untyped variables.
func TestVariableConversion(t *testing.T) {
	src := `
variable "n" {
  type = number
}
variable "b" {
  type = bool
}
variable "l" {
  type = list(string)
}
variable "m" {
  type = map(number)
}
variable "s" {
  type = string
}
variable "any" {}
variable "o" {
  type = object({ name = string, size = optional(number, 3) })
}
`
	dir := writeDir(t, map[string]string{"main.hcl": src})
	opts := testOptions(map[string]string{"HEARTH_VAR_n": "42", "HEARTH_VAR_b": "true"})
	opts.Vars = []string{`l=["a", "b"]`, `m={ x = 1, y = "2" }`, `s=[not, a, list]`, `any=12`, `o={ name = "ada" }`}
	cfg, _, diags := config.Load(dir, opts)
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	want := map[string]cty.Value{
		"n":   cty.NumberIntVal(42),
		"b":   cty.True,
		"l":   cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"m":   cty.MapVal(map[string]cty.Value{"x": cty.NumberIntVal(1), "y": cty.NumberIntVal(2)}),
		"s":   cty.StringVal("[not, a, list]"),
		"any": cty.StringVal("12"),
		"o":   cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("ada"), "size": cty.NumberIntVal(3)}),
	}
	for name, w := range want {
		got, ok := variableValue(t, cfg, name)
		if !ok || !got.RawEquals(w) {
			t.Errorf("%s = %#v; want %#v", name, got, w)
		}
	}
}

func TestVariableErrors(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl":   "variable \"n\" {\n  type = number\n}\n",
		"bad.vars":   "n = \"x\"\nundeclared = 1\n",
		"syntax.hcl": "",
	})
	cases := []struct {
		name  string
		files []string
		vars  []string
		env   map[string]string
		want  []string // summaries and details, in order
		line  int      // of the first diagnostic in main.hcl, 0 for none
	}{
		{"env not a number", nil, nil, map[string]string{"HEARTH_VAR_n": "many"}, []string{"The value from environment variable HEARTH_VAR_n is not a valid number."}, 1},
		{"-var not a number", nil, []string{"n=[1]"}, nil, []string{`The value for "n" from -var n is not a number`}, 1},
		{"-var without =", nil, []string{"n"}, nil, []string{`"n" should be -var NAME=VALUE.`, `The variable "n" has no default`}, 0},
		{"undeclared -var", nil, []string{"n=1", "nn=2"}, nil, []string{`-var sets "nn", but no variable block declares it. Did you mean "n"?`}, 0},
		{"missing var file", []string{filepath.Join(t.TempDir(), "none.vars")}, []string{"n=1"}, nil, []string{"Cannot read variable file"}, 0},
		{"var file errors", []string{"bad.vars"}, nil, nil, []string{`The value for "n" is not a number`, `sets "undeclared", but no variable block declares it`}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(tc.env)
			opts.Vars = tc.vars
			for _, f := range tc.files {
				if !filepath.IsAbs(f) {
					f = filepath.Join(dir, f)
				}
				opts.VarFiles = append(opts.VarFiles, f)
			}
			_, _, diags := config.Load(dir, opts)
			if len(diags) != len(tc.want) {
				t.Fatalf("%d diagnostics; want %d:%s", len(diags), len(tc.want), describe(diags))
			}
			for i, w := range tc.want {
				if d := diags[i]; !strings.Contains(d.Summary+" "+d.Detail, w) || d.Severity != hcl.DiagError {
					t.Errorf("diagnostic %d = %q; want %q", i, d.Summary+": "+d.Detail, w)
				}
			}
			if tc.line > 0 {
				if s := diags[0].Subject; s == nil || filepath.Base(s.Filename) != "main.hcl" || s.Start.Line != tc.line {
					t.Errorf("placed at %v; want main.hcl:%d", s, tc.line)
				}
			}
		})
	}
}

// TestSensitiveMarks: a sensitive variable's value stays marked through
// locals and expressions into secret settings, and is refused elsewhere.
func TestSensitiveMarks(t *testing.T) {
	src := `
variable "token" {
  type      = string
  sensitive = true
}
locals {
  bearer = "Bearer ${var.token}"
  length = strlen(var.token)
  chars  = length(var.token)
  items  = length(["a", "b"])
}
platform "chat" "main" {
  token = local.bearer
}
`
	cfg, diags := loadSrc(t, src, testOptions(map[string]string{"HEARTH_VAR_token": "abc"}))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	v, _ := variableValue(t, cfg, "token")
	if !v.IsMarked() || !cfg.Locals["bearer"].IsMarked() || !cfg.Locals["length"].IsMarked() {
		t.Errorf("marks lost: var %v, bearer %v, length %v", v.IsMarked(), cfg.Locals["bearer"].IsMarked(), cfg.Locals["length"].IsMarked())
	}
	if chars, _ := cfg.Locals["chars"].Unmark(); !chars.RawEquals(cty.NumberIntVal(3)) || !cfg.Locals["chars"].IsMarked() {
		t.Errorf("length of a sensitive string: %#v", cfg.Locals["chars"])
	}
	if !cfg.Locals["items"].RawEquals(cty.NumberIntVal(2)) {
		t.Errorf("length of a list: %#v", cfg.Locals["items"])
	}
	tok := cfg.Platforms[0].Settings["token"]
	if !tok.IsMarked() {
		t.Fatal("platform token not marked")
	}
	if inner, _ := tok.Unmark(); inner.AsString() != "Bearer abc" {
		t.Errorf("token = %q", inner.AsString())
	}
	// Shown anywhere else, it is an error; a count computed from it too.
	_, diags = loadSrc(t, src+`
platform "local" "x" {
  workspace = "size ${local.length}"
}`, testOptions(map[string]string{"HEARTH_VAR_token": "abc"}))
	if len(diags) != 1 || diags[0].Summary != "Sensitive value would be shown" {
		t.Errorf("diagnostics:%s", describe(diags))
	}
}

func TestValidations(t *testing.T) {
	src := `
variable "size" {
  type = number
  validation {
    condition     = var.size >= 2
    error_message = "At least 2."
  }
  validation {
    condition     = var.size % 2 == 0
    error_message = "Even sizes only."
  }
}
`
	cases := []struct {
		value string
		want  []string
	}{
		{"4", nil},
		{"1", []string{"var.size: At least 2.", "var.size: Even sizes only."}},
		{"3", []string{"var.size: Even sizes only."}},
	}
	for _, tc := range cases {
		opts := testOptions(nil)
		opts.Vars = []string{"size=" + tc.value}
		_, diags := loadSrc(t, src, opts)
		var got []string
		for _, d := range diags {
			got = append(got, d.Detail)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("size=%s: %q; want %q", tc.value, got, tc.want)
		}
	}
}

// TestLocalsOrder: locals may refer to locals declared later or in
// another file; they are evaluated in dependency order.
func TestLocalsOrder(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"a.hcl": `locals {
  d = "${local.c}-d"
  a = "a"
}`,
		"b.hcl": `locals {
  c = "${local.b}-c"
  b = "${local.a}-b"
  e = [for x in [local.a, local.d] : upper(x)]
}`,
	})
	cfg, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	if got := cfg.Locals["d"]; !got.RawEquals(cty.StringVal("a-b-c-d")) {
		t.Errorf("local.d = %#v", got)
	}
	if got := cfg.Locals["e"]; got.LengthInt() != 2 || got.Index(cty.NumberIntVal(1)).AsString() != "A-B-C-D" {
		t.Errorf("local.e = %#v", got)
	}
}

func TestHCLFunctions(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"rules.md": "Be kind.\n",
		"main.hcl": `locals {
  set      = env("SET_VAR")
  fallback = env("UNSET_VAR", "default")
  empty    = env("EMPTY_VAR", "default")
  rules    = file("rules.md")
  seconds  = duration("1d12h")
  mixed    = duration("2w") / duration("1d")
  std      = join(",", [upper("a"), format("%03d", 7)])
}`,
	})
	cfg, _, diags := config.Load(dir, testOptions(map[string]string{"SET_VAR": "value", "EMPTY_VAR": ""}))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	want := map[string]cty.Value{
		"set":      cty.StringVal("value"),
		"fallback": cty.StringVal("default"),
		"empty":    cty.StringVal(""), // set but empty is still set
		"rules":    cty.StringVal("Be kind.\n"),
		"seconds":  cty.NumberIntVal(36 * 3600),
		"mixed":    cty.NumberIntVal(14),
		"std":      cty.StringVal("A,007"),
	}
	for name, w := range want {
		if got := cfg.Locals[name]; !got.RawEquals(w) {
			t.Errorf("local.%s = %#v; want %#v", name, got, w)
		}
	}

	// Failures are diagnostics at the call.
	for _, tc := range []struct{ expr, want string }{
		{`env("UNSET_VAR")`, `environment variable "UNSET_VAR" is not set`},
		{`file("nope.md")`, "cannot read nope.md: no such file or directory"},
		{`file("/dev/null")`, "not a regular file"},
		{`duration("soon")`, `invalid duration "soon"`},
		{`duration("1d", "2d")`, `Function "duration" expects only 1 argument(s).`},
	} {
		_, diags := loadSrc(t, "locals {\n  x = "+tc.expr+"\n}\n", testOptions(nil))
		if len(diags) != 1 || !strings.Contains(diags[0].Detail, tc.want) || diags[0].Subject.Start.Line != 2 {
			t.Errorf("%s:%s\nwant %q on line 2", tc.expr, describe(diags), tc.want)
		}
	}

	docs := config.HCLFunctionDocs()
	found := 0
	for _, d := range docs {
		if strings.HasPrefix(d.Name, "env(") || strings.HasPrefix(d.Name, "file(") || strings.HasPrefix(d.Name, "duration(") {
			found++
			if d.Doc == "" {
				t.Errorf("%s has no doc", d.Name)
			}
		}
	}
	if found != 3 {
		t.Errorf("HCLFunctionDocs lists %d of env, file and duration", found)
	}
}

func TestFileIsRelativeToTheConfiguration(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"text/hi.txt": "hi",
		"main.hcl":    "locals {\n  x = file(\"text/hi.txt\")\n}\n",
	})
	// Load from another working directory than the configuration's.
	wd, _ := os.Getwd()
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(wd) }()
	cfg, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) > 0 || cfg.Locals["x"].AsString() != "hi" {
		t.Errorf("x = %#v:%s", cfg.Locals["x"], describe(diags))
	}
}

func TestRequiredVersion(t *testing.T) {
	cases := []struct {
		constraint, version string
		ok                  bool
	}{
		{">= 0.1", "0.3.0", true},
		{">= 0.4", "0.3.0", false},
		{">= 0.1, < 0.3", "0.3.0", false},
		{">= 0.1, < 0.4", "0.3.0", true},
		{"~> 0.3", "0.9.1", true},  // 0.x from 0.3
		{"~> 0.3", "1.0.0", false}, // not 1.x
		{"~> 0.3.1", "0.3.5", true},
		{"~> 0.3.1", "0.4.0", false},
		{"~> 0.3.1", "0.3.0", false},
		{"~> 1", "1.9.0", true},
		{"= 0.3.0", "0.3.0", true},
		{"0.3.0", "0.3.0", true},
		{"!= 0.3.0", "0.3.0", false},
		{"> 0.3.0", "v0.3.1", true},
		{"<= 0.3", "0.3.0-rc.1", true}, // pre-release suffixes are ignored
		{">= 9", "", true},             // no version: a development build
		{">= 9", "dev", true},
	}
	for _, tc := range cases {
		opts := testOptions(nil)
		opts.Version = tc.version
		_, diags := loadSrc(t, "hearth {\n  required_version = \""+tc.constraint+"\"\n}\n", opts)
		if ok := !diags.HasErrors(); ok != tc.ok {
			t.Errorf("%q with %q: ok = %v; want %v:%s", tc.constraint, tc.version, ok, tc.ok, describe(diags))
		}
	}
	// A malformed constraint is reported even by a development build.
	for _, c := range []string{">= x", ">=", "1.2.3.4", ">= 1,", "~>"} {
		opts := testOptions(nil)
		opts.Version = ""
		_, diags := loadSrc(t, "hearth {\n  required_version = \""+c+"\"\n}\n", opts)
		if len(diags) != 1 || diags[0].Summary != "Invalid required_version" {
			t.Errorf("%q:%s", c, describe(diags))
		}
	}
}

// TestHeredocRules: a heredoc rule's errors point at the token, on its
// own line, past the indentation <<- strips; corpus markers cannot sit
// inside a heredoc, so this is tested here (and in golden/heredoc).
func TestHeredocRules(t *testing.T) {
	_, diags := loadSrc(t, `segment "s" {
  when = <<-EOT
    member.points > 1 &&
    member.pionts > 2
  EOT
}
tier "t" {
  rank = 1
  when = "true"
  keep = <<-EOT
  EOT
}
`, testOptions(nil))
	if len(diags) != 2 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	if d := diags[0]; !strings.Contains(d.Detail, `"pionts"`) || *d.Subject != (hcl.Range{Filename: d.Subject.Filename, Start: hcl.Pos{Line: 4, Column: 12, Byte: 66}, End: hcl.Pos{Line: 4, Column: 18, Byte: 72}}) {
		t.Errorf("heredoc error at %v:%s", d.Subject, describe(diags))
	}
	if d := diags[1]; !strings.Contains(d.Detail, "The rule is empty") || d.Subject.Start.Line != 10 {
		t.Errorf("empty heredoc:%s", describe(diags))
	}
}

// A state url from a variable with no value is one error, the variable's,
// not a second "Missing state URL".
func TestStateURLFromAMissingVariable(t *testing.T) {
	src := `
variable "database_url" {
  type      = string
  sensitive = true
}
hearth {
  state {
    backend = "postgres"
    url     = var.database_url
  }
}
`
	_, diags := loadSrc(t, src, testOptions(nil))
	var summaries []string
	for _, d := range diags {
		summaries = append(summaries, d.Summary)
	}
	if len(summaries) != 1 || summaries[0] != "No value for required variable" {
		t.Fatalf("diagnostics %q; want the missing variable alone", summaries)
	}
	_, diags = loadSrc(t, `
hearth {
  state {
    backend = "postgres"
  }
}
`, testOptions(nil))
	if len(diags) != 1 || diags[0].Summary != "Missing state URL" {
		t.Fatalf("no url at all: %s", describe(diags))
	}
}

// A var file holds secrets: a mistake in it is placed by file, line and
// column, but its line is not quoted, since the value on it (a token of
// the wrong type, a token under a misspelt name) would go into the CI
// log with the diagnostic.
func TestVarFileLinesNotQuoted(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `variable "token" {
  type      = string
  sensitive = true
}
`})
	vars := filepath.Join(t.TempDir(), "secrets.hcl")
	if err := os.WriteFile(vars, []byte("token = [\"s3cr3t-t0ken-value\"]\ntokn  = \"an0ther-s3cret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(nil)
	opts.VarFiles = []string{vars}
	_, src, diags := config.Load(dir, opts)
	var out bytes.Buffer
	if err := config.WriteDiagnostics(&out, src, diags, "", false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"secrets.hcl line 1, column 9", `The value for "token" is not a string`, "secrets.hcl line 2, column 1", `sets "tokn"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "s3cr3t") || strings.Contains(out.String(), "s3cret") {
		t.Errorf("a secret from the var file is printed:\n%s", out.String())
	}
}
