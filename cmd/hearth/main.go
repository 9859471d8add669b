// Command hearth is the community-as-code CLI: validate, format, explain,
// plan and apply community configurations, and run the rule daemon.
//
// The command is thin: it parses flags, calls into engine/ and prints.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/hearth-community/hearth/adapters/dingtalk"
	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/discourse"
	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/feishu"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/adapters/slack"
	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/adapters/wecom"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/termsafe"
)

// Version is hearth's version, checked against required_version.
const Version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C asks the command to stop cleanly (apply finishes
	// the change in hand and records it); a second one ends the process
	// at once, as in Terraform, instead of being swallowed while that
	// takes long or hangs on a platform that does not answer.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], newIO())
	stop()
	os.Exit(code)
}

// stdio is what a command reads and writes; tests substitute it.
type stdio struct {
	in        io.Reader
	out, err  io.Writer
	inTTY     bool // apply asks for confirmation only on a terminal
	outTTY    bool
	errTTY    bool
	lookupEnv func(string) (string, bool)
	// environ lists the environment, for the HEARTH_VAR_ names close to
	// a declared variable's (config.Options.Environ); nil lists none.
	environ func() []string
	noColor bool // -no-color
	// now is the clock of commands whose output depends on it (state
	// prune); nil is time.Now.
	now func() time.Time
}

func (s *stdio) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func newIO() *stdio { return fileIO(os.Stdin, os.Stdout, os.Stderr, term.IsTerminal) }

// fileIO is the stdio of a process whose standard files are in, out and
// errw; isTerminal says which are terminals.
func fileIO(in, out, errw *os.File, isTerminal func(fd int) bool) *stdio {
	s := &stdio{
		in: in, out: out, err: errw,
		inTTY:     isTerminal(int(in.Fd())),
		outTTY:    isTerminal(int(out.Fd())),
		errTTY:    isTerminal(int(errw.Fd())),
		lookupEnv: os.LookupEnv,
		environ:   os.Environ,
	}
	// What members wrote (names, messages) and what platforms answered
	// is printed among hearth's own lines: on a terminal, its escape
	// sequences are shown as text rather than obeyed. Pipes and files get
	// the bytes as they are, and -json output escapes them itself.
	if s.outTTY {
		s.out = termsafe.NewWriter(out)
	}
	if s.errTTY {
		s.err = termsafe.NewWriter(errw)
	}
	return s
}

// color says whether to color an output: on a terminal, unless NO_COLOR
// or -no-color.
func (s *stdio) color(tty bool) bool {
	if _, ok := s.lookupEnv("NO_COLOR"); ok || s.noColor {
		return false
	}
	return tty
}

// registerNoColor adds -no-color, as Terraform has, to a command that
// colors its output.
func (s *stdio) registerNoColor(fs *flag.FlagSet) {
	fs.BoolVar(&s.noColor, "no-color", false, "Never color the output (as NO_COLOR does).")
}

type command struct {
	name     string
	synopsis string
	usage    string // shown by -h, after the flags
	run      func(ctx context.Context, s *stdio, args []string) int
}

