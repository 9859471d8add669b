// Package config loads a hearth configuration directory: it parses every
// *.hcl file, resolves variables, locals and references between blocks,
// compiles every rule, checks every template, and reports all problems
// as hcl.Diagnostics with file, line, column and a hint.
//
// Load is the only way a Config is built: `hearth validate`, plan, the
// runtime and hot reload all go through it, so they cannot disagree about
// what a file means.
package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/rules"
)

// TestFileSuffix marks rule unit test files, which Load skips.
const TestFileSuffix = ".hearthtest.hcl"

// PlatformSpec describes the settings of one platform type. Adapters
// provide these; the loader checks platform blocks against them.
type PlatformSpec struct {
	Type    string
	Doc     string
	Example string
	Attrs   []Attr
	// Unsupported names channel and role settings the platform cannot
	// hold ("channel.purpose", "role.color", "channel.pin_house_rules"),
	// each with why. validate refuses them when set to anything but
	// their default: every apply would fail on them.
	Unsupported map[string]string
	// Ignored names channel and role settings the platform has nothing
	// to hold in and leaves alone ("role.color" on Slack), each with why.
	// Plans converge either way; validate warns, so a writer learns the
	// setting has no effect.
	Ignored map[string]string
	// Adopts names the kinds ("community", "channel") whose create
	// takes an object the platform already has rather than making one,
	// each with what is taken and why: Slack's workspace and Discourse's
	// forum (the block's community), a Telegram community's one channel
	// (the group itself). Plans show such a create as an adoption, so
	// nobody reads that hearth will make a workspace; hearth explain
	// platform.TYPE lists them.
	Adopts map[string]string
	// OneChannel, when set, says why a community on this platform has
	// one channel at most (a Telegram group is its own only channel);
	// validate refuses a second channel block.
	OneChannel string
	// ReservedRoles names roles the platform keeps for itself (Discourse's
	// automatic groups: everyone, staff, trust_level_0 ...), lower case,
	// and Reserved says why. validate refuses a role block of such a name
	// (in any case): creating it would fail on every apply, and adopting
	// the platform's own group would let hearth fight the platform over
	// who is in it.
	ReservedRoles []string
	Reserved      string
	// CommunitySetting, when set, is the setting that names the one
	// community block a platform block of this type holds (Slack's and
	// Discourse's community; unset, the block's name): the platform
	// cannot create a community, so apply adopts the block's for the
	// community block it names. validate refuses a setting naming no
	// community block on the platform block, and another community on
	// it, which apply could not create.
	CommunitySetting string
	// ChannelSetting, when set, is the setting that names the hearth
	// channel a platform block of this type posts in (a WeCom, Feishu or
	// DingTalk group robot); other channels' messages are refused.
	// validate refuses one naming no channel block.
	ChannelSetting string
	// ChannelNames, when set, are the channel names the platform keeps
	// as written; validate refuses a channel whose name on the platform
	// (its title, else its block name) the platform would refuse or
	// store otherwise, since every plan would then rename it back.
	ChannelNames *ChannelNames
	// ChannelMarkdown, when set, says whether channel messages sent with
	// these settings are read as markdown (a WeCom or DingTalk robot with
	// msgtype = "markdown"). Templates then quote what members wrote, so
	// a name cannot add a link, an image or a mention to the message.
	ChannelMarkdown func(settings map[string]cty.Value) bool
	// AtMentions says that an "@" and a name anywhere in a message's
	// text mention that user and notify them (Telegram's @username).
	// Templates then put a word joiner after each "@" in what members
	// wrote, so a name or a quoted message mentions no one, while the
	// template's own @mentions still do.
	AtMentions bool
	// AtTags says that an <at ...> tag in a message's text mentions a
	// user or the whole group (Feishu's <at user_id="...">). Templates
	// then show such a tag in what members wrote as text, so a quoted
	// message mentions no one, while the template's own tags still do.
	AtTags bool
	// CrowdMentions, when set, finds in a template's own text the
	// mentions that would notify many people at once (Feishu's <at
	// user_id="all">, Slack's <!channel>, Discord's @everyone), which the
	// platform's adapter sends as text, notifying no one, unless the
	// block's mass_mentions is true. validate warns of them then: the
	// author meant them to notify.
	CrowdMentions func(text string) []Found
	// DirectMarkup says that direct messages render markup, links and
	// tags (a WeCom application's text messages render <a href>):
	// templates quote what members wrote in them as in markdown channel
	// messages (ChannelMarkdown).
	DirectMarkup bool
	// Mention, when set, is how a message through the platform mentions
	// (and notifies) a member, which templates read as member.mention:
	// Discord's and Slack's <@id> written in the text, or the member's
	// name marked for the adapter to make a mention of (a Matrix pill, a
	// Telegram text_mention). Where it is nil member.mention is the
	// member's name.
	Mention func(MentionOf) Mention
	// TextLimit, when set, is the most a message's text may hold sent as
	// kind ("channel" or "dm") through a block with these settings; a zero
	// TextLimit is no limit. Adapters refuse a longer text with the same
	// limit; validate warns of a template whose own text is already over
	// it, and run, simulate and template render count a longer message as
	// a send not made.
	TextLimit func(kind string, settings map[string]cty.Value) TextLimit
	// MovesMembers says that the platform can move a member from one of
	// its communities into another (platform.ActionMoveMember): hearth
	// run then moves a member joining a full community of a capacity
	// family into the first of the family with room. Elsewhere a member
	// stays where they joined, and plans warn of communities past their
	// capacity.
	MovesMembers bool
	// SendsOnly says that hearth only sends messages through the
	// platform (a chat robot such as WeCom's, Feishu's or DingTalk's,
	// webhooks, email): it neither reads nor changes objects there, so
	// plan, apply and drift plan nothing on it and do not open it, and
	// its credentials are needed by hearth run alone.
	SendsOnly bool
	// Moderation are the moderation actions the platform cannot take, or
	// not for as long as asked (a Discord timeout of more than 28 days);
	// validate refuses a ladder rung or moderation rule asking for one.
	Moderation ModerationLimits
	// UnmuteAtEnd says that a mute on the platform lasts until it is
	// lifted (a Matrix power level), where others end by themselves (a
	// Discord timeout, Telegram's until_date): hearth run then lifts
	// each mute it made when the mute's duration is over.
	UnmuteAtEnd bool
	// Permissions, when set, are the role permission names the platform
	// knows (Discord's flags in lower case, Telegram's administrator
	// rights); validate refuses any other in a role's permissions, where
	// apply would fail partway. Unset: the names are not checked.
	Permissions []string
	// TextRules, when set, says what the platform refuses in a text a
	// channel or role carries there, by key: "channel.name" (the
	// channel's name on the platform), "channel.topic",
	// "channel.purpose" and "role.name" (the role's title). It answers
	// "" for a text the platform takes, else why not, with the text to
	// write where one follows; validate reports that as an error at the
	// text, where every apply would fail.
	TextRules func(key, value string) string
	// RoleHandles, when set, says that the platform mentions a role by
	// a handle made of its block name in lower case, which must differ
	// from the community's channel names and other roles' handles (a
	// Slack user group's @handle), and why; validate refuses a role
	// whose handle is taken.
	RoleHandles string
	// Needs, when set, says which settings others need given the block's
	// settings (email's unsubscribe_url using {token} needs
	// unsubscribe_secret). validate reports an error at the setting that
	// needs one left unset or empty, where every send would fail; a
	// warning when the one needed comes from a sensitive variable that
	// has no value here, naming its HEARTH_VAR_.
	Needs func(settings map[string]cty.Value) []SettingNeed
}

