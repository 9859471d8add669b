package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

// runCLI runs hearth in-process with empty input and no terminal.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code = run(context.Background(), args, s)
	return code, out.String(), errb.String()
}

// -h, -help and --help exit 0 with the usage on stdout, for every
// command and command group, and for the groups' verbs.
func TestHelpExitsZero(t *testing.T) {
	var cmds [][]string
	for _, c := range commands() {
		cmds = append(cmds, []string{c.name})
	}
	cmds = append(cmds, []string{"local", "join"}, []string{"member", "list"}, []string{"member", "show"}, []string{"member", "why"}, []string{"member", "pardon"},
		[]string{"campaign", "show"}, []string{"campaign", "stop"}, []string{"outbox", "list"}, []string{"state", "list"},
		[]string{"import", "stackexchange"}, []string{"state", "prune"}, []string{"template", "render"}, []string{"template", "list"})
	for _, c := range cmds {
		for _, h := range []string{"-h", "-help", "--help"} {
			args := append(append([]string{}, c...), h)
			code, out, errs := runCLI(args...)
			if code != 0 || !strings.Contains(out, "Usage: hearth") {
				t.Errorf("hearth %s: exit %d, stdout %.60q, stderr %.60q; want exit 0 and the usage on stdout", strings.Join(args, " "), code, out, errs)
			}
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "member"}} {
		if code, out, _ := runCLI(args...); code != 0 || !strings.Contains(out, "Usage: hearth") {
			t.Errorf("hearth %s: exit %d", strings.Join(args, " "), code)
		}
	}
}

// A flag error is a usage error: exit 1, on stderr only (stdout may be a
// file a -json output goes to), and short: the error, the synopsis and
// where the rest is, not the whole usage above the one line that matters.
func TestFlagErrorUsageOnStderr(t *testing.T) {
	var cmds [][]string
	for _, c := range commands() {
		cmds = append(cmds, []string{c.name})
	}
	cmds = append(cmds, []string{"member", "list"}, []string{"member", "show"}, []string{"campaign", "show"}, []string{"outbox", "list"},
		[]string{"state", "list"}, []string{"state", "show"}, []string{"import", "stackexchange"}, []string{"local", "join"}, []string{"template", "render"}, []string{"template", "list"})
	for _, c := range cmds {
		args := append(append([]string{}, c...), "-no-such-flag")
		code, out, errs := runCLI(args...)
		if code != 1 || out != "" || errs == "" {
			t.Errorf("hearth %s: exit %d, stdout %.60q, stderr %.80q; want exit 1 and an error on stderr only", strings.Join(args, " "), code, out, errs)
			continue
		}
		// Groups read it as an unknown verb, which is a usage error too.
		if !strings.Contains(errs, "flag provided but not defined: -no-such-flag") {
			continue
		}
		name := strings.Join(c, " ")
		if !strings.HasPrefix(errs, "hearth "+name+": ") || !strings.Contains(errs, "\nUsage: hearth "+name) ||
			!strings.HasSuffix(errs, "Run 'hearth "+name+" -h' for its options and examples.\n") || strings.Count(errs, "\n") > 7 {
			t.Errorf("hearth %s: stderr\n%s\nwant the error, the synopsis and a pointer to -h, in a few lines", strings.Join(args, " "), errs)
		}
	}
}