func commands() []command {
	return []command{
		{"init", "Write a working starter configuration", initUsage, runInit},
		{"validate", "Check a configuration and report every problem", validateUsage, runValidate},
		{"fmt", "Rewrite configuration files in the canonical style", fmtUsage, runFmt},
		{"explain", "Print the reference of blocks, attributes, functions and events", explainUsage, runExplain},
		{"graph", "Print the dependency graph of a configuration in DOT", graphUsage, runGraph},
		{"plan", "Show what apply would change on the platforms", planUsage, runPlan},
		{"apply", "Change the platforms to match the configuration", applyUsage, runApply},
		{"destroy", "Destroy everything hearth manages (what its state holds), after showing the plan", destroyUsage, runDestroy},
		{"drift", "Show what changed on the platforms outside hearth", driftUsage, runDrift},
		{"show", "Print a plan saved with hearth plan -out", showUsage, runShow},
		{"state", "List, show, remove, rename or adopt the platform resources hearth manages; prune old event ids and history; back the state up and restore it", stateUsage, runState},
		{"force-unlock", "Remove an apply lock left by a crashed apply", forceUnlockUsage, runForceUnlock},
		{"import", "Turn another platform's history into events, or adopt a platform object", importUsage, runImport},
		{"run", "Run the daemon: take events over HTTP, apply rules, run timers, hot-reload", runUsage(), runRun},
		{"local", "Act as members on the built-in local platform: join, post, react, reply, show; give a role, or make, change or delete a channel or role, by hand; serve a stand-in Discourse, Discord, Slack or Telegram", localUsage, runLocal},
		{"replay", "Apply events to the state store, skipping those already applied", replayUsage, runReplay},
		{"member", "List members, show one member's state, why a rule decides for them, try an expression on them, pardon their strikes, export or erase their data", memberUsage, runMember},
		{"campaign", "Show how a campaign is doing (A/B variants compared), or stop it", campaignUsage, runCampaign},
		{"template", "List the templates and what sends them, or render one as a member would get it", templateUsage, runTemplate},
		{"outbox", "List, send, retry or drop the actions waiting to be sent", outboxUsage, runOutbox},
		{"test", "Run the rule unit tests in *.hearthtest.hcl files", testUsage, runTest},
		{"simulate", "Replay events through the rules in a sandbox and report what they did", simulateUsage, runSimulate},
		{"report", "Print the community health report: retention, activity, funnel, referrals, points, value, NPS", reportUsage, runReport},
		{"bench", "Measure the engine on this machine and print the figures", benchUsage, runBench},
		{"version", "Print hearth's version", versionUsage, runVersion},
	}
}

const mainUsage = `hearth keeps an online community's playbook as code: communities, segments,
tiers, incentives and campaigns in HCL files, checked, planned and applied
like infrastructure, and run by a daemon that reacts to member events.

Usage: hearth <command> [options] [DIR]

Commands:
%s
Exit status, for scripts and CI:
  0  success (plan, drift: nothing to change)
  1  an error, a usage mistake, an invalid configuration, a failed test
  2  plan, drift, simulate with -detailed-exitcode: there are changes
     (platform changes or members that would move; drift; a rules change
     that changes outcomes)
  3  fmt -check: a file is not formatted
drift -detailed-exitcode exits 1, not 0, when state holds nothing while
the configured communities are on their platforms (a missing state).

Every command takes -h for its options and examples. Start with:

  hearth init mycommunity        # write a starter configuration
  hearth validate mycommunity    # check it
  hearth explain                 # the language reference
`

func run(ctx context.Context, args []string, s *stdio) int {
	// No command is a usage error, as a mistyped flag or command is: the
	// usage on stderr (stdout may be a file a command's output was meant
	// for) and exit 1, hearth's code for every usage error, since 2 means
	// "changes pending" to plan -detailed-exitcode. Asked for, help goes
	// to stdout and exits 0.
	if len(args) == 0 {
		printMainUsage(s.err)
		return 1
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" && len(args) == 1 {
		printMainUsage(s.out)
		return 0
	}
	if args[0] == "help" {
		args = []string{args[1], "-h"}
	}
	if args[0] == "-v" || args[0] == "-version" || args[0] == "--version" {
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, s, args[1:])
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	fmt.Fprintf(s.err, "hearth: unknown command %q.%s\nRun 'hearth -h' for the list of commands.\n", args[0], didYouMean(args[0], names))
	return 1
}

func printMainUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.synopsis)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// isHelp says whether a command group's first argument asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// groupUsage answers a command group (local, member, outbox ...) called
// without one of its verbs: usage on stdout and 0 when help was asked
// for, usage on stderr and 1 when the verb is missing or unknown.
func groupUsage(s *stdio, args []string, usage string) int {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(s.out, usage)
		return 0
	}
	fmt.Fprint(s.err, usage)
	return 1
}

