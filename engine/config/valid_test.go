package config_test

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

// validEnv sets the variables the valid corpus requires.
var validEnv = map[string]string{
	"HEARTH_VAR_database_url": "postgres://hearth:pw@db/hearth",
	"HEARTH_VAR_chat_token":   "xoxb-test",
}

func validDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "valid", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no valid corpus: %v", err)
	}
	return dirs
}

// TestValidCorpus loads every testdata/valid/DIR and wants no diagnostic
// at all, not even a warning.
func TestValidCorpus(t *testing.T) {
	for _, dir := range validDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, _, diags := config.Load(dir, testOptions(validEnv))
			if len(diags) > 0 {
				t.Fatalf("diagnostics:%s", describe(diags))
			}
			if cfg.Hash == "" || len(cfg.Communities) == 0 {
				t.Errorf("config not filled: hash %q, %d communities", cfg.Hash, len(cfg.Communities))
			}
			// Every rule is compiled.
			for _, r := range allRules(cfg) {
				if r.Program == nil {
					t.Errorf("rule %q has no program", r.Source)
				}
			}
		})
	}
}

func allRules(cfg *config.Config) []*config.Rule {
	var out []*config.Rule
	add := func(rs ...*config.Rule) {
		for _, r := range rs {
			if r != nil {
				out = append(out, r)
			}
		}
	}
	for _, s := range cfg.Segments {
		add(s.When)
	}
	for _, t := range cfg.Tiers {
		add(t.When, t.Keep)
	}
	for _, b := range cfg.Badges {
		add(b.RevokeWhen)
	}
	for _, in := range cfg.Incentives {
		add(in.When, in.Grant.To)
	}
	for _, c := range cfg.Campaigns {
		add(c.EnterWhen, c.ExitWhen, c.StopWhen)
		for _, s := range c.Steps {
			add(s.WaitUntil, s.When)
			for _, b := range s.Branches {
				add(b.When)
			}
		}
	}
	for _, c := range cfg.Communities {
		for _, m := range c.Moderation {
			add(m.When)
		}
	}
	return out
}