// A mistyped flag gets the flag it looks like; a value the flag package
// cannot parse gets the form it takes.
func TestFlagErrorSuggests(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "-jsn"}, "flag provided but not defined: -jsn. Did you mean -json?"},
		{[]string{"run", "-lisen", "x"}, "Did you mean -listen?"},
		{[]string{"local", "join", "-nmae", "Ann"}, "Did you mean -name?\nUsage: hearth local join -name NAME [-referrer ID] [-timezone ZONE] [-locale LOCALE] COMMUNITY [DIR]\n"},
		{[]string{"plan", "--detailed-exitcodes"}, "Did you mean -detailed-exitcode?"},
		{[]string{"apply", "-lock-timeout", "5"}, `invalid value "5" for flag -lock-timeout: parse error (a duration such as 30s, 5m or 2h)`},
		{[]string{"replay", "-batch", "many"}, "parse error (a whole number)"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("hearth %s: exit %d, stderr\n%s\nwant it to say %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
	// No suggestion that is further from the typo than the typo is long.
	if _, _, errs := runCLI("member", "show", "-x"); strings.Contains(errs, "Did you mean") {
		t.Errorf("hearth member show -x: %s; want no suggestion", errs)
	}
}

// The command list says what each verb of a group does, in words: the
// list is where a newcomer looks first.
func TestCommandListNamesEveryVerb(t *testing.T) {
	_, out, _ := runCLI("-h")
	for group, words := range map[string][]string{
		"state":    {"List", "show", "remove", "rename", "adopt", "prune"}, // list show rm mv import prune
		"outbox":   {"List", "send", "retry", "drop"},
		"campaign": {"Show", "stop"},
		"member":   {"List", "show", "why", "try an expression", "pardon"}, // list show why eval pardon
		"local":    {"join", "post", "react", "reply", "show", "role"},
		"template": {"List", "render"},
	} {
		var line string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == group {
				line = l
			}
		}
		for _, w := range words {
			if !strings.Contains(line, w) {
				t.Errorf("hearth -h: the %s line does not say %q: %q", group, w, line)
			}
		}
	}
}

// A command group without a verb, or with an unknown one, is a usage
// error: exit 1 (as hearth's usage errors are, 2 and 3 meaning "changes"
// and "not formatted" for plan and fmt; only hearth with no command at
// all exits 2, as the go command does), the usage on stderr.
func TestGroupWithoutVerb(t *testing.T) {
	for _, args := range [][]string{{"local"}, {"member"}, {"campaign"}, {"outbox"}, {"state"}, {"import"}, {"template"}, {"member", "shwo"}, {"outbox", "lst"}, {"template", "rendr"}} {
		code, out, errs := runCLI(args...)
		if code != 1 || out != "" || !strings.Contains(errs, "Usage: hearth") {
			t.Errorf("hearth %s: exit %d, stdout %.60q, stderr %.60q; want exit 1 and the usage on stderr", strings.Join(args, " "), code, out, errs)
		}
	}
	// hearth with no command at all exits 2: TestNoArgumentsIsUsageError.
}