// unknownVerb answers a group called with a verb it does not have, the
// way a mistyped flag is answered: the problem with a suggestion, the
// group's synopsis and where the rest is, rather than the whole usage
// without a word of what was wrong.
func unknownVerb(s *stdio, group, verb string, verbs []string, usage string) int {
	list := strings.Join(verbs[:len(verbs)-1], ", ") + " or " + verbs[len(verbs)-1]
	head, _, _ := strings.Cut(usage, "\n\n")
	msg := fmt.Sprintf("unknown subcommand %q; use %s.%s", verb, list, didYouMean(verb, verbs))
	if strings.HasPrefix(verb, "-") {
		msg = fmt.Sprintf("the subcommand (%s) comes first, then options such as %s", list, verb)
	}
	fmt.Fprintf(s.err, "hearth %s: %s\n%s\nRun 'hearth %s -h' for its options and examples.\n", group, msg, head, group)
	return 1
}

// newFlags makes a flag set whose -h prints the command's usage.
// The usage goes to stdout when asked for (-h). A flag error gets a
// short answer on stderr: the error, a suggestion for a mistyped flag,
// the synopsis and where the rest is, since the whole usage (run's is 160
// lines) would bury the one line that matters; and nothing goes to
// stdout, so "hearth plan -jsn > plan.json" writes no usage into the file.
func newFlags(s *stdio, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("hearth "+name, flag.ContinueOnError)
	// The flag package writes a flag error's message to the output before
	// calling Usage, and nothing before the Usage of -h: that tells them
	// apart, and Usage words the message.
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {
		if msg.Len() > 0 {
			text := strings.TrimSpace(msg.String())
			msg.Reset()
			fmt.Fprintf(s.err, "hearth %s: %s%s\n%s\nRun 'hearth %s -h' for its options and examples.\n", name, text, flagSuggestion(fs, text), synopsis(name, usage), name)
			return
		}
		fmt.Fprint(s.out, usage)
		var opts bytes.Buffer
		if printOptions(&opts, fs) {
			fmt.Fprint(s.out, "\nOptions:\n", opts.String())
		}
	}
	return fs
}

// flagSuggestion adds to a flag error what the user more likely meant:
// the flag an unknown one looks like, or the form a value takes where the
// flag package only says "parse error".
func flagSuggestion(fs *flag.FlagSet, errText string) string {
	if bad, ok := strings.CutPrefix(errText, "flag provided but not defined: -"); ok {
		bad = strings.TrimLeft(bad, "-")
		best, bestD := "", 3
		fs.VisitAll(func(f *flag.Flag) {
			if d := editDistance(bad, f.Name); d < bestD && d < len(bad) {
				best, bestD = flagName(f), d
			}
		})
		if best == "" {
			return ""
		}
		return fmt.Sprintf(". Did you mean -%s?", best)
	}
	_, name, ok := strings.Cut(errText, " for flag -")
	if !ok || !strings.HasSuffix(errText, ": parse error") {
		return ""
	}
	name, _, _ = strings.Cut(name, ":")
	f := fs.Lookup(name)
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return " (a duration such as 30s, 5m or 2h)"
	case int, int64, uint, uint64:
		return " (a whole number)"
	case bool:
		return " (true or false)"
	}
	return ""
}

// synopsis is the Usage lines at the top of a command's usage: for a
// group's verb ("local join"), only the verb's own line when it has one,
// there or in the text before the examples ("  hearth state show ADDR
// [DIR]      one resource ...").
func synopsis(name, usage string) string {
	head, _, _ := strings.Cut(usage, "\n\n")
	text, _, _ := strings.Cut(usage, "\nExamples:")
	for _, part := range []string{head, text} {
		for _, line := range strings.Split(part, "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "Usage:"))
			if strings.HasPrefix(line, "hearth "+name+" ") {
				line, _, _ = strings.Cut(line, "   ")
				return "Usage: " + line
			}
		}
	}
	return head
}