// SettingNeed is one setting of a platform block needing another.
type SettingNeed struct {
	Setting string // the setting that needs, written in the block
	Needs   string // the setting it needs
	Why     string // what fails without it, a sentence
}

// Options are what a load needs besides the directory.
type Options struct {
	// Vars are -var arguments, "name=value", in command-line order.
	Vars []string
	// VarFiles are -var-file arguments.
	VarFiles []string
	// LookupEnv reads environment variables (HEARTH_VAR_*, env()); nil
	// means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Environ lists the environment, "NAME=value", so that a
	// HEARTH_VAR_ name close to a declared variable's (another case, a
	// typo) is warned of, as -var is; nil with LookupEnv nil means
	// os.Environ, nil with LookupEnv set lists nothing.
	Environ func() []string
	// Platforms are the known platform types.
	Platforms map[string]PlatformSpec
	// Version is hearth's version, checked against required_version.
	Version string
	// SecretsOptional lets required sensitive string variables go
	// without a value, standing in an empty string, for commands that
	// only read the state store and reach no platform (member show,
	// outbox list ...): an operator should not need production tokens
	// to look. Config.MissingSecrets names them.
	SecretsOptional bool
	// QuietCredentials leaves out the "Credential without a value"
	// warnings, for commands that open no platform (test, simulate,
	// template render, outbox list ...): a secret not set where they
	// run changes nothing they do, and the warning on each of them
	// would bury their own output. validate, plan, apply, run and the
	// other commands that reach platforms keep it.
	QuietCredentials bool
	// BaseDir, when set, is where relative paths in the files resolve
	// (the state's path, a platform's files such as the local
	// platform's) instead of the directory loaded: hearth plan -live
	// plans a working copy against the state and platform files of the
	// directory hearth run uses. file() still reads beside the files.
	BaseDir string
	// Files, when set, are the configuration files' texts by base name,
	// read instead of the directory's *.hcl files: a configuration as
	// hearth run keeps it (Running). Paths in them still resolve against
	// the directory.
	Files map[string][]byte
	// ValuesOptional lets every required variable go without a value,
	// for commands that only read or edit the platform resources kept
	// in state (state list, show, rm, mv), as Terraform's state commands
	// need none. Such variables read as unknown, so the configuration is
	// not complete: use it only for where its state lives. Variables
	// the hearth block reads (a state url from var.db_url) still need a
	// value, since without one the wrong state would be opened.
	ValuesOptional bool
	// Pinned are variable values a test file sets (its variables
	// attribute). They win over every other source, -var included, so a
	// test means the same whatever the command line says.
	Pinned []PinnedVar
}

