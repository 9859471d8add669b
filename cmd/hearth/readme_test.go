package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hearth-community/hearth/engine/config"
)

// The README's HCL is what hearth fmt writes: readers copy it.
func TestReadmeHCLIsFormatted(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```hcl\n(.*?)^```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no hcl blocks in the README; has its form changed?")
	}
	for i, b := range blocks {
		out, res := config.Format(b[1], "README.md")
		if res.HasErrors() {
			t.Errorf("README hcl block %d does not parse: %v\n%s", i+1, res.Diagnostics, b[1])
			continue
		}
		if !bytes.Equal(out, b[1]) {
			t.Errorf("README hcl block %d is not in canonical style (hearth fmt -check would exit 3); formatted:\n%s", i+1, out)
		}
	}
}

// A block written inline in the READMEs (`grant { points = 5 }`) parses
// as HCL, so it can be copied: HCL allows one argument in a one-line
// block, and two (`moved { from = "a" to = "b" }`) are a syntax error.
// Spans with "..." are sketches, not copied.
func TestReadmeInlineHCLParses(t *testing.T) {
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	readmes = append([]string{"../../README.md"}, readmes...)
	span := regexp.MustCompile("`([a-z_]+(?: \"[^\"`]*\")* \\{ [^`]*= [^`]*\\})`")
	checked := 0
	for _, readme := range readmes {
		src, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range span.FindAllSubmatch(src, -1) {
			if bytes.Contains(m[1], []byte("...")) {
				continue
			}
			checked++
			if _, diags := hclsyntax.ParseConfig(m[1], "README.md", hcl.InitialPos); diags.HasErrors() {
				t.Errorf("%s: `%s` is not valid HCL: %v", readme, m[1], diags)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no inline HCL block found in the READMEs; has their form changed?")
	}
}

// headingAnchors are the anchors GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces as hyphens.
func headingAnchors(src string) map[string]bool {
	out := map[string]bool{}
	inCode := false
	drop := regexp.MustCompile(`[^\p{L}\p{N}_ -]`)
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(title), ""), " ", "-")] = true
	}
	return out
}