// Every explain topic ends its text with a newline; -json with a topic
// gives that topic's part of the schema, under the whole schema's keys.
func TestExplainTopics(t *testing.T) {
	topics := []string{"", "rules", "functions", "member", "community.fields", "events", "durations", "templates", "outcomes"}
	var walk func(prefix string, b *config.Block)
	walk = func(prefix string, b *config.Block) {
		for _, c := range b.Blocks {
			topics = append(topics, prefix+c.Type)
			walk(prefix+c.Type+".", c)
		}
	}
	walk("", config.Root)
	for typ := range platformSpecs() {
		topics = append(topics, "platform."+typ)
	}
	for _, f := range rules.Functions() {
		topics = append(topics, f.Name)
	}
	for _, e := range rules.StandardEvents() {
		topics = append(topics, e.Name)
	}
	for _, topic := range topics {
		args := []string{"explain"}
		if topic != "" {
			args = append(args, topic)
		}
		code, out, errs := runCLI(args...)
		if code != 0 || !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
			t.Errorf("hearth explain %s: exit %d, stderr %q, output ends %q; want one final newline", topic, code, errs, out[max(0, len(out)-20):])
		}
		if topic == "" {
			continue
		}
		code, out, errs = runCLI("explain", "-json", topic)
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
			t.Errorf("hearth explain -json %s: exit %d, %v, %s", topic, code, err, errs)
			continue
		}
		if doc["topic"] != topic || doc["format_version"] != "1.0" || len(doc) != 3 {
			t.Errorf("hearth explain -json %s: keys %v; want format_version, topic and the topic's part", topic, keys(doc))
		}
	}
	_, out, _ := runCLI("explain", "-json", "tier")
	var doc struct {
		Blocks []struct {
			Type  string
			Attrs []struct{ Name string } `json:"attributes"`
		}
		Events []any `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Blocks) != 1 || doc.Blocks[0].Type != "tier" || len(doc.Blocks[0].Attrs) == 0 || doc.Events != nil {
		t.Errorf("hearth explain -json tier: %v %+v; want the tier block alone", err, doc)
	}
	if code, _, errs := runCLI("explain", "-json", "tire"); code != 1 || !strings.Contains(errs, `Did you mean "tier"?`) {
		t.Errorf("hearth explain -json tire: exit %d, %q", code, errs)
	}
	_, out, _ = runCLI("explain", "-json")
	var whole map[string]any
	if err := json.Unmarshal([]byte(out), &whole); err != nil || whole["blocks"] == nil || whole["events"] == nil || whole["topic"] != nil {
		t.Errorf("hearth explain -json: %v, keys %v; want the whole schema", err, keys(whole))
	}
}

// The README says every command has -h with examples.
func TestEveryUsageHasExamples(t *testing.T) {
	for _, c := range commands() {
		if !strings.Contains(c.usage, "\nExamples:\n  ") {
			t.Errorf("hearth %s -h has no Examples section", c.name)
		}
	}
}

// TestLocalExamplesNameTheirCommunity: each example of hearth local -h
// that names an example directory names one of its communities, so it
// can be pasted as it is.
func TestLocalExamplesNameTheirCommunity(t *testing.T) {
	for _, line := range strings.Split(localUsage, "\n") {
		words := strings.Fields(line)
		if len(words) < 4 || words[0] != "hearth" || words[1] != "local" || !strings.HasPrefix(words[len(words)-1], "examples/") {
			continue
		}
		dir := "../../" + words[len(words)-1]
		cfg, _, diags := config.Load(dir, config.Options{Platforms: platformSpecs()})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", dir, diags.Error())
		}
		named := false
		for _, c := range cfg.Communities {
			for _, w := range words[2 : len(words)-1] {
				named = named || w == c.Name
			}
		}
		// post and react name no community; serve names a platform and
		// ends with what to apply against it, in a comment.
		if !named && words[2] != "post" && words[2] != "react" && words[2] != "serve" {
			t.Errorf("%q names no community of %s", strings.TrimSpace(line), dir)
		}
	}
}

// A missing or extra argument is answered as a flag error is: what is
// wrong, the synopsis and a pointer to -h; and it is found before a
// configuration is read, so it is the error reported wherever the
// command runs (here, in an empty directory).
func TestMissingArguments(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		name string // the command, as the error names it
		args []string
	}{
		{"member show", nil},
		{"member why", []string{"u07"}},
		{"member eval", []string{"u07"}},
		{"member pardon", nil},
		{"campaign show", nil},
		{"campaign stop", nil},
		{"template render", nil},
		{"template render", []string{"a", "b", "c"}},
		{"outbox retry", nil},
		{"state show", nil},
		{"state mv", []string{"a"}},
		{"state import", []string{"community.c"}},
		{"show", nil},
		{"force-unlock", nil},
		{"import stackexchange", nil},
		{"explain", []string{"tier", "badge"}},
		{"validate", []string{"a", "b"}},
		{"apply", []string{"a", "b", "c"}},
		{"local join", nil},
		{"local join", []string{"-name", "Ann"}},
		{"local post", []string{"-member", "mb-1", "hello"}},
		{"local react", []string{"-member", "mb-1"}},
		{"local reply", []string{"-member", "mb-1", "club"}},
		{"local show", []string{"dms"}},
		{"local role", []string{"-member", "mb-1", "club"}},
		{"local show", []string{"dm", "club"}},
	} {
		args := append(strings.Fields(tc.name), tc.args...)
		code, out, errs := runCLI(args...)
		if code != 1 || out != "" || !strings.HasPrefix(errs, "hearth "+tc.name+": ") || !strings.Contains(errs, "\nUsage: hearth "+tc.name+" ") ||
			!strings.HasSuffix(errs, "Run 'hearth "+tc.name+" -h' for its options and examples.\n") || strings.Count(errs, "\n") != 3 {
			t.Errorf("hearth %s: exit %d, stdout %q, stderr\n%s\nwant exit 1 and three lines: the problem, the synopsis of %s, a pointer to -h", strings.Join(args, " "), code, out, errs, tc.name)
		}
	}
}

// Every command's -h names at least one other command, the one to turn
// to next or instead: help that ends at its own command leaves a
// newcomer to guess where the rest is.
func TestEveryUsageNamesARelatedCommand(t *testing.T) {
	for _, c := range commands() {
		related := false
		for _, o := range commands() {
			if o.name != c.name && regexp.MustCompile(`hearth `+regexp.QuoteMeta(o.name)+`\b`).MatchString(c.usage) {
				related = true
			}
		}
		if !related {
			t.Errorf("hearth %s -h names no other hearth command", c.name)
		}
	}
}

// The examples hearth explain prints are what hearth fmt writes: they are
// copied into configurations, which CI checks with hearth fmt -check.
func TestExplainExamplesAreFormatted(t *testing.T) {
	examples := map[string]string{}
	var walk func(prefix string, b *config.Block)
	walk = func(prefix string, b *config.Block) {
		for _, c := range b.Blocks {
			examples[prefix+c.Type] = c.Example
			walk(prefix+c.Type+".", c)
		}
	}
	walk("", config.Root)
	for typ, spec := range platformSpecs() {
		examples["platform."+typ] = spec.Example
	}
	checked := 0
	for topic, ex := range examples {
		if strings.TrimSpace(ex) == "" {
			continue
		}
		src := []byte(strings.TrimSpace(ex) + "\n")
		out, res := config.Format(src, topic)
		if res.HasErrors() {
			t.Errorf("hearth explain %s: the example does not parse: %v\n%s", topic, res.Diagnostics, src)
			continue
		}
		checked++
		if !bytes.Equal(out, src) {
			t.Errorf("hearth explain %s: the example is not as hearth fmt writes it; formatted:\n%s", topic, out)
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d examples; has their form changed?", checked)
	}
}

// A rule function's example, as hearth explain prints it and as the hint
// of a compile error gives it, can be pasted into a rule's string as it
// is: single quotes inside, as hearth explain rules says to write them.
func TestFunctionExamplesPasteIntoRules(t *testing.T) {
	for _, f := range rules.Functions() {
		src := `when = "` + f.Example + `"` + "\n"
		if _, diags := hclsyntax.ParseConfig([]byte(src), "example.hcl", hcl.InitialPos); diags.HasErrors() || strings.Contains(f.Example, `"`) {
			t.Errorf("%s: example %s cannot be pasted into when = \"...\": %v", f.Name, f.Example, diags)
		}
	}
}