// PinnedVar is a variable value written outside the configuration and
// the var files: in a test file. Expr is evaluated without context, so
// it must be a constant; errors point at it.
type PinnedVar struct {
	Name      string
	NameRange hcl.Range
	Expr      hcl.Expression
	// Where names the file for messages: "test file x.hearthtest.hcl".
	Where string
}

// Sources are the parsed files, for printing diagnostics with snippets.
// Load's mask the secrets written in them (see SecretRanges).
type Sources map[string]*hcl.File

type loader struct {
	opts Options
	dir  string
	// files are the parsed files by path: configuration and var files.
	files map[string]*hcl.File
	diags hcl.Diagnostics
	ctx   *hcl.EvalContext
	cfg   *Config
	later []func()
	// homeless are sends checkHomeless decides on.
	homeless []homelessSend
	rc       *rules.Compiler
	// names already declared per kind, for duplicate checks
	declared map[string]hcl.Range
	edges    []Edge
	// localNames are the declared locals, for "did you mean" hints.
	localNames []string
	// failedVars are declared variables without a valid value; they read
	// as unknown so their uses do not repeat the error.
	failedVars []string
	// broken are addresses of blocks that failed to decode (an unknown
	// platform type, say); references to them are not reported again.
	broken map[string]bool
	// openEvents are declared event types whose attributes could not all
	// be read; rules accept any attribute of them.
	openEvents map[string]bool
	// unparsed are files with syntax errors, and syntax their diagnostics.
	// Such a file is still read as far as the parser recovered, so other
	// files' references to its blocks resolve; any other diagnostic in it
	// is left out, since it may only echo the syntax error.
	unparsed map[string]bool
	syntax   map[*hcl.Diagnostic]bool
	// templateCtx is the sample context templates are checked in, built
	// once (after locals) for all of them.
	templateCtx *hcl.EvalContext
	// varFiles are the paths of the -var-file files among files.
	varFiles map[string]bool
}