// parse parses flags, allowing them after positional arguments too
// ("hearth validate DIR -json"), and returns the positional arguments.
// It returns ok=false with the exit code when parsing ends the command.
func parse(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 1, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// varFlags collects -var and -var-file, in order.
type varFlags struct {
	vars  []string
	files []string
	// readOnly marks a command that only reads or edits the state store
	// and reaches no platform: sensitive variables (tokens) may go unset,
	// and a credential without a value is no warning (but for checker).
	readOnly bool
	// checker marks validate: read-only, yet the command that says what
	// the other commands will meet, a credential without a value too.
	checker bool
	// quietCredentials leaves out the warnings about credentials
	// without a value for a command that is not read-only but reaches
	// no platform that needs one (hearth local).
	quietCredentials bool
	// stateOnly marks a command that needs no more of the configuration
	// than where its state lives (state list, show, rm, mv): no variable
	// needs a value, as none does for Terraform's state commands.
	stateOnly bool
	// baseDir is where relative paths in the files resolve, when not
	// the directory read (plan -live).
	baseDir string
}

func (v *varFlags) register(fs *flag.FlagSet) {
	fs.Func("var", "Set a variable: -var `NAME=VALUE` (repeatable).", func(s string) error { v.vars = append(v.vars, s); return nil })
	fs.Func("var-file", "Read variables from an HCL `FILE` of name = value lines (repeatable).", func(s string) error { v.files = append(v.files, s); return nil })
}

func (v *varFlags) options(s *stdio) config.Options {
	return config.Options{Vars: v.vars, VarFiles: v.files, LookupEnv: s.lookupEnv, Environ: s.environ, Platforms: platformSpecs(), Version: Version, SecretsOptional: v.readOnly, ValuesOptional: v.stateOnly, BaseDir: v.baseDir,
		QuietCredentials: v.quietCredentials || v.readOnly && !v.checker}
}

// platformSpecs are the settings of every platform type this binary has.
func platformSpecs() map[string]config.PlatformSpec {
	return registry().Specs()
}

// registry holds every platform adapter this binary has.
func registry() *platform.Registry {
	reg, err := platform.NewRegistry(local.New(), discord.New(), telegram.New(), slack.New(), discourse.New(), matrix.New(), email.New(), webhook.New(), wecom.New(), feishu.New(), dingtalk.New())
	if err != nil {
		// Only two adapters of one type or a mismatched spec get here: a
		// mistake in this list, which every test of the command hits.
		panic(err)
	}
	return reg
}

// loadConfig loads and validates a configuration directory, printing any
// diagnostics (warnings too) to stderr; ok is false when it has errors.
func loadConfig(s *stdio, dir string, vf varFlags) (*config.Config, bool) {
	return loadConfigAs(s, dir, vf, false)
}

// loadConfigAs is loadConfig for a command run with -json (asJSON): an
// invalid configuration is printed to stdout as hearth validate -json
// prints it, so a program reading stdout has the errors to parse rather
// than nothing. Warnings of a valid one still go to stderr as text, so
// stdout holds only the command's own document.
func loadConfigAs(s *stdio, dir string, vf varFlags, asJSON bool) (*config.Config, bool) {
	cfg, _, ok := loadConfigSrc(s, dir, vf, asJSON)
	return cfg, ok
}

// loadConfigSrc is loadConfigAs that also returns the configuration's
// sources, for a command that prints diagnostics of its own about its
// blocks later (plan's about an import block).
func loadConfigSrc(s *stdio, dir string, vf varFlags, asJSON bool) (*config.Config, config.Sources, bool) {
	cfg, src, diags := config.Load(dir, vf.options(s))
	return cfg, src, reportLoad(s, dir, cfg, src, diags, asJSON)
}

// reportLoad prints what a load of dir found, as loadConfigSrc does,
// and reports whether the configuration is valid.
func reportLoad(s *stdio, dir string, cfg *config.Config, src config.Sources, diags hcl.Diagnostics, asJSON bool) bool {
	// Snippets mask the secrets written in the files; the redactor takes
	// the values of sensitive variables out of messages too, since the
	// output of every command ends up in CI logs.
	rd := cfg.Redactor()
	if asJSON && diags.HasErrors() {
		enc := jsonEncoder(s.out)
		enc.SetIndent("", "  ")
		doc := config.ToJSON(src, diags, relBase(dir))
		doc.Redact(rd)
		_ = enc.Encode(doc)
		return false
	}
	if len(diags) > 0 {
		_ = rd.WriteDiagnostics(s.err, src, diags, relBase(dir), s.color(s.errTTY))
		writeErrorCount(s.err, diags, dir)
	}
	return !diags.HasErrors()
}

func dirArg(pos []string, s *stdio, name string) (string, bool) {
	switch len(pos) {
	case 0:
		return ".", true
	case 1:
		return pos[0], true
	}
	argError(s, name, fmt.Sprintf("expected one directory, got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	return "", false
}

// leadArgs splits the arguments of a command of the form "CMD ARG...
// [DIR]" (name; form names the ARGs, as "ID ADDRESS") into the ARGs and
// DIR, "." when not given; what says what the ARGs are ("the member ID")
// for the message when some are missing. ok is false once it has
// answered a usage error.
//
// Given no more than the ARGs, the last of them a configuration
// directory, the user has left an ARG out and the directory took its
// place: loading "." would only say that it has no configuration, so
// it says that instead, with the command as it should be. Only when "."
// holds a configuration too and the argument is a bare name (a campaign
// "welcome" beside a folder welcome/) could it be either; it is then
// taken as the ARG, as the usage reads (DIR given as well settles it).
func leadArgs(s *stdio, name string, pos []string, form, what string) (args []string, dir string, ok bool) {
	n := len(strings.Fields(form))
	if k := len(pos); k > 0 && k <= n && isConfigDir(pos[k-1]) {
		last := pos[k-1]
		bare := !strings.ContainsRune(last, '/') && !strings.ContainsRune(last, filepath.Separator) && last != "." && last != ".."
		if k < n || !bare || !isConfigDir(".") {
			argError(s, name, fmt.Sprintf("%s is a configuration directory; give %s before it: hearth %s %s %s", last, what, name, form, last))
			return nil, "", false
		}
	}
	if len(pos) < n {
		argError(s, name, "give "+what+" and, optionally, the configuration directory")
		return nil, "", false
	}
	dir, ok = dirArg(pos[n:], s, name)
	return pos[:n], dir, ok
}

// isConfigDir reports whether path is a directory with *.hcl files.
func isConfigDir(path string) bool {
	if info, err := os.Stat(path); err != nil || !info.IsDir() {
		return false
	}
	files, err := hclFiles([]string{path}, false)
	return err == nil && len(files) > 0
}

// argError answers missing or extra arguments the way a flag error is
// answered: the problem, the command's synopsis and where the rest is.
// It returns the exit status of a usage error.
func argError(s *stdio, name, msg string) int {
	first, _, _ := strings.Cut(name, " ")
	usage := ""
	for _, c := range commands() {
		if c.name == first {
			usage = c.usage
		}
	}
	return usageError(s, name, usage, msg)
}

// usageError is argError for a command whose usage is not its group's.
func usageError(s *stdio, name, usage, msg string) int {
	fmt.Fprintf(s.err, "hearth %s: %s\n%s\nRun 'hearth %s -h' for its options and examples.\n", name, msg, synopsis(name, usage), name)
	return 1
}

func didYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// enumProblem refuses value for flag, which takes one of vals: it names
// them, says why those alone when why is not "", and suggests the one
// value is a typo of, as didYouMean does for names: "-status must be
// pending, sent, dead or skipped, not "deadd". Did you mean "dead"?".
// The flags with a fixed set of values say so through here, or with
// didYouMean where their message has its own form.
func enumProblem(flag, value string, vals []string, why string) string {
	msg := fmt.Sprintf("%s must be %s, not %q", flag, orList(vals), value)
	if why != "" {
		msg += ": " + why
	}
	return msg + "." + didYouMean(strings.ToLower(value), vals)
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

const versionUsage = `Usage: hearth version [-json]

Prints hearth's version and the Go version it was built with; -json adds
the platform types this binary has. required_version in the hearth block
is checked against this version (hearth validate says when it does
not match).

Examples:
  hearth version
  hearth version -json | jq -r .version
`

func runVersion(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "version", versionUsage)
	asJSON := fs.Bool("json", false, "Print as JSON.")
	if _, code, ok := parse(fs, args); !ok {
		return code
	}
	if *asJSON {
		fmt.Fprintf(s.out, "{\"version\": %q, \"go\": %q, \"platforms\": [%s]}\n", Version, runtime.Version(), quotedKeys(platformSpecs()))
		return 0
	}
	fmt.Fprintf(s.out, "hearth %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

func quotedKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