// Every relative link of the READMEs leads somewhere: the file exists,
// and a #fragment names a heading of it.
func TestReadmeLinks(t *testing.T) {
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	readmes = append([]string{"../../README.md"}, readmes...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	checked := 0
	for _, readme := range readmes {
		src, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(src), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			file := readme
			if path != "" {
				file = filepath.Join(filepath.Dir(readme), path)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				if _, statErr := os.Stat(file); statErr != nil {
					t.Errorf("%s: link %s: %v", readme, target, statErr)
				}
				continue // a directory
			}
			if frag != "" && !headingAnchors(string(body))[frag] {
				t.Errorf("%s: link %s: %s has no heading #%s", readme, target, file, frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link in the READMEs; has their form changed?")
	}
}

// readmeCommands are the hearth command lines of a README that name
// something under examples/, from its code blocks and inline code, as
// the words after "hearth": "simulate -events examples/... examples/...".
func readmeCommands(t *testing.T, path string) [][]string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// "hearth", "./hearth", "/tmp/hearth" or "go run ./cmd/hearth", at
	// the start of a line of a code block or of an inline code span.
	re := regexp.MustCompile("(?m)(?:^|`)(?:go run \\./cmd/|\\S*/)?hearth ([a-z][^`\n]*)")
	var cmds [][]string
	for _, m := range re.FindAllSubmatch(src, -1) {
		line := string(m[1])
		for _, cut := range []string{" #", " |", " &", " >", " ||"} {
			line, _, _ = strings.Cut(line, cut)
		}
		if strings.Contains(line, "examples/") {
			cmds = append(cmds, strings.Fields(line))
		}
	}
	return cmds
}

// Every command in the READMEs that names a file under examples/ names
// one that exists, and the commands that only read (simulate, test,
// validate, fmt -check, graph) run as written and succeed.
func TestReadmeCommands(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	readmes = append([]string{"../../README.md"}, readmes...)
	var toRun [][]string
	for _, readme := range readmes {
		cmds := readmeCommands(t, readme)
		if readme == "../../README.md" && len(cmds) < 5 {
			t.Fatalf("found %d commands naming examples/ in the README; has its form changed?", len(cmds))
		}
		for _, c := range cmds {
			for _, w := range c {
				w = strings.TrimPrefix(w, "@")
				if !strings.HasPrefix(w, "examples/") {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, w)); err != nil {
					t.Errorf("%s: hearth %s: %s does not exist", readme, strings.Join(c, " "), w)
				}
			}
			if slices.ContainsFunc(c, filepath.IsAbs) {
				continue // reads what an earlier step wrote (/tmp/conlang.jsonl)
			}
			switch c[0] {
			case "simulate", "test", "validate", "graph", "fmt":
				if c[0] != "fmt" || strings.Contains(strings.Join(c, " "), "-check") {
					toRun = append(toRun, c)
				}
			}
		}
	}
	if len(toRun) == 0 {
		t.Fatal("no README command to run")
	}
	// Run them from an empty directory, with examples/ pointing into the
	// repository and $out, where the README has reports written, a
	// directory of their own.
	t.Chdir(t.TempDir())
	out := t.TempDir()
	for _, c := range toRun {
		args := make([]string, len(c))
		for i, w := range c {
			if strings.HasPrefix(w, "examples/") {
				w = filepath.Join(root, w)
			}
			args[i] = strings.ReplaceAll(w, "$out", out)
		}
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		t.Logf("hearth %s", strings.Join(c, " "))
		if code := run(context.Background(), args, s); code != 0 {
			t.Errorf("hearth %s: exit %d\n%s%s", strings.Join(c, " "), code, out.String(), errb.String())
		}
	}
}

// The READMEs' commands that run in the clone (they name examples/)
// write their files outside it: a flag that names a file to write takes
// $out (a directory the reader chose) or an absolute path, so following
// a README leaves the clone as it was.
func TestReadmeCommandsWriteOutsideTheClone(t *testing.T) {
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	readmes = append([]string{"../../README.md"}, readmes...)
	writes := map[string]bool{"-html": true, "-report-json": true, "-outcomes": true, "-out": true}
	for _, readme := range readmes {
		for _, c := range readmeCommands(t, readme) {
			for i, w := range c {
				name, val, eq := strings.Cut(w, "=")
				if !writes[name] {
					continue
				}
				if !eq {
					if i+1 >= len(c) {
						continue
					}
					val = c[i+1]
				}
				if !strings.HasPrefix(val, "$") && !filepath.IsAbs(val) {
					t.Errorf("%s: hearth %s writes %s %s into the clone; write it to $out/... (out=$(mktemp -d))", readme, strings.Join(c, " "), name, val)
				}
			}
		}
		// The same for a shell redirection on a code block's line that
		// runs in the clone (it names examples/): hearth graph ... | dot
		// -Tsvg > FILE.
		src, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		redirect := regexp.MustCompile(`(?:^|\s)>>?\s*([^\s&|;]+)`)
		inBlock := false
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "```") {
				inBlock = !inBlock
				continue
			}
			code, _, _ := strings.Cut(line, " #")
			if !inBlock || !strings.Contains(code, "examples/") {
				continue
			}
			for _, m := range redirect.FindAllStringSubmatch(code, -1) {
				if !strings.HasPrefix(m[1], "$") && !filepath.IsAbs(m[1]) && m[1] != "/dev/null" {
					t.Errorf("%s: %q writes %s into the clone; write it to $out/... or /tmp/...", readme, strings.TrimSpace(code), m[1])
				}
			}
		}
	}
}