// Load reads and validates every *.hcl file in dir. The returned Config is
// usable only when the diagnostics have no errors; the Sources are always
// returned so diagnostics can be printed with snippets.
func Load(dir string, opts Options) (*Config, Sources, hcl.Diagnostics) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
		if opts.Environ == nil {
			opts.Environ = os.Environ
		}
	}
	l := &loader{
		opts: opts, dir: dir, files: map[string]*hcl.File{},
		cfg:        &Config{Dir: dir, BaseDir: cmp.Or(opts.BaseDir, dir), Locals: map[string]cty.Value{}},
		rc:         rules.NewCompiler(),
		declared:   map[string]hcl.Range{},
		broken:     map[string]bool{},
		openEvents: map[string]bool{},
		unparsed:   map[string]bool{},
		varFiles:   map[string]bool{},
		syntax:     map[*hcl.Diagnostic]bool{},
	}
	files := l.parseDir()
	l.cfg.Files = l.files
	if l.diags.HasErrors() && len(files) == 0 {
		return l.cfg, l.sources(), l.diags
	}
	blocks := l.collect(files)
	l.loadVariables(blocks["variable"], settingsVars(blocks))
	l.buildContext()
	l.loadLocals(blocks["locals"])
	l.decodeAll(blocks)
	for _, f := range l.later {
		f()
	}
	l.checkHomeless()
	l.checkPlatformBlocks()
	l.compileAll()
	l.cfg.Graph = l.buildGraph()
	l.cfg.Hash, l.cfg.Fingerprint = l.hash()
	l.dropEchoes()
	sortDiagnostics(l.diags)
	return l.cfg, l.sources(), l.diags
}

// sources are the files diagnostics may quote: the configuration's, not
// the var files, which is where secrets are kept (-var-file
// secrets.hcl in CI). A mistake there is still placed by file, line and
// column, but its line, token and all, is not printed into a log.
// The secrets written in the configuration's files are masked in their
// snippets (SecretRanges), and so are the values of sensitive variables
// and credentials wherever a line holds one (a local a token is read
// from).
func (l *loader) sources() Sources {
	var values *Redactor
	if v := l.cfg.SensitiveValues(); len(v) > 0 {
		values = NewRedactor(v)
	}
	src := make(Sources, len(l.files))
	for name, f := range l.files {
		if !l.varFiles[name] {
			src[name] = masked(f, SecretRanges(f, l.opts.Platforms), values)
		}
	}
	return src
}

// dropEchoes leaves out the diagnostics placed in a file with syntax
// errors, except those errors themselves.
func (l *loader) dropEchoes() {
	if len(l.unparsed) == 0 {
		return
	}
	kept := l.diags[:0]
	for _, d := range l.diags {
		if l.syntax[d] || d.Subject == nil || !l.unparsed[d.Subject.Filename] {
			kept = append(kept, d)
		}
	}
	l.diags = kept
}

// sortDiagnostics orders diagnostics by file and position, so output
// reads top to bottom; problems without a position come first.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// at names a range briefly for messages: "main.hcl:12".
func at(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", filepath.Base(r.Filename), r.Start.Line)
}

func (l *loader) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

func (l *loader) warnf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

// parseFiles parses the texts of Options.Files in name order, as if
// they were the directory's files.
func (l *loader) parseFiles() []*hcl.File {
	names := make([]string, 0, len(l.opts.Files))
	for n := range l.opts.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	var files []*hcl.File
	for _, n := range names {
		path := filepath.Join(l.dir, n)
		f, diags := hclsyntax.ParseConfig(l.opts.Files[n], path, hcl.InitialPos)
		l.diags = append(l.diags, diags...)
		if f == nil {
			continue
		}
		l.files[path] = f
		if diags.HasErrors() {
			l.unparsed[path] = true
			for _, d := range diags {
				l.syntax[d] = true
			}
		}
		files = append(files, f)
	}
	return files
}