// hearth run -h sends a reader who wants a backup to hearth state backup,
// as the README does, not to copying files (which tears a running state
// and, done by hand, is easy to get wrong), and names every command that
// goes through the daemon's API or refuses beside it.
func TestRunHelpBackupAndCommandsBesideIt(t *testing.T) {
	_, out, _ := runCLI("run", "-h")
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "Back it up with 'hearth state backup', running or not") {
		t.Errorf("hearth run -h does not point to hearth state backup:\n%s", out)
	}
	if strings.Contains(flat, "state.db* files together") {
		t.Errorf("hearth run -h still says to copy the state files by hand:\n%s", out)
	}
	for _, c := range []string{"member pardon, forget and unsuppress", "state prune, state restore, outbox send"} {
		if !strings.Contains(flat, c) {
			t.Errorf("hearth run -h does not name %q among the commands beside the daemon", c)
		}
	}
}

// hearth run -h teaches how the watcher reads a change: the settle
// window, the hold of an emptied file and how to remove one's blocks.
func TestRunHelpReloadSettleAndGrace(t *testing.T) {
	_, out, _ := runCLI("run", "-h")
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"-reload-settle duration", "(default 500ms)", "-reload-grace duration", "(default 10s)",
		"is taken as a save under way", "To remove a file's blocks at once, delete the file.",
		"SIGHUP and POST /v1/reload read the files as they are", "hearth_config_reload_held", "removed_campaigns",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("hearth run -h lacks %q:\n%s", want, out)
		}
	}
}

// hearth with no arguments is a usage error: the usage on stderr,
// nothing on stdout, exit 1 as for every usage error.
func TestNoArgumentsIsUsageError(t *testing.T) {
	code, out, errs := runCLI()
	if code != 1 || out != "" || !strings.Contains(errs, "Usage: hearth <command>") || !strings.Contains(errs, "Commands:") || !strings.Contains(errs, "  destroy ") {
		t.Fatalf("hearth: exit %d, stdout %.60q, stderr %.80q; want exit 1 and the usage on stderr", code, out, errs)
	}
}