// The README's command table names only commands and flags that exist:
// a flag in a command's synopsis (`hearth plan [-out FILE] ...`) is in
// its -h options, and one in the description is in its -h text.
func TestReadmeCommandTable(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `hearth ([^`]*)` \\|(.*)\\|$")
	flag := regexp.MustCompile(`(?:^|[\s\[(` + "`" + `])(-[a-z][a-z-]*)`)
	verb := regexp.MustCompile(`^[a-z][a-z-]*$`)
	rows := row.FindAllStringSubmatch(string(src), -1)
	if len(rows) < 20 {
		t.Fatalf("found %d rows of the command table; has its form changed?", len(rows))
	}
	listed := map[string]bool{} // "member show", "state rm": a verb the table has
	for _, r := range rows {
		words := strings.Fields(r[1])
		args := []string{words[0]}
		if len(words) > 1 {
			// A group's verb, or its first one of list\|show\|...
			verbs := strings.Split(strings.ReplaceAll(words[1], `\|`, "|"), "|")
			if verb.MatchString(verbs[0]) {
				args = append(args, verbs[0])
			}
			for _, v := range verbs {
				listed[words[0]+" "+v] = true
			}
		}
		code, help, errs := runCLI(append(args, "-h")...)
		if code != 0 {
			t.Errorf("hearth %s -h: exit %d: %s", strings.Join(args, " "), code, errs)
			continue
		}
		for _, m := range flag.FindAllStringSubmatch(r[1], -1) {
			// The flag package puts a one-letter flag's text on its line,
			// after a tab: "  -v\tPrint ...".
			if !strings.Contains(help, "\n  "+m[1]+" ") && !strings.Contains(help, "\n  "+m[1]+"\n") && !strings.Contains(help, "\n  "+m[1]+"\t") {
				t.Errorf("README: hearth %s names %s, which 'hearth %s -h' does not list among its options", r[1], m[1], strings.Join(args, " "))
			}
		}
		for _, m := range flag.FindAllStringSubmatch(r[2], -1) {
			if !strings.Contains(help, m[1]) {
				t.Errorf("README: the row of hearth %s names %s, which 'hearth %s -h' does not mention", words[0], m[1], strings.Join(args, " "))
			}
		}
	}
	// Every verb of a command group, as its -h synopsis lists them, has
	// a place in the table: a new subcommand is where a reader looks.
	synopsis := regexp.MustCompile(`(?m)^(?:Usage: |       )hearth ([a-z]+) ([a-z|]+)`)
	for _, group := range []string{"state", "member", "outbox", "campaign", "local", "template"} {
		_, help, _ := runCLI(group, "-h")
		found := 0
		for _, m := range synopsis.FindAllStringSubmatch(help, -1) {
			for _, v := range strings.Split(m[2], "|") {
				found++
				if !listed[m[1]+" "+v] {
					t.Errorf("README: the command table has no row for hearth %s %s, which 'hearth %s -h' lists", m[1], v, group)
				}
			}
		}
		if found < 2 {
			t.Errorf("found %d verbs in 'hearth %s -h'; has its synopsis changed?", found, group)
		}
	}
}

// A row of the README's command table that gives a command's options
// gives them all: a reader takes `hearth apply [...] DIR` for the whole
// synopsis, and an option left out of it (apply's -target and removal
// guard were) goes unknown. -var, -var-file and -no-color, which every
// command that reads a configuration or colors takes, are said once
// under the table. Rows of a group's verbs are left out: the group's -h
// lists the options of all its verbs.
func TestReadmeCommandTableRowsAreWhole(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, common := range []string{"`-var NAME=VALUE`", "`-var-file FILE`", "`-no-color`"} {
		if !strings.Contains(string(src), common) {
			t.Errorf("README: no %s, which the command table leaves to the text under it", common)
		}
	}
	row := regexp.MustCompile("(?m)^\\| `hearth ([a-z-]+) ([^`]*\\[-[^`]*)` \\|(.*)\\|$")
	option := regexp.MustCompile(`(?m)^  (-[a-z][a-z-]*)`)
	groups := map[string]bool{"local": true, "member": true, "state": true, "outbox": true, "campaign": true, "import": true}
	checked := 0
	for _, r := range row.FindAllStringSubmatch(string(src), -1) {
		if groups[r[1]] {
			continue
		}
		checked++
		_, help, _ := runCLI(r[1], "-h")
		_, opts, _ := strings.Cut(help, "\nOptions:\n")
		for _, m := range option.FindAllStringSubmatch(opts, -1) {
			if m[1] == "-var" || m[1] == "-var-file" || m[1] == "-no-color" {
				continue
			}
			if !regexp.MustCompile(`(^|[^a-z-])` + m[1] + `($|[^a-z-])`).MatchString(r[0]) {
				t.Errorf("README: the row of hearth %s lists options but not %s, which 'hearth %s -h' has", r[1], m[1], r[1])
			}
		}
	}
	if checked < 5 {
		t.Fatalf("found %d rows of the command table with options; has its form changed?", checked)
	}
}

// The README's Members' data commands run as written on a state of the
// quickstart's members, from the configuration directory ("."), and do
// what the text says: export prints u07's data, forget erases it, and
// forget -suppress refuses u07's later events until unsuppress. Standard
// input is empty here, so forget answers as in a script that pipes
// nothing: it cancels, naming -auto-approve, which the README's comment
// names, and the test then adds it.
func TestReadmeMembersDataCommands(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n### Members' data\n")
	if !ok {
		t.Fatal("the README has no Members' data section")
	}
	_, block, _ := strings.Cut(section, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var cmds [][]string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		line, _, _ = strings.Cut(line, " #")
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "hearth" {
			t.Fatalf("README Members' data: %q is not a hearth command", line)
		}
		cmds = append(cmds, words[1:])
	}
	if len(cmds) != 4 {
		t.Fatalf("found %d commands in the Members' data block; has its form changed?", len(cmds))
	}
	dir := exampleCopy(t, "quickstart", nil)
	if code, _, errs := runCLI("replay", "-events", "../../examples/quickstart/events.jsonl", dir); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, errs)
	}
	t.Chdir(dir)
	for i, c := range cmds {
		code, out, errs := runCLI(c...)
		if c[1] == "forget" {
			if code != 1 || !strings.Contains(errs, "-auto-approve") {
				t.Errorf("hearth %s with no answer: exit %d, %s; want exit 1 naming -auto-approve", strings.Join(c, " "), code, errs)
			}
			code, out, errs = runCLI(append([]string{c[0], c[1], "-auto-approve"}, c[2:]...)...)
		}
		if code != 0 {
			t.Fatalf("hearth %s: exit %d\n%s%s", strings.Join(c, " "), code, out, errs)
		}
		switch i {
		case 0:
			if !strings.Contains(out, `"member": "u07"`) || !strings.Contains(out, `"name": "Gus"`) {
				t.Errorf("hearth %s printed no export of u07:\n%.400s", strings.Join(c, " "), out)
			}
		case 1:
			if !strings.HasPrefix(out, "Forgot member u07: state erased,") {
				t.Errorf("hearth %s: %s; want it to say what it removed", strings.Join(c, " "), out)
			}
		case 2:
			if !strings.Contains(out, "Suppressed: later events for u07 are refused") {
				t.Errorf("hearth %s: %s; want u07 suppressed", strings.Join(c, " "), out)
			}
		case 3:
			if !strings.Contains(out, "Lifted the suppression of u07") {
				t.Errorf("hearth %s: %s; want the suppression lifted", strings.Join(c, " "), out)
			}
		}
		if i == 0 {
			continue
		}
		// After forget, the store keeps no state of u07 (an export says
		// nothing is kept, or, while suppressed, only that).
		if code, out, _ := runCLI("member", "export", "u07", "."); code == 0 && !strings.Contains(out, `"state": null`) {
			t.Errorf("after hearth %s, export u07 still has its state:\n%.400s", strings.Join(c, " "), out)
		}
	}
}