// parseDir parses the directory's *.hcl files in name order.
func (l *loader) parseDir() []*hcl.File {
	if l.opts.Files != nil {
		return l.parseFiles()
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		// A file given for the directory ("hearth validate main.hcl")
		// is a slip worth naming: a configuration is all the *.hcl files
		// of a directory together.
		if st, serr := os.Stat(l.dir); serr == nil && !st.IsDir() {
			l.errorf(nil, "Not a configuration directory", "%s is a file. A configuration is every *.hcl file of a directory together: give the directory, %s.", l.dir, filepath.Dir(l.dir))
			return nil
		}
		l.errorf(nil, "Cannot read configuration directory", "%s", err)
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, TestFileSuffix) || strings.HasPrefix(n, ".") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		l.errorf(nil, "No configuration files", "The directory %s has no *.hcl files. Create one with `hearth init %s`.", l.dir, l.dir)
		return nil
	}
	// Files are parsed in parallel: parsing is most of the time a large
	// configuration takes to load. Results are kept in name order.
	type parsed struct {
		path  string
		file  *hcl.File
		diags hcl.Diagnostics
		err   error
	}
	out := make([]parsed, len(names))
	parallelFiles(len(names), func(i int) {
		p := &out[i]
		p.path = filepath.Join(l.dir, names[i])
		src, err := os.ReadFile(p.path)
		if err != nil {
			p.err = err
			return
		}
		p.file, p.diags = hclsyntax.ParseConfig(src, p.path, hcl.InitialPos)
	})
	var files []*hcl.File
	for _, p := range out {
		if p.err != nil {
			l.errorf(nil, "Cannot read file", "%s", p.err)
			continue
		}
		l.diags = append(l.diags, p.diags...)
		if p.file == nil {
			continue
		}
		l.files[p.path] = p.file
		if p.diags.HasErrors() {
			// Read what the parser recovered: without its blocks, every
			// reference to them from the other files would be an error.
			l.unparsed[p.path] = true
			for _, d := range p.diags {
				l.syntax[d] = true
			}
		}
		files = append(files, p.file)
	}
	return files
}

// collect reads the top level of every file and groups blocks by type.
func (l *loader) collect(files []*hcl.File) map[string][]*hcl.Block {
	out := map[string][]*hcl.Block{}
	for _, f := range files {
		if name, first, ok := looksLikeVarFile(f); ok {
			// Its lines are most likely secrets (token = "..."): the
			// file is not quoted in diagnostics, and one error says what
			// it is instead of one "Unsupported argument" per secret.
			l.varFiles[name] = true
			l.errorf(&first, "Variables file among the configuration",
				"%s holds only attributes, as a file of variable values does; hearth reads every .hcl file in the configuration directory as configuration. Keep it outside the directory and pass it with -var-file, or set the values as HEARTH_VAR_NAME environment variables.", filepath.Base(name))
			continue
		}
		content, diags := l.content(f.Body, Root)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			out[b.Type] = append(out[b.Type], b)
		}
	}
	for _, typ := range []string{"hearth"} {
		if bs := out[typ]; len(bs) > 1 {
			l.errorf(&bs[1].DefRange, "Duplicate "+typ+" block", "Only one %s block is allowed; the first is at %s.", typ, at(bs[0].DefRange))
		}
	}
	return out
}

// looksLikeVarFile reports whether f has attributes and no blocks at
// its top level, which no configuration file has, with the range of its
// first attribute.
func looksLikeVarFile(f *hcl.File) (string, hcl.Range, bool) {
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok || len(body.Blocks) > 0 || len(body.Attributes) == 0 {
		return "", hcl.Range{}, false
	}
	first := hcl.Range{}
	for _, a := range body.Attributes {
		if first.Filename == "" || a.SrcRange.Start.Byte < first.Start.Byte {
			first = a.NameRange
		}
	}
	return first.Filename, first, true
}

func (l *loader) buildContext() {
	vars := map[string]cty.Value{}
	for _, v := range l.cfg.Variables {
		vars[v.Name] = v.Value
	}
	for _, n := range l.failedVars {
		vars[n] = cty.DynamicVal
	}
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: hclFunctions(l.dir, l.opts.LookupEnv, l.recordRead),
	}
}