// TestValidCorpusCoversSchema keeps the valid corpus complete: every
// block type and attribute of the schema (and of the test platforms)
// must be used somewhere in it, so a new attribute cannot go untested.
func TestValidCorpusCoversSchema(t *testing.T) {
	used := map[string]bool{}
	for _, dir := range validDirs(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
		for _, path := range files {
			if strings.HasSuffix(path, config.TestFileSuffix) || strings.HasPrefix(filepath.Base(path), ".") {
				continue // not read by Load either
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("%s: %s", path, diags.Error())
			}
			collectUsed(f.Body.(*hclsyntax.Body), "", used)
		}
	}
	var want []string
	var walk func(b *config.Block, prefix string)
	walk = func(b *config.Block, prefix string) {
		for _, a := range b.Attrs {
			want = append(want, prefix+a.Name)
		}
		for _, c := range b.Blocks {
			want = append(want, prefix+c.Type)
			walk(c, prefix+c.Type+".")
		}
	}
	walk(config.Root, "")
	for _, spec := range testOptions(nil).Platforms {
		for _, a := range spec.Attrs {
			want = append(want, "platform."+spec.Type+"."+a.Name)
		}
	}
	var missing []string
	for _, w := range want {
		if !used[w] {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		t.Errorf("not used in testdata/valid: %s", strings.Join(missing, ", "))
	}
}

// collectUsed records "block.nested.attr" paths; platform attributes are
// recorded under their type, "platform.local.path".
func collectUsed(body *hclsyntax.Body, prefix string, used map[string]bool) {
	for name := range body.Attributes {
		used[prefix+name] = true
	}
	for _, b := range body.Blocks {
		path := prefix + b.Type
		used[path] = true
		inner := path + "."
		if b.Type == "platform" && len(b.Labels) > 0 {
			inner = "platform." + b.Labels[0] + "."
		}
		collectUsed(b.Body, inner, used)
	}
}

// TestFullConfigValues checks what the full example decodes to.
func TestFullConfigValues(t *testing.T) {
	dir := filepath.Join("testdata", "valid", "full")
	cfg, _, diags := config.Load(dir, testOptions(validEnv))
	if diags.HasErrors() {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	abs, _ := filepath.Abs(dir)

	t.Run("settings", func(t *testing.T) {
		s := cfg.Settings
		if s.TimezoneName != "Europe/Berlin" || s.Timezone.String() != "Europe/Berlin" || s.DefaultLocale != "en" {
			t.Errorf("timezone %q, locale %q", s.TimezoneName, s.DefaultLocale)
		}
		if s.FrequencyCap == nil || !s.FrequencyCap.Same(durations.Rate{Count: 3, Window: 24 * time.Hour}) {
			t.Errorf("frequency cap %v", s.FrequencyCap)
		}
		if s.State.EventIDRetention != 90*24*time.Hour || s.State.OutcomeRetention != 400*24*time.Hour {
			t.Errorf("retention: event ids %v, outcomes %v", s.State.EventIDRetention, s.State.OutcomeRetention)
		}
		if s.State.OutboxRetention != 30*24*time.Hour {
			t.Errorf("outbox retention %v; want 30d", s.State.OutboxRetention)
		}
		if s.State.Backend != "postgres" || !s.State.URL.IsMarked() {
			t.Errorf("state %+v: the URL must stay marked sensitive", s.State)
		}
		if s.RequiredVersion != ">= 0.2, < 1.0" {
			t.Errorf("required_version %q", s.RequiredVersion)
		}
	})

	t.Run("variables and locals", func(t *testing.T) {
		vars := map[string]*config.Variable{}
		for _, v := range cfg.Variables {
			vars[v.Name] = v
		}
		if len(vars) != 5 {
			t.Fatalf("%d variables", len(vars))
		}
		if v := vars["chat_token"]; !v.Sensitive || !v.Value.IsMarked() {
			t.Errorf("chat_token not marked sensitive")
		}
		if v := vars["capacity"]; v.Description != "Members before a split" || !v.Value.RawEquals(cty.NumberIntVal(150)) {
			t.Errorf("capacity = %#v", v.Value)
		}
		// optional(number, 50) fills in the default.
		pv := vars["point_values"].Value
		if got := pv.GetAttr("referral"); !got.RawEquals(cty.NumberIntVal(50)) {
			t.Errorf("point_values.referral = %#v", got)
		}
		if got := cfg.Locals["title"]; !got.RawEquals(cty.StringVal("EXPLORERS")) {
			t.Errorf("local.title = %#v", got)
		}
		if got := cfg.Locals["grace_days"]; !got.RawEquals(cty.NumberIntVal(14)) {
			t.Errorf("local.grace_days = %#v", got)
		}
	})

	t.Run("platforms", func(t *testing.T) {
		if len(cfg.Platforms) != 3 {
			t.Fatalf("%d platforms", len(cfg.Platforms))
		}
		chat := cfg.Platforms[1]
		if chat.Addr() != "platform.chat.announce" || !chat.Settings["token"].IsMarked() {
			t.Errorf("%s: token must be marked", chat.Addr())
		}
		if !chat.Settings["shards"].RawEquals(cty.NumberIntVal(2)) || chat.Settings["intents"].LengthInt() != 2 {
			t.Errorf("chat settings %#v", chat.Settings)
		}
		if got := cfg.Platforms[0].Settings["workspace"]; got.IsMarked() || got.AsString() != "Future Tech Explorers" {
			t.Errorf("workspace %#v", got)
		}
	})

	c := cfg.Communities[0]
	t.Run("community", func(t *testing.T) {
		if c.Name != "explorers" || c.Title != "EXPLORERS" || c.Platform != cfg.Platforms[0] || c.Capacity != 150 || c.OnCapacity != "warn" || !c.Lifecycle.PreventDestroy {
			t.Errorf("community %+v", c)
		}
		if !strings.HasPrefix(c.HouseRules, "1. Be kind.") || !strings.Contains(c.WelcomeMessage, "#help") {
			t.Errorf("house rules %q, welcome %q", c.HouseRules, c.WelcomeMessage)
		}
		if cfg.Communities[1].Platform != cfg.Platforms[1] {
			t.Errorf("makers is on %v", cfg.Communities[1].Platform)
		}
		// Positions default to the order in the file.
		if c.Channels[0].Position != 0 || c.Channels[1].Position != 5 || !reflect.DeepEqual(c.Channels[1].Lifecycle.IgnoreChanges, []string{"topic", "position"}) {
			t.Errorf("channels %+v %+v", c.Channels[0], c.Channels[1])
		}
		if r := c.Roles[0]; r.Color != "#3498db" || r.Title != "regular" || r.Addr() != "community.explorers.role.regular" {
			t.Errorf("role %+v: colors are lower-cased, titles default to the name", r)
		}
		m := c.Moderation[0]
		if m.Duration != time.Hour || m.Action != "mute" || len(m.Keywords["zh-CN"]) != 1 || !reflect.DeepEqual(m.On, []string{"message.posted", "message.edited"}) {
			t.Errorf("moderation %+v", m)
		}
		if got := c.Moderation[1].On; !reflect.DeepEqual(got, []string{"message.posted"}) {
			t.Errorf("default moderation on = %v", got)
		}
	})

	t.Run("tiers by rank", func(t *testing.T) {
		if len(cfg.Tiers) != 2 || cfg.Tiers[0].Name != "regular" || cfg.Tiers[1].Name != "core" {
			t.Fatalf("tiers not in rank order: %v", names(cfg.Tiers, func(t *config.Tier) string { return t.Name }))
		}
		core := cfg.Tiers[1]
		if core.Grace != 14*durations.Day || core.DemoteAfter != 7*durations.Day || core.Window != 3*durations.Day {
			t.Errorf("durations %v %v %v", core.Grace, core.DemoteAfter, core.Window)
		}
		if core.Role != c.Roles[1] || core.Community != c || core.Keep == nil {
			t.Errorf("core refs: role %v community %v", core.Role, core.Community)
		}
		if cfg.Tiers[0].Keep != nil || cfg.Tiers[0].Title != "regular" {
			t.Errorf("regular: keep defaults to nil (same as when), title to the name")
		}
		if got := cfg.Tiers[0].When.Program.Reads.Badges; !reflect.DeepEqual(got, []string{"first_post"}) {
			t.Errorf("heredoc rule reads badges %v", got)
		}
		if tr := cfg.Tiers[0].Trust; tr == nil || tr.Level != 2 || !tr.Lock || tr.Platform != cfg.Platforms[2] {
			t.Errorf("regular's discourse block: %+v; want level 2, locked, on platform.discourse.forum", tr)
		}
		if core.Trust != nil {
			t.Errorf("core has no discourse block, but Trust is %+v", core.Trust)
		}
	})

	t.Run("segments and reads", func(t *testing.T) {
		seg := map[string]*config.Segment{}
		for _, s := range cfg.Segments {
			seg[s.Name] = s
		}
		if seg["newcomers"].Community != c || seg["active"].Community != nil || seg["regulars"].Role != c.Roles[0] {
			t.Errorf("segment references wrong")
		}
		r := seg["active"].When.Program.Reads
		if !reflect.DeepEqual(r.EventTypes, []string{"message.posted"}) || !r.TimeDependent || !reflect.DeepEqual(r.Functions, []string{"active_days", "count"}) {
			t.Errorf("active reads %+v", r)
		}
		r = seg["regulars"].When.Program.Reads
		if !reflect.DeepEqual(r.Segments, []string{"active", "newcomers"}) || r.TimeDependent {
			t.Errorf("regulars reads %+v", r)
		}
		if r := seg["newcomers"].When.Program.Reads; !reflect.DeepEqual(r.Member, []string{"days_since_joined"}) || !r.TimeDependent {
			t.Errorf("newcomers reads %+v", r)
		}
	})

	t.Run("incentives", func(t *testing.T) {
		in := map[string]*config.Incentive{}
		for _, x := range cfg.Incentives {
			in[x.Name] = x
		}
		fp := in["first_post"]
		if !fp.Once || fp.Expires != 365*durations.Day || fp.Grant.Badge != cfg.Badges[0] || fp.Grant.Points != 10 || fp.Grant.Reason != "first post" || fp.Community != c {
			t.Errorf("first_post %+v", fp)
		}
		p := in["posting"]
		if p.Cooldown != time.Minute || !p.Limit.Same(durations.Rate{Count: 100, Window: durations.Day}) || !p.PointsCap.Same(durations.Rate{Count: 20, Window: durations.Day}) || p.Grant.Reason != "posting" || p.Grant.Points != 1 {
			t.Errorf("posting %+v", p)
		}
		ref := in["referral"]
		if ref.Grant.To == nil || ref.Grant.To.Program.Result.String() != "string" || ref.Grant.To.Source != "member.referrer" || ref.Grant.Role != c.Roles[2] || ref.Grant.Set["ambassador"] != "yes" || ref.Grant.Points != 50 {
			t.Errorf("referral %+v", ref.Grant)
		}
		if ref.OncePer == nil || ref.OncePer.Source != "member.id" || ref.OncePer.Program.Result.String() != "string" {
			t.Errorf("referral's once_per %+v", ref.OncePer)
		}
		if cfg.EventTypes["meetup.attended"].Attrs["guests"] != "int" || !cfg.EventTypes["meetup.attended"].Activity {
			t.Errorf("custom event %+v", cfg.EventTypes["meetup.attended"])
		}
		// An event block for a standard type adds to its attributes.
		if rc := cfg.EventTypes["referral.converted"]; rc.Attrs["campaign"] != "string" || rc.Attrs["referee"] != "string" || rc.Doc == "" {
			t.Errorf("referral.converted with an added attribute %+v", rc)
		}
	})

	t.Run("campaigns", func(t *testing.T) {
		on := cfg.Campaigns[0]
		if on.ReentryAfter != 90*durations.Day || on.Reentry != "after" || on.OnCap != "skip" || on.ExpireAfter != 2*durations.Day || !on.ExitOnLeave || on.Community != c {
			t.Errorf("onboarding %+v", on)
		}
		// Unset, a campaign's sends expire after a week.
		if wb := cfg.Campaigns[1]; wb.ExpireAfter != config.DefaultExpireAfter {
			t.Errorf("winback expire_after %s; want the default %s", wb.ExpireAfter, config.DefaultExpireAfter)
		}
		if q := on.QuietHours; q.From.String() != "22:00" || q.To.String() != "08:00" || q.Timezone.String() != "Asia/Shanghai" {
			t.Errorf("quiet hours %+v", q)
		}
		steps := names(on.Steps, func(s *config.Step) string { return s.Name })
		if !reflect.DeepEqual(steps, []string{"welcome", "announce", "wait_for_post", "nudge", "friendly", "direct"}) {
			t.Errorf("steps %v", steps)
		}
		w := on.Steps[2]
		if w.Wait != durations.Day || w.At.String() != "09:30" || w.Timeout != 3*durations.Day || w.OnTimeout != "nudge" || w.Goto != config.Exit {
			t.Errorf("wait step %+v", w)
		}
		a := on.Steps[1].Send
		if a.Template != cfg.Templates[0] || a.Target != c.Channels[0] || a.Platform != cfg.Platforms[0] || a.Channel != "channel" {
			t.Errorf("announce send %+v", a)
		}
		n := on.Steps[3]
		if len(n.Branches) != 1 || n.Branches[0].Goto != config.Exit || len(n.Split) != 2 || n.Split[0].Weight != 75 || n.Split[1].Goto != "direct" || n.Control != "direct" || on.SplitControl() != "direct" {
			t.Errorf("nudge %+v", n)
		}
		wb := cfg.Campaigns[1]
		if wb.Audience == nil || wb.Audience.Name != "regulars" || wb.ExitOnLeave || wb.Reentry != "always" || !wb.Paused || on.Paused {
			t.Errorf("winback %+v", wb)
		}
	})

	t.Run("templates", func(t *testing.T) {
		n := cfg.Templates[1]
		if n.DefaultLocale != "en" || len(n.Text) != 2 || n.Subject["en"] == nil || n.HTML["en"] == nil {
			t.Errorf("nudge %+v", n)
		}
		if cfg.Templates[0].DefaultLocale != "en" {
			t.Errorf("default locale comes from the hearth block")
		}
	})

	t.Run("graph", func(t *testing.T) {
		want := []config.Edge{
			{From: "segment.regulars", To: "segment.active", Via: "in_segment"},
			{From: "tier.regular", To: "badge.first_post", Via: "has_badge"},
			{From: "campaign.winback", To: "segment.regulars", Via: "audience"},
			{From: "community.explorers", To: "platform.local.main", Via: "platform"},
			{From: "incentive.first_post", To: "badge.first_post", Via: "badge"},
		}
		have := map[config.Edge]bool{}
		for _, e := range cfg.Graph.Edges {
			have[e] = true
		}
		for _, e := range want {
			if !have[e] {
				t.Errorf("graph lacks %+v", e)
			}
		}
		if !sort.StringsAreSorted(cfg.Graph.Nodes) {
			t.Errorf("nodes not sorted")
		}
	})

	t.Run("files", func(t *testing.T) {
		var got []string
		for name := range cfg.Files {
			got = append(got, filepath.Base(name))
		}
		sort.Strings(got)
		// Rule test files and hidden files are not read.
		want := []string{"campaigns.hcl", "community.hcl", "members.hcl", "settings.hcl", "templates.hcl"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("files %v; want %v", got, want)
		}
		if cfg.Dir != dir || !strings.HasPrefix(abs, "/") {
			t.Errorf("dir %q", cfg.Dir)
		}
	})
}

func TestMinimalDefaults(t *testing.T) {
	dir := filepath.Join("testdata", "valid", "minimal")
	cfg, _, diags := config.Load(dir, testOptions(nil))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	s := cfg.Settings
	if s.TimezoneName != "UTC" || s.DefaultLocale != "en" || s.FrequencyCap != nil {
		t.Errorf("defaults: %+v", s)
	}
	// A relative state path is relative to the configuration directory.
	if s.State.Backend != "sqlite" || s.State.Path != filepath.Join(dir, "state", "hearth.db") {
		t.Errorf("state %+v", s.State)
	}
	c := cfg.Communities[0]
	if c.OnCapacity != "split" || c.Capacity != 0 || c.Lifecycle.PreventDestroy {
		t.Errorf("community defaults %+v", c)
	}
}

func TestMultilingual(t *testing.T) {
	cfg, _, diags := config.Load(filepath.Join("testdata", "valid", "multilingual"), testOptions(nil))
	if len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	if cfg.Settings.DefaultLocale != "zh-CN" || cfg.Templates[0].DefaultLocale != "zh-CN" {
		t.Errorf("default locale %q", cfg.Settings.DefaultLocale)
	}
	r := cfg.Incentives[0].When.Program.Reads
	if !r.Event || !reflect.DeepEqual(r.EventTypes, []string{"workshop.attended"}) {
		t.Errorf("reads %+v", r)
	}
	if cfg.Settings.State.Backend != "memory" {
		t.Errorf("backend %q", cfg.Settings.State.Backend)
	}
	// A channel's title is its name on the platform; without one, its
	// block name is.
	chs := cfg.Communities[0].Channels
	got := names(chs, func(c *config.Channel) string { return c.Name + "=" + c.Title })
	if want := []string{"general=综合讨论", "help=help"}; !reflect.DeepEqual(got, want) {
		t.Errorf("channels %q, want %q", got, want)
	}
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

// outbox_retention is 90 days when unset, so a daemon that runs for years
// does not keep every message it sent; "0s" keeps the outbox forever.
func TestOutboxRetentionDefault(t *testing.T) {
	for _, c := range []struct {
		src  string
		want time.Duration
	}{
		{`platform "local" "main" {}`, 90 * 24 * time.Hour},
		{"hearth {\n  state {\n    event_id_retention = \"30d\"\n  }\n}\nplatform \"local\" \"main\" {}", 90 * 24 * time.Hour},
		{"hearth {\n  state {\n    outbox_retention = \"0s\"\n  }\n}\nplatform \"local\" \"main\" {}", 0},
		{"hearth {\n  state {\n    outbox_retention = \"2d\"\n  }\n}\nplatform \"local\" \"main\" {}", 48 * time.Hour},
	} {
		cfg, diags := loadSrc(t, c.src, testOptions(nil))
		if diags.HasErrors() {
			t.Fatalf("%s:%s", c.src, describe(diags))
		}
		if got := cfg.Settings.State.OutboxRetention; got != c.want {
			t.Errorf("%s\noutbox retention %v; want %v", c.src, got, c.want)
		}
	}
}

// TestFingerprintLeavesOutSecrets: the hash changes with every value, so
// a reload notices a rotated token; the fingerprint the daemon shows
// changes with the sources and plain values only, so it cannot be used
// to test a guess at a secret.
func TestFingerprintLeavesOutSecrets(t *testing.T) {
	dir := filepath.Join("testdata", "valid", "full")
	load := func(env map[string]string) *config.Config {
		t.Helper()
		cfg, _, diags := config.Load(dir, testOptions(env))
		if diags.HasErrors() {
			t.Fatalf("diagnostics:%s", describe(diags))
		}
		return cfg
	}
	with := func(k, v string) map[string]string {
		env := map[string]string{}
		for name, val := range validEnv {
			env[name] = val
		}
		env[k] = v
		return env
	}
	base := load(validEnv)
	rotated := load(with("HEARTH_VAR_chat_token", "xoxb-other"))
	if rotated.Hash == base.Hash {
		t.Error("a new secret value left the hash as it was: a reload would not take it")
	}
	if rotated.Fingerprint != base.Fingerprint {
		t.Error("the fingerprint changed with a secret value")
	}
	plain := load(with("HEARTH_VAR_capacity", "200"))
	if plain.Fingerprint == base.Fingerprint || plain.Hash == base.Hash {
		t.Error("a plain variable's value left the hash or the fingerprint as it was")
	}
	if base.Fingerprint == base.Hash {
		t.Error("the fingerprint is the hash, with the secrets in it")
	}
}

// TestHashSensitive: what a saved plan checks besides the fingerprint,
// the sensitive values, changes with a secret and not with a plain value,
// and there is nothing to hash without sensitive variables.
func TestHashSensitive(t *testing.T) {
	dir := filepath.Join("testdata", "valid", "full")
	sum := func(env map[string]string) string {
		t.Helper()
		cfg, _, diags := config.Load(dir, testOptions(env))
		if diags.HasErrors() {
			t.Fatalf("diagnostics:%s", describe(diags))
		}
		h := sha256.New()
		if !cfg.HashSensitive(h) {
			t.Fatal("no sensitive variables in testdata/valid/full")
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	with := func(k, v string) map[string]string {
		env := maps.Clone(validEnv)
		env[k] = v
		return env
	}
	base := sum(validEnv)
	if sum(with("HEARTH_VAR_chat_token", "xoxb-other")) == base {
		t.Error("a new secret value left the sensitive hash as it was")
	}
	if sum(with("HEARTH_VAR_capacity", "200")) != base {
		t.Error("a plain value changed the sensitive hash")
	}
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "main.hcl"), []byte("variable \"x\" {\n  default = \"y\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(plain, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("a plain variable:%s", describe(diags))
	}
	if cfg.HashSensitive(sha256.New()) {
		t.Error("a configuration without sensitive variables has sensitive values")
	}
}

// TestTierTrustPlatformDefault: a tier's discourse block without a
// platform is on its community's forum, or its role's, or else the only
// discourse platform block.
func TestTierTrustPlatformDefault(t *testing.T) {
	src := `
platform "local" "main" {
  path = ".hearth/local.json"
}

platform "discourse" "forum" {
  url = "https://forum.example.org"
}

community "forum" {
  title    = "Forum"
  platform = platform.discourse.forum
  role "regulars" {
    title = "Regulars"
  }
}

community "chat" {
  title    = "Chat"
  platform = platform.local.main
}

tier "basic" {
  rank      = 1
  when      = "member.points >= 10"
  community = community.chat
  discourse {
    trust_level = 1
  }
}

tier "regular" {
  rank = 2
  when = "member.points >= 100"
  role = community.forum.role.regulars
  discourse {
    trust_level = 3
    lock        = true
  }
}
`
	cfg, diags := loadSrc(t, src, testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, tr := range cfg.Tiers {
		if tr.Trust == nil || tr.Trust.Platform == nil || tr.Trust.Platform.Addr() != "platform.discourse.forum" {
			t.Errorf("tier %s: trust %+v; want on platform.discourse.forum", tr.Name, tr.Trust)
		}
	}
	if cfg.Tiers[0].Trust.Level != 1 || cfg.Tiers[0].Trust.Lock || cfg.Tiers[1].Trust.Level != 3 || !cfg.Tiers[1].Trust.Lock {
		t.Errorf("levels and locks: %+v %+v", cfg.Tiers[0].Trust, cfg.Tiers[1].Trust)
	}
}