// declare records kind.name and reports a duplicate.
func (l *loader) declare(kind, name string, rng hcl.Range) bool {
	key := kind + "." + name
	if prev, ok := l.declared[key]; ok {
		l.errorf(&rng, "Duplicate "+kind, "%s named %q is already defined at %s. Names must be unique within their kind.", upperFirst(an(kind)), name, at(prev))
		return false
	}
	l.declared[key] = rng
	return true
}

// recordRead keeps a file file() read, by its path relative to the
// configuration directory ("rules.md", "docs/rules.md"; an absolute one
// outside it as written), for the hashes and a plan's Source.
func (l *loader) recordRead(path string, data []byte) {
	name := filepath.ToSlash(filepath.Clean(path))
	if filepath.IsAbs(path) {
		if rel, err := filepath.Rel(l.dir, path); err == nil && filepath.IsLocal(rel) {
			name = filepath.ToSlash(rel)
		}
	}
	if l.cfg.ReadFiles == nil {
		l.cfg.ReadFiles = map[string][]byte{}
	}
	l.cfg.ReadFiles[name] = data
}

func (l *loader) hash() (hash, fingerprint string) {
	h, f := sha256.New(), sha256.New()
	both := io.MultiWriter(h, f)
	names := make([]string, 0, len(l.cfg.Files))
	for n := range l.cfg.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(both, "%s\x00%d\x00", filepath.Base(n), len(l.cfg.Files[n].Bytes))
		both.Write(l.cfg.Files[n].Bytes)
	}
	// What file() read is configuration too: applying a plan after
	// rules.md changed must be refused as stale.
	for _, n := range slices.Sorted(maps.Keys(l.cfg.ReadFiles)) {
		fmt.Fprintf(both, "file\x00%s\x00%d\x00", n, len(l.cfg.ReadFiles[n]))
		both.Write(l.cfg.ReadFiles[n])
	}
	for _, v := range l.cfg.Variables {
		writeVariable(h, v)
		if !v.Sensitive {
			writeVariable(f, v)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(f.Sum(nil))
}

// writeVariable is how a variable's name and value go into a hash.
func writeVariable(h hash.Hash, v *Variable) {
	fmt.Fprintf(h, "var\x00%s\x00%s\x00", v.Name, v.Value.GoString())
}

// HashSensitive writes the names and values of the sensitive variables,
// by name, to h, and reports whether there were any: what Hash covers
// and Fingerprint leaves out, so that a saved plan can check them with
// a slow, salted hash of its own rather than carry Hash, with which a
// guess at a secret is tested in a nanosecond. It takes a hash rather
// than any writer so that the values cannot be printed by mistake.
func (c *Config) HashSensitive(h hash.Hash) bool {
	var vars []*Variable
	for _, v := range c.Variables {
		if v.Sensitive {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *Variable) int { return strings.Compare(a.Name, b.Name) })
	for _, v := range vars {
		writeVariable(h, v)
	}
	return len(vars) > 0
}

// MentionOf is the member a message mentions (member.mention) and the
// message: what PlatformSpec.Mention decides from.
type MentionOf struct {
	// ID is the member's id on the platform (their identity there, else
	// their hearth id); Name the name hearth knows them by, as members
	// set it: quote it before writing it into markup.
	ID, Name string
	// Kind is how the message goes: "channel" or "dm".
	Kind string
	// Settings are the platform block's (a robot's msgtype).
	Settings map[string]cty.Value
}

// Mention is how a message mentions a member (PlatformSpec.Mention).
type Mention struct {
	// Text is written where the template says member.mention, as it is:
	// "<@id>" on Discord. Empty writes the member's name, quoted as
	// member.name is.
	Text string
	// Marked says the adapter makes the mention from where the text has
	// it: the message carries each place member.mention was written, with
	// MentionOf.ID (platform.Mention), so the adapter can make a pill of it (Matrix),
	// a text_mention entity (Telegram), an @username (Discourse) or an
	// entry of the at list (DingTalk, a WeCom text robot).
	Marked bool
}

// TextMention is a PlatformSpec.Mention that writes text(id) in the
// message (Discord's <@id>), or the name where text gives "".
func TextMention(text func(id string) string) func(MentionOf) Mention {
	return func(m MentionOf) Mention { return Mention{Text: text(m.ID)} }
}
