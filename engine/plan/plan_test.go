package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const base = `
platform "local" "main" {}

community "c" {
  title       = "C"
  purpose     = "Testing plans"
  platform    = platform.local.main
  house_rules = "Be kind."

  channel "general" {
    topic           = "Hello"
    pin_house_rules = true
  }
  channel "random" {}
  channel "news" {
    topic          = "News"
    ignore_changes = ["topic"]
  }
  role "mod" {
    title       = "Moderator"
    color       = "#F1C40F"
    permissions = ["manage_messages", "kick_members"]
  }
}
`

// fixture is a configuration directory with a local platform in it and
// a SQLite state store.
type fixture struct {
	t       testing.TB
	dir     string
	adapter *local.Adapter
	store   *sqlite.Store
	conns   plan.Conns
	cfg     *config.Config
	// vars are -var arguments, "name=value", for the next write.
	vars []string
}

func newFixture(t testing.TB, src string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), adapter: local.New()}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	f.write(src)
	return f
}

// write replaces the configuration and reloads it, reopening platforms.
func (f *fixture) write(src string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, "main.hcl"), []byte(src), 0o644); err != nil {
		f.t.Fatal(err)
	}
	reg, err := platform.NewRegistry(f.adapter)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg, _, diags := config.Load(f.dir, config.Options{Vars: f.vars, Platforms: reg.Specs(), LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		f.t.Fatal(diags.Error())
	}
	f.cfg = cfg
	conns, err := plan.Open(context.Background(), reg, cfg, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conns.Close() })
	f.conns = conns
}

func (f *fixture) plan(opts plan.Options) (*plan.Plan, error) {
	f.t.Helper()
	return plan.Make(context.Background(), f.cfg, f.store, f.conns, opts)
}

func (f *fixture) mustPlan() *plan.Plan {
	f.t.Helper()
	p, err := f.plan(plan.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) apply(p *plan.Plan) (plan.Result, error) {
	return plan.Apply(context.Background(), p, f.store, f.conns, plan.ApplyOptions{Config: f.cfg, Who: "test"})
}

func (f *fixture) mustApply(p *plan.Plan) plan.Result {
	f.t.Helper()
	r, err := f.apply(p)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// direct is the platform as someone outside hearth changes it.
func (f *fixture) direct() platform.Applier {
	c := f.conns["platform.local.main"].(*local.Conn)
	return c
}

func (f *fixture) id(addr string) string {
	f.t.Helper()
	rs, _, err := f.store.Resources(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Address == addr {
			return r.ID
		}
	}
	f.t.Fatalf("%s is not in state", addr)
	return ""
}

func actions(p *plan.Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			b.WriteString(string(c.Action) + " " + c.Address + "\n")
		}
	}
	return b.String()
}

func TestCreateThenNoChanges(t *testing.T) {
	f := newFixture(t, base)
	p := f.mustPlan()
	want := `create community.c
create community.c.channel.general
create community.c.channel.random
create community.c.channel.news
create community.c.role.mod
create community.c.channel.general.pin.house_rules
`
	if got := actions(p); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if p.Summary != (plan.Summary{Add: 6}) {
		t.Fatalf("summary %+v", p.Summary)
	}
	if c := p.Changes[4]; c.After["color"] != "#f1c40f" || c.After["permissions"] != "kick_members,manage_messages" || c.After["name"] != "Moderator" {
		t.Fatalf("role not canonical: %v", c.After)
	}
	if c := p.Changes[3]; c.After["position"] != "2" {
		t.Fatalf("news position %q, want its order in the file", c.After["position"])
	}
	if r := f.mustApply(p); r.Added != 6 {
		t.Fatalf("applied %+v", r)
	}
	p2 := f.mustPlan()
	if p2.HasChanges() {
		t.Fatalf("second plan has changes:\n%s", actions(p2))
	}
	if p2.StateSerial != 6 {
		t.Fatalf("serial %d after 6 creates", p2.StateSerial)
	}
}

func TestUpdateTopic(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `topic           = "Hello"`, `topic           = "Welcome"`, 1))
	p := f.mustPlan()
	if got := actions(p); got != "update community.c.channel.general\n" {
		t.Fatalf("plan:\n%s", got)
	}
	c := p.Changes[1]
	if c.Before["topic"] != "Hello" || c.After["topic"] != "Welcome" || strings.Join(c.Changed, ",") != "topic" {
		t.Fatalf("change %+v", c)
	}
	if r := f.mustApply(p); r.Changed != 1 {
		t.Fatalf("applied %+v", r)
	}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after update:\n%s", actions(p))
	}
}

func TestDrift(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	co := f.id("community.c")
	ap := f.direct()
	for _, req := range []platform.ApplyRequest{
		{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: f.id("community.c.channel.general"), Attrs: platform.Attrs{"topic": "Hacked"}},
		{Op: platform.OpDelete, Kind: platform.KindChannel, Community: co, ID: f.id("community.c.channel.random")},
		// ignore_changes = ["topic"]: not drift hearth reports.
		{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: f.id("community.c.channel.news"), Attrs: platform.Attrs{"topic": "Edited by a moderator"}},
	} {
		if _, err := ap.Apply(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(d), "update community.c.channel.general\ndelete community.c.channel.random\n"; got != want {
		t.Fatalf("drift:\n%s\nwant:\n%s", got, want)
	}
	if c := d.Changes[0]; c.Before["topic"] != "Hello" || c.After["topic"] != "Hacked" {
		t.Fatalf("drift %+v", c)
	}
	var text bytes.Buffer
	if err := d.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift.txt", text.Bytes())
	if _, err := f.apply(d); err == nil {
		t.Fatal("a drift report was applied")
	}
	p := f.mustPlan()
	if got, want := actions(p), "update community.c.channel.general\ncreate community.c.channel.random\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if c := p.Changes[2]; c.Reason != "was deleted outside hearth" {
		t.Fatalf("drift reason %q", c.Reason)
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after repair:\n%s", actions(p))
	}

	// A change made by hand that the configuration then takes up is no
	// change to plan; after an apply it is no drift either.
	if _, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: f.id("community.c.channel.general"), Attrs: platform.Attrs{"topic": "Hi"}}); err != nil {
		t.Fatal(err)
	}
	f.write(strings.Replace(base, `topic           = "Hello"`, `topic           = "Hi"`, 1))
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("config took up the change:\n%s", actions(p))
	}
	if d, err := plan.Drift(ctx, f.cfg, f.store, f.conns); err != nil || actions(d) != "update community.c.channel.general\n" {
		t.Fatalf("before apply: %v\n%s", err, actions(d))
	}
	f.mustApply(f.mustPlan())
	if d, err := plan.Drift(ctx, f.cfg, f.store, f.conns); err != nil || d.HasChanges() {
		t.Fatalf("after apply: %v\n%s", err, actions(d))
	}
}

func TestIgnoreChangesInConfig(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `topic          = "News"`, `topic          = "Other"`, 1))
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("an ignored attribute changed the plan:\n%s", actions(p))
	}
}

func TestDeleteWhenChannelLeavesConfig(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `channel "random" {}`, ``, 1))
	p := f.mustPlan()
	// Positions are the order in the file, so news moves up.
	if got := actions(p); got != "delete community.c.channel.random\nupdate community.c.channel.news\n" {
		t.Fatalf("plan:\n%s", got)
	}
	if r := f.mustApply(p); r.Destroyed != 1 || r.Changed != 1 {
		t.Fatalf("applied %+v", r)
	}
}

func TestPreventDestroy(t *testing.T) {
	src := strings.Replace(base, `channel "random" {}`, `channel "random" {
    prevent_destroy = true
  }`, 1)
	f := newFixture(t, src)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `channel "random" {}`, ``, 1))
	_, err := f.plan(plan.Options{})
	if !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "community.c.channel.random has prevent_destroy set") {
		t.Fatalf("err = %v", err)
	}
	// Clearing the flag first, then removing, is the way out.
	f.write(base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `channel "random" {}`, ``, 1))
	if _, err := f.plan(plan.Options{}); err != nil {
		t.Fatalf("after clearing prevent_destroy: %v", err)
	}
}

func TestRemovalGuard(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	// general goes with its pin: 3 of 6 resources.
	f.write(strings.Replace(strings.Replace(base, `channel "random" {}`, ``, 1), `house_rules = "Be kind."`, ``, 1))
	p, err := f.plan(plan.Options{})
	if !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "destroys 2 of 6 managed resources (33%)") {
		t.Fatalf("err = %v", err)
	}
	if p == nil || p.Summary.Destroy != 2 {
		t.Fatalf("a refused plan is still returned for showing: %+v", p)
	}
	if _, err := f.plan(plan.Options{AllowRemovals: true}); err != nil {
		t.Fatal(err)
	}
	half, none, over := 0.5, 0.0, 1.5
	if _, err := f.plan(plan.Options{MaxRemovalShare: &half}); err != nil {
		t.Fatalf("with a share of 50%%: %v", err)
	}
	// A share of 0 is no destroys at all, not the default.
	f.write(strings.Replace(base, `channel "random" {}`, ``, 1))
	if _, err := f.plan(plan.Options{}); err != nil {
		t.Fatalf("one destroy with the default share: %v", err)
	}
	if _, err := f.plan(plan.Options{MaxRemovalShare: &none}); !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), "more than the 0% allowed") {
		t.Fatalf("with a share of 0: err = %v", err)
	}
	if _, err := f.plan(plan.Options{MaxRemovalShare: &none, AllowRemovals: true}); err != nil {
		t.Fatalf("with a share of 0 and AllowRemovals: %v", err)
	}
	if _, err := f.plan(plan.Options{MaxRemovalShare: &over}); err == nil || !strings.Contains(err.Error(), "not a fraction from 0 to 1") {
		t.Fatalf("with a share of 1.5: err = %v", err)
	}
}

func TestStalePlan(t *testing.T) {
	f := newFixture(t, base)
	p1 := f.mustPlan()
	f.mustApply(f.mustPlan())
	if _, err := f.apply(p1); !errors.Is(err, plan.ErrStale) {
		t.Fatalf("state moved on: err = %v", err)
	}
	p2 := f.mustPlan()
	p2.ConfigHash = "other"
	if _, err := f.apply(p2); !errors.Is(err, plan.ErrStale) {
		t.Fatalf("config changed: err = %v", err)
	}
}

// TestPlanForOtherConfiguration: apply tells a plan made for another
// configuration (another directory, other communities) from one whose
// configuration changed since, and names the files that differ.
func TestPlanForOtherConfiguration(t *testing.T) {
	f := newFixture(t, base)
	p := f.mustPlan()
	if p.Source == nil || p.Source.Dir != f.dir || len(p.Source.Files) != 1 || p.Source.Communities[0] != "community.c" {
		t.Fatalf("source: %+v", p.Source)
	}

	other := newFixture(t, strings.Replace(base, `"Testing plans"`, `"Other plans"`, 1))
	_, err := other.apply(p)
	var mm *plan.ConfigMismatchError
	if !errors.As(err, &mm) || !mm.Other || !errors.Is(err, plan.ErrStale) {
		t.Fatalf("a plan from another directory: %v", err)
	}
	for _, want := range []string{"made for a different configuration, in " + f.dir, "this one is in " + other.dir, "main.hcl changed", "run hearth plan for this configuration"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}

	// The same directory with none of the plan's communities: another
	// project checked out at the same path.
	f.write(strings.Replace(base, `community "c"`, `community "d"`, 1))
	_, err = f.apply(p)
	if !errors.As(err, &mm) || !mm.Other || !strings.Contains(err.Error(), "for community.c (this one has community.d; files differ: main.hcl changed)") {
		t.Fatalf("a plan for other communities: %v", err)
	}

	// The same configuration, edited and with a file added: changed.
	f.write(strings.Replace(base, `"Hello"`, `"Welcome"`, 1))
	if err := os.WriteFile(filepath.Join(f.dir, "more.hcl"), []byte("locals {\n  x = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.write(strings.Replace(base, `"Hello"`, `"Welcome"`, 1))
	_, err = f.apply(p)
	if !errors.As(err, &mm) || mm.Other || !errors.Is(err, plan.ErrStale) {
		t.Fatalf("a changed configuration: %v", err)
	}
	if want := "the configuration changed since the plan was made (files differ: main.hcl changed, more.hcl added): run hearth plan again"; !strings.Contains(err.Error(), want) {
		t.Fatalf("%q lacks %q", err, want)
	}

	// Same files, another hash: the variable values differ.
	if err := os.Remove(filepath.Join(f.dir, "more.hcl")); err != nil {
		t.Fatal(err)
	}
	f.write(base)
	p.ConfigHash = "other"
	_, err = f.apply(p)
	if err == nil || !strings.Contains(err.Error(), "same files, other variable values") {
		t.Fatalf("other variable values: %v", err)
	}

	// A plan saved before 1.1 has no source: the general message.
	p.Source = nil
	if _, err = f.apply(p); err == nil || !strings.Contains(err.Error(), "the configuration changed since the plan was made") || errors.As(err, &mm) {
		t.Fatalf("a plan without its source: %v", err)
	}
}

func TestLockHeld(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	if err := f.store.Lock(ctx, state.LockInfo{ID: "other", Who: "ann@ci", When: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, err := f.apply(f.mustPlan())
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder.Who != "ann@ci" {
		t.Fatalf("err = %v", err)
	}
	if err := f.store.Unlock(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	f.mustApply(f.mustPlan())
}

func TestPartialFailure(t *testing.T) {
	f := newFixture(t, base)
	calls := 0
	f.adapter.Fault = func(_ context.Context, c local.Call) error {
		calls++
		if calls == 3 {
			return platform.Permanent(errors.New("missing permissions"))
		}
		return nil
	}
	f.write(base)
	if _, err := f.apply(f.mustPlan()); err == nil || !strings.Contains(err.Error(), "missing permissions") {
		t.Fatalf("err = %v", err)
	}
	f.adapter.Fault = nil
	f.write(base)
	p := f.mustPlan()
	if p.Summary != (plan.Summary{Add: 4}) {
		t.Fatalf("after a failure at the third change: %+v\n%s", p.Summary, actions(p))
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("left:\n%s", actions(p))
	}
}

// An object deleted outside hearth between plan and apply: the error
// says so and what to do, and the result says where apply stopped and
// how much it left.
func TestApplyObjectGone(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	src := strings.Replace(strings.Replace(base, `topic           = "Hello"`, `topic           = "Welcome"`, 1), `channel "random" {}`, `channel "random" { topic = "R" }`, 1)
	f.write(src)
	p := f.mustPlan()
	f.adapter.Fault = func(_ context.Context, c local.Call) error {
		if c.Apply != nil && c.Apply.Op == platform.OpUpdate {
			return fmt.Errorf("channel %q: %w", c.Apply.ID, platform.ErrNotFound)
		}
		return nil
	}
	f.write(src) // the platform takes the fault when opened
	res, err := f.apply(p)
	if !errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "changed or deleted outside hearth since the plan was made; run hearth plan again") {
		t.Fatalf("err = %v", err)
	}
	if res.Failed != "community.c.channel.general" || res.NotAttempted != 1 || res.Changed != 0 {
		t.Fatalf("result = %+v\n%s", res, actions(p))
	}
}

func TestRateLimitRetried(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, base)
	f.adapter.RateLimit = durations.Rate{Count: 2, Window: time.Minute}
	f.adapter.Now = func() time.Time { return now }
	f.write(base)
	var progress bytes.Buffer
	r, err := plan.Apply(context.Background(), f.mustPlan(), f.store, f.conns, plan.ApplyOptions{
		Config: f.cfg, Progress: &progress,
		Sleep: func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
	})
	if err != nil || r.Added != 6 {
		t.Fatalf("%+v, %v\n%s", r, err, progress.String())
	}
	if !strings.Contains(progress.String(), "community.c.channel.random: Creating... (rate limited, retrying in 1m0s) Created (id ch-2)") {
		t.Fatalf("progress:\n%s", progress.String())
	}
}

// Events tell each change's start and end, in the plan's order, with
// the same words as the progress lines: the rate-limit wait of the
// third, and the fourth failing, with its error and how long it took.
func TestApplyEvents(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, base)
	f.adapter.RateLimit = durations.Rate{Count: 2, Window: time.Minute}
	f.adapter.Now = func() time.Time { return now }
	calls := 0
	f.adapter.Fault = func(_ context.Context, c local.Call) error {
		calls++
		if calls == 4 {
			return platform.Permanent(errors.New("missing permissions"))
		}
		return nil
	}
	f.write(base)
	p := f.mustPlan()
	var progress bytes.Buffer
	var events []plan.ApplyEvent
	res, err := plan.Apply(context.Background(), p, f.store, f.conns, plan.ApplyOptions{
		Config: f.cfg, Progress: &progress, Now: func() time.Time { return now },
		Events: func(e plan.ApplyEvent) { events = append(events, e) },
		Sleep:  func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
	})
	if err == nil || res.Failed != p.Changes[3].Address {
		t.Fatalf("%+v, %v\n%s", res, err, progress.String())
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %s %s id=%q elapsed=%s retry=%s err=%v | %s", e.Phase, e.Action, e.Address, e.ID, e.Elapsed, e.RetryIn, e.Err, e.Message))
	}
	c := p.Changes
	want := []string{
		`start create community.c id="" elapsed=0s retry=0s err=<nil> | community.c: Creating...`,
		`complete create community.c id="co-1" elapsed=0s retry=0s err=<nil> | community.c: Created (id co-1)`,
		`start create ` + c[1].Address + ` id="" elapsed=0s retry=0s err=<nil> | ` + c[1].Address + `: Creating...`,
		`complete create ` + c[1].Address + ` id="ch-1" elapsed=0s retry=0s err=<nil> | ` + c[1].Address + `: Created (id ch-1)`,
		`start create ` + c[2].Address + ` id="" elapsed=0s retry=0s err=<nil> | ` + c[2].Address + `: Creating...`,
		`retry create ` + c[2].Address + ` id="" elapsed=0s retry=1m0s err=<nil> | ` + c[2].Address + `: rate limited, retrying in 1m0s`,
		`complete create ` + c[2].Address + ` id="ch-2" elapsed=1m0s retry=0s err=<nil> | ` + c[2].Address + `: Created (id ch-2)`,
		`start create ` + c[3].Address + ` id="" elapsed=0s retry=0s err=<nil> | ` + c[3].Address + `: Creating...`,
		`errored create ` + c[3].Address + ` id="" elapsed=0s retry=0s err=missing permissions | ` + c[3].Address + `: Creating... failed`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasSuffix(progress.String(), c[3].Address+": Creating... failed\n") {
		t.Fatalf("progress:\n%s", progress.String())
	}
}

func TestGoldenText(t *testing.T) {
	f := newFixture(t, base)
	create := f.mustPlan()
	f.mustApply(create)
	f.write(strings.Replace(strings.Replace(base, `topic           = "Hello"`, `topic           = "Welcome"`, 1), `channel "random" {}`, ``, 1))
	change := f.mustPlan()
	f.write(base)
	none := f.mustPlan()
	// A house rule edited in its third line: a line diff shows the edit,
	// where two quoted texts cut at the same place would hide it.
	const rules = "1. Be kind to each other, and assume good faith.\\n2. Share what you built, not only what you bought.\\n3. No spam.\\n4. Ask before you DM.\\n5. Credit others.\\n6. Have fun."
	f.write(strings.Replace(base, `"Be kind."`, `"`+rules+`"`, 1))
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `"Be kind."`, `"`+strings.Replace(rules, "No spam.", "No spam or self-promotion.", 1)+`"`, 1))
	rulesPlan := f.mustPlan()
	// A rules change moves members, with or without platform changes:
	// the summary says how many, and never a bare "No changes." above.
	moves := &plan.Impact{Members: 3, Moved: 2, Moves: []plan.MemberMove{
		{Kind: "segment", Name: "big", Enter: 1, EnterSample: []string{"Bob"}},
		{Kind: "tier", Name: "regular", Leave: 1, LeaveSample: []string{"Ann"}},
	}}
	membersOnly, changeMembers := *none, *change
	membersOnly.MemberImpact, changeMembers.MemberImpact = moves, moves
	quiet := *none
	quiet.MemberImpact = &plan.Impact{Members: 3, Moves: []plan.MemberMove{}}
	for name, p := range map[string]*plan.Plan{"create": create, "change": change, "none": none, "rules": rulesPlan,
		"members_only": &membersOnly, "change_members": &changeMembers, "none_quiet_members": &quiet} {
		var b bytes.Buffer
		if err := p.WriteText(&b, false); err != nil {
			t.Fatal(err)
		}
		golden(t, name+".txt", b.Bytes())
		var c bytes.Buffer
		if err := p.WriteText(&c, true); err != nil {
			t.Fatal(err)
		}
		if p.HasChanges() && !bytes.Contains(c.Bytes(), []byte("\x1b[")) {
			t.Fatalf("%s: no color on a terminal", name)
		}
	}
}

// The summary line counts the members the rules would move, as the text
// plan's and hearth apply -json's plan message say it; a plan saved
// before the count was kept still says that some would.
func TestSummaryLineCountsMovedMembers(t *testing.T) {
	moves := []plan.MemberMove{{Kind: "tier", Name: "regular", Leave: 1}}
	for _, c := range []struct {
		summary plan.Summary
		impact  *plan.Impact
		moves   bool
		want    string
	}{
		{plan.Summary{}, nil, false, "Plan: no changes."},
		{plan.Summary{}, &plan.Impact{Members: 3, Moves: []plan.MemberMove{}}, false, "Plan: no changes."},
		{plan.Summary{Add: 1}, nil, false, "Plan: 1 to add, 0 to change, 0 to destroy."},
		{plan.Summary{}, &plan.Impact{Members: 3, Moved: 1, Moves: moves}, true, "Plan: no changes to the platforms. Members: 1 would move when hearth run loads these rules."},
		{plan.Summary{Change: 2}, &plan.Impact{Members: 3, Moved: 3, Moves: moves}, true, "Plan: 0 to add, 2 to change, 0 to destroy. Members: 3 would move when hearth run loads these rules."},
		{plan.Summary{}, &plan.Impact{Members: 3, Moves: moves}, true, "Plan: no changes to the platforms. Members: some would move when hearth run loads these rules."},
	} {
		p := &plan.Plan{Summary: c.summary, MemberImpact: c.impact}
		if got := p.MovesMembers(); got != c.moves {
			t.Errorf("%+v, %+v: MovesMembers() = %v, want %v", c.summary, c.impact, got, c.moves)
		}
		if got := p.SummaryLine(); got != c.want {
			t.Errorf("%+v, %+v: SummaryLine() = %q, want %q", c.summary, c.impact, got, c.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	f := newFixture(t, base)
	p := f.mustPlan()
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format_version": "1.7"`, `"config_hash": "` + f.cfg.Fingerprint + `"`, `"state_serial": 0`, `"action": "create"`, `"summary"`} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("JSON lacks %s:\n%s", want, b.String())
		}
	}
	q, err := plan.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	f.mustApply(q)
	if _, err := plan.Read(strings.NewReader(`{"format_version":"2.0"}`)); err == nil {
		t.Fatal("a plan of format 2.0 was read")
	}
	if _, err := plan.Read(strings.NewReader(`{"resources": [], "serial": 0}`)); err == nil || !strings.Contains(err.Error(), "not a hearth plan") {
		t.Fatalf("another JSON document: %v", err)
	}
	// Terminal control codes in what the text form prints unquoted.
	for _, doc := range []string{
		`{"format_version":"1.1","changes":[{"address":"community.c\u001b[2J","kind":"community","action":"create"}]}`,
		`{"format_version":"1.1","changes":[{"address":"community.c","kind":"community","action":"update","id":"1","reason":"x\u001b]0;owned\u0007"}]}`,
		`{"format_version":"1.1","changes":[{"address":"community.c","kind":"community","action":"create","after":{"na\u001bme":"x"}}]}`,
	} {
		if _, err := plan.Read(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("a plan with a control code: %v\n%s", err, doc)
		}
	}
	// In a value, which is printed quoted, a newline is just text.
	if _, err := plan.Read(strings.NewReader(`{"format_version":"1.1","changes":[{"address":"community.c","kind":"community","action":"create","after":{"description":"a\nb"}}]}`)); err != nil {
		t.Errorf("a value with a newline: %v", err)
	}
}

// TestJSONTypes: numbers and booleans are JSON numbers and booleans in
// before and after, as a machine reader expects, and Read takes them
// (and the all-string values of older plans) back as the same plan.
func TestJSONTypes(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `topic           = "Hello"`, `topic           = "Welcome"`, 1))
	p := f.mustPlan()
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changes []struct {
			Address       string
			Before, After map[string]any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range doc.Changes {
		switch c.Address {
		case "community.c.channel.general":
			for _, attrs := range []map[string]any{c.Before, c.After} {
				if pos, ok := attrs["position"].(float64); !ok || pos != 0 {
					t.Errorf("position is %#v, want the number 0", attrs["position"])
				}
				if priv, ok := attrs["private"].(bool); !ok || priv {
					t.Errorf("private is %#v, want the boolean false", attrs["private"])
				}
			}
			if c.After["topic"] != "Welcome" {
				t.Errorf("topic is %#v", c.After["topic"])
			}
			seen++
		case "community.c.role.mod":
			if h, ok := c.After["hoist"].(bool); !ok || h {
				t.Errorf("hoist is %#v, want the boolean false", c.After["hoist"])
			}
			for _, attrs := range []map[string]any{c.Before, c.After} {
				if perms := attrs["permissions"]; !reflect.DeepEqual(perms, []any{"kick_members", "manage_messages"}) {
					t.Errorf("permissions are %#v, want an array of the names", perms)
				}
			}
			seen++
		}
	}
	if seen != 2 {
		t.Fatalf("the plan lacks the channel or the role:\n%s", b.String())
	}
	q, err := plan.Read(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Changes, p.Changes) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", q.Changes, p.Changes)
	}
	// A plan saved before values were typed still reads, and so does one
	// saved before lists were arrays (format 1.1: one string of names).
	old := strings.NewReplacer(`"position": 0`, `"position": "0"`, `"private": false`, `"private": "false"`).Replace(b.String())
	if old == b.String() {
		t.Fatal("no typed value to rewrite")
	}
	if q, err = plan.Read(strings.NewReader(old)); err != nil || !reflect.DeepEqual(q.Changes, p.Changes) {
		t.Fatalf("a plan with string values: %v", err)
	}
	list := regexp.MustCompile(`"permissions": \[\s*"kick_members",\s*"manage_messages"\s*\]`)
	v11 := list.ReplaceAllString(strings.Replace(b.String(), `"format_version": "`+plan.FormatVersion+`"`, `"format_version": "1.1"`, 1), `"permissions": "kick_members,manage_messages"`)
	if strings.Contains(v11, `"permissions": [`) || !strings.Contains(v11, `"1.1"`) {
		t.Fatalf("the plan was not rewritten in format 1.1:\n%s", v11)
	}
	if q, err = plan.Read(strings.NewReader(v11)); err != nil || !reflect.DeepEqual(q.Changes, p.Changes) {
		t.Fatalf("a plan of format 1.1, permissions as one string: %v", err)
	}
	if _, err := plan.Read(strings.NewReader(`{"format_version":"1.0","changes":[{"address":"a","after":{"x":[1]}}]}`)); err == nil {
		t.Fatal("a list value was read")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestCommunityDeletedOutsideHearth(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	if _, err := f.direct().Apply(context.Background(), platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindCommunity, ID: f.id("community.c")}); err != nil {
		t.Fatal(err)
	}
	p := f.mustPlan()
	if p.Summary != (plan.Summary{Add: 6}) {
		t.Fatalf("everything in it went too: %+v\n%s", p.Summary, actions(p))
	}
	for _, c := range p.Changes {
		if c.Reason != "was deleted outside hearth" {
			t.Fatalf("%s: reason %q", c.Address, c.Reason)
		}
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after repair:\n%s", actions(p))
	}
}

func TestDestroyCommunity(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(`platform "local" "main" {}` + "\n")
	p, err := f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `delete community.c.channel.general.pin.house_rules
delete community.c.role.mod
delete community.c.channel.random
delete community.c.channel.news
delete community.c.channel.general
delete community.c
`
	if got := actions(p); got != want {
		t.Fatalf("deletes, deepest first:\n%s\nwant:\n%s", got, want)
	}
	if r := f.mustApply(p); r.Destroyed != 6 {
		t.Fatalf("applied %+v", r)
	}
	if rs, _, _ := f.store.Resources(context.Background()); len(rs) != 0 {
		t.Fatalf("state keeps %v", rs)
	}
}

func TestMoveAndForget(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	if _, err := plan.Move(ctx, f.store, "community.c.channel.random", "community.c.role.random", "test", false); err == nil {
		t.Fatal("moved a channel to a role address")
	}
	if _, err := plan.Move(ctx, f.store, "community.c.channel.random", "community.c.channel.news", "test", false); err == nil || !strings.Contains(err.Error(), "already has community.c.channel.news") {
		t.Fatalf("moved onto an existing address: %v", err)
	}
	// A dry run names what would move, and an error it would meet, and
	// changes nothing.
	if _, err := plan.Move(ctx, f.store, "community.c.channel.random", "community.c.channel.news", "test", true); err == nil || !strings.Contains(err.Error(), "already has community.c.channel.news") {
		t.Fatalf("dry run onto an existing address: %v", err)
	}
	before, _, _ := f.store.Resources(ctx)
	would, err := plan.Move(ctx, f.store, "community.c", "community.d", "test", true)
	if err != nil || len(would) != 6 {
		t.Fatalf("%v, %v", would, err)
	}
	wouldRm, _, err := plan.Forget(ctx, f.store, "community.c.channel.general", "test", true)
	if err != nil || strings.Join(wouldRm, " ") != "community.c.channel.general community.c.channel.general.pin.house_rules" {
		t.Fatalf("%v, %v", wouldRm, err)
	}
	if after, _, _ := f.store.Resources(ctx); !reflect.DeepEqual(before, after) {
		t.Fatalf("a dry run changed state:\n%v\n%v", before, after)
	}
	// An address state has nothing at says so, with the addresses there
	// and their communities, for the caller to suggest the one meant.
	for _, try := range []func() error{
		func() error { _, _, err := plan.Forget(ctx, f.store, "community.cc", "test", true); return err },
		func() error {
			_, err := plan.Move(ctx, f.store, "community.cc", "community.d", "test", false)
			return err
		},
	} {
		var nothing *plan.NothingAtError
		if err := try(); !errors.As(err, &nothing) || nothing.Addr != "community.cc" || err.Error() != "state has nothing at community.cc" ||
			!slices.Contains(nothing.Known, "community.c") || !slices.Contains(nothing.Known, "community.c.channel.general") {
			t.Fatalf("nothing at community.cc: %v %+v", err, nothing)
		}
	}
	// Moving a community moves what is in it.
	done, err := plan.Move(ctx, f.store, "community.c", "community.d", "test", false)
	if err != nil || !reflect.DeepEqual(done, would) {
		t.Fatalf("%v, %v; the dry run said %v", done, err, would)
	}
	f.write(strings.Replace(base, `community "c"`, `community "d"`, 1))
	p := f.mustPlan()
	if got := actions(p); got != "update community.d\n" {
		t.Fatalf("after the move the community is renamed, not replaced:\n%s", got)
	}
	removed, _, err := plan.Forget(ctx, f.store, "community.d.channel.general", "test", false)
	if err != nil || strings.Join(removed, " ") != "community.d.channel.general community.d.channel.general.pin.house_rules" {
		t.Fatalf("%v, %v", removed, err)
	}
}

func TestTarget(t *testing.T) {
	f := newFixture(t, base)
	p, err := f.plan(plan.Options{Targets: []string{"community.c.channel.general"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "create community.c\ncreate community.c.channel.general\ncreate community.c.channel.general.pin.house_rules\n"
	if got := actions(p); got != want || p.Summary.Add != 3 {
		t.Fatalf("targeted plan:\n%s\nwant:\n%s", got, want)
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.Summary != (plan.Summary{Add: 3}) {
		t.Fatalf("the rest is left: %+v\n%s", p.Summary, actions(p))
	}
}

func TestAdopt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	// Only the community comes from hearth; a moderator made #random by hand.
	p, err := f.plan(plan.Options{Targets: []string{"community.c"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Changes = p.Changes[:1]
	f.mustApply(p)
	resp, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.id("community.c"),
		Attrs: platform.Attrs{"name": "random", "topic": "Anything goes", "position": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := plan.Adopt(ctx, f.cfg, f.store, f.conns, "community.c.channel.nope", resp.Object.ID, "test"); err == nil {
		t.Fatal("adopted into an address the configuration lacks")
	}
	r, already, err := plan.Adopt(ctx, f.cfg, f.store, f.conns, "community.c.channel.random", resp.Object.ID, "test")
	if err != nil || already || r.Attrs["topic"] != "Anything goes" {
		t.Fatalf("%+v, %v, %v", r, already, err)
	}
	if _, _, err := plan.Adopt(ctx, f.cfg, f.store, f.conns, "community.c.channel.news", resp.Object.ID, "test"); err == nil {
		t.Fatal("one object adopted at two addresses")
	}
	// The same import again is done already: nothing changes, not even
	// the serial.
	_, serial, _ := f.store.Resources(ctx)
	r, already, err = plan.Adopt(ctx, f.cfg, f.store, f.conns, "community.c.channel.random", resp.Object.ID, "test")
	if _, after, _ := f.store.Resources(ctx); err != nil || !already || r.ID != resp.Object.ID || after != serial {
		t.Fatalf("import again: %+v, %v, %v, serial %d then %d", r, already, err, serial, after)
	}
	// Another object at the bound address is refused, and names the way out.
	other, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.id("community.c"),
		Attrs: platform.Attrs{"name": "random2"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = plan.Adopt(ctx, f.cfg, f.store, f.conns, "community.c.channel.random", other.Object.ID, "test")
	if !errors.Is(err, plan.ErrAlreadyManaged) || !strings.Contains(err.Error(), "state binds community.c.channel.random to channel "+resp.Object.ID+", not to channel "+other.Object.ID) ||
		!strings.Contains(err.Error(), "run hearth state rm community.c.channel.random first") {
		t.Fatalf("another object at a bound address: %v", err)
	}
	q := f.mustPlan()
	var random plan.Change
	for _, c := range q.Changes {
		if c.Address == "community.c.channel.random" {
			random = c
		}
	}
	if random.Action != plan.Update || strings.Join(random.Changed, ",") != "topic" {
		t.Fatalf("the adopted channel is updated, not created: %+v", random)
	}
}

func TestMovedBlock(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	general := f.id("community.c.channel.general")
	renamed := strings.Replace(base, `channel "general" {`, `channel "lobby" {`, 1) + `
moved {
  from = "community.c.channel.general"
  to   = "community.c.channel.lobby"
}
`
	f.write(renamed)
	p := f.mustPlan()
	want := "update community.c.channel.lobby\n"
	if got := actions(p); got != want || p.Summary != (plan.Summary{Change: 1, Move: 2}) {
		t.Fatalf("plan %+v:\n%s\nwant:\n%s", p.Summary, got, want)
	}
	var text bytes.Buffer
	if err := p.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"# community.c.channel.lobby will be updated in place (moved from community.c.channel.general)",
		"# community.c.channel.general.pin.house_rules has moved to community.c.channel.lobby.pin.house_rules",
		"Plan: 0 to add, 1 to change, 0 to destroy, 2 to move.",
	} {
		if !strings.Contains(text.String(), line) {
			t.Fatalf("text lacks %q:\n%s", line, text.String())
		}
	}
	f.mustApply(p)
	if f.id("community.c.channel.lobby") != general {
		t.Fatal("the channel was not kept")
	}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after the move:\n%s", actions(p))
	}
}

// A moved block whose from has a slip moves nothing, and the plan
// destroys the object meant and creates the new block's: the plan warns
// with the address state has. validate cannot know it (only state has
// the old address). Once the new address is in state, or with nothing in
// state near the from, there is nothing to say.
func TestMovedFromSlip(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	slip := strings.Replace(base, `channel "general" {`, `channel "lobby" {`, 1) + `
moved {
  from = community.c.channel.genral
  to   = community.c.channel.lobby
}
`
	f.write(slip)
	p, err := f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "the moved block at main.hcl:26 moved nothing: state has no community.c.channel.genral. Did you mean from = community.c.channel.general? As written, this plan destroys community.c.channel.general and creates community.c.channel.lobby anew."
	if !slices.Contains(p.Warnings, want) {
		t.Fatalf("warnings %q, want %q", p.Warnings, want)
	}
	far := strings.Replace(slip, "genral", "elsewhere", 1)
	f.write(far)
	p, err = f.plan(plan.Options{AllowRemovals: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 0 {
		t.Fatalf("a from near no address in state: %q", p.Warnings)
	}
}

// A moved block whose new address state already has, while state still
// has the old one too, cannot be followed: the plan says so, with the
// block's line, instead of destroying the old object without a word.
func TestMovedBlockOntoTakenAddress(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	merged := strings.Replace(base, "  channel \"random\" {}\n", "", 1) + `
moved {
  from = community.c.channel.random
  to   = community.c.channel.general
}
`
	f.write(merged)
	p := f.mustPlan()
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "the moved block at main.hcl:25 was not followed: state has objects at both community.c.channel.random and community.c.channel.general") {
		t.Fatalf("warnings: %q", p.Warnings)
	}
	var text bytes.Buffer
	if err := p.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "Warning: the moved block at main.hcl:25") {
		t.Fatalf("text:\n%s", text.String())
	}
}

func TestImportBlock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	p, err := f.plan(plan.Options{Targets: []string{"community.c"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Changes = p.Changes[:1]
	f.mustApply(p)
	resp, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.id("community.c"),
		Attrs: platform.Attrs{"name": "random", "topic": "Anything goes", "position": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	f.write(base + fmt.Sprintf(`
import {
  to = "community.c.channel.random"
  id = %q
}
`, resp.Object.ID))
	p = f.mustPlan()
	var random plan.Change
	for _, c := range p.Changes {
		if c.Address == "community.c.channel.random" {
			random = c
		}
	}
	if random.Action != plan.Update || random.ImportID != resp.Object.ID || strings.Join(random.Changed, ",") != "topic" || p.Summary.Import != 1 {
		t.Fatalf("import: %+v, %+v", random, p.Summary)
	}
	f.mustApply(p)
	if f.id("community.c.channel.random") != resp.Object.ID {
		t.Fatal("the existing channel was not adopted")
	}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("after import:\n%s", actions(p))
	}
}

// An import block the plan cannot follow is an error at its id, as in
// Terraform, not a no-op: its object managed at another address, or its
// address bound in state to another object. The id state binds there
// already is an import done, and plans nothing.
func TestImportConflicts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	general, random := f.id("community.c.channel.general"), f.id("community.c.channel.random")
	loose, err := f.direct().Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: f.id("community.c"),
		Attrs: platform.Attrs{"name": "loose", "position": "9"}})
	if err != nil {
		t.Fatal(err)
	}
	importing := func(to, id string) string {
		return base + fmt.Sprintf(`
import {
  to = %s
  id = %q
}
`, to, id)
	}
	line := strings.Count(base, "\n") + 4 // the id line
	for _, tc := range []struct {
		name, to, id, summary string
		detail                []string
	}{
		{"managed at another address, target in state", "community.c.channel.random", general, "Object already managed", []string{
			"channel " + general + " is already managed at community.c.channel.general, so it cannot be imported to community.c.channel.random",
			"moved block (from = community.c.channel.general, to = community.c.channel.random)",
			"hearth state rm community.c.channel.general",
			"State binds community.c.channel.random to channel " + random,
		}},
		{"target bound to another object", "community.c.channel.random", loose.Object.ID, "Import target already in state", []string{
			"community.c.channel.random is bound in state to channel " + random + ", not to channel " + loose.Object.ID,
			"run hearth state rm community.c.channel.random first",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.write(importing(tc.to, tc.id))
			_, err := f.plan(plan.Options{})
			var be *plan.BlockError
			if !errors.As(err, &be) {
				t.Fatalf("want a BlockError, got %v", err)
			}
			d := be.Diagnostic
			if d.Summary != tc.summary || d.Subject == nil || d.Subject.Start.Line != line || filepath.Base(d.Subject.Filename) != "main.hcl" {
				t.Fatalf("diagnostic %s at %v, want %s at main.hcl:%d", d.Summary, d.Subject, tc.summary, line)
			}
			for _, want := range tc.detail {
				if !strings.Contains(d.Detail, want) {
					t.Errorf("detail lacks %q:\n%s", want, d.Detail)
				}
			}
		})
	}

	// The id state binds there: done, nothing to import.
	f.write(importing("community.c.channel.random", random))
	p := f.mustPlan()
	if p.HasChanges() || p.Summary.Import != 0 {
		t.Fatalf("an import already done plans:\n%s", actions(p))
	}
}

// Both state stores hold platform resources.
var (
	_ plan.Store = (*sqlite.Store)(nil)
	_ plan.Store = (*state.Memory)(nil)
)

func TestMemoryStore(t *testing.T) {
	f := newFixture(t, base)
	mem := state.NewMemory()
	p, err := plan.Make(context.Background(), f.cfg, mem, f.conns, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Apply(context.Background(), p, mem, f.conns, plan.ApplyOptions{Config: f.cfg}); err != nil {
		t.Fatal(err)
	}
	if p, err := plan.Make(context.Background(), f.cfg, mem, f.conns, plan.Options{}); err != nil || p.HasChanges() {
		t.Fatalf("%v, %+v", err, p.Summary)
	}
}

func TestGlobalIgnoreChanges(t *testing.T) {
	noise := "hearth {\n  ignore_changes = [\"community.*.channel.*.position\"]\n}\n"
	f := newFixture(t, noise+base)
	f.mustApply(f.mustPlan())
	f.write(noise + strings.Replace(base, `channel "random" {}`, ``, 1))
	// Without the pattern news would move up a position too.
	if got := actions(f.mustPlan()); got != "delete community.c.channel.random\n" {
		t.Fatalf("plan:\n%s", got)
	}
}

// unreadableChannels is a platform that cannot list channels, as the
// Telegram Bot API cannot.
type unreadableChannels struct{ *local.Conn }

func (u unreadableChannels) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	if req.Kind == platform.KindChannel {
		return platform.ReadResponse{}, fmt.Errorf("cannot list channels: %w", platform.ErrUnsupported)
	}
	return u.Conn.Read(ctx, req)
}

// Objects of a kind the platform cannot list are taken as they were
// applied, not as deleted outside hearth: a second plan has no changes,
// and a changed topic is still planned.
func TestUnlistableKindIsTakenFromState(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.conns["platform.local.main"] = unreadableChannels{f.conns["platform.local.main"].(*local.Conn)}
	if got := actions(f.mustPlan()); got != "" {
		t.Errorf("second plan: %s; want no changes", got)
	}
	f.write(strings.Replace(base, `topic           = "Hello"`, `topic           = "Hi"`, 1))
	f.conns["platform.local.main"] = unreadableChannels{f.conns["platform.local.main"].(*local.Conn)}
	if got := actions(f.mustPlan()); !strings.Contains(got, "community.c.channel.general") {
		t.Errorf("after changing a topic: %q; want the channel updated", got)
	}
}

// Attributes read as in Terraform: an attribute that gets a value is
// added, one that loses it goes to null, numbers and booleans are bare,
// and a created object lists only what it sets.
func TestTextShowsAttributesByFormat(t *testing.T) {
	p := &plan.Plan{
		Changes: []plan.Change{
			{Address: "community.c.channel.news", Kind: platform.KindChannel, Action: plan.Update, ID: "ch-3",
				Before:  platform.Attrs{"name": "news", "topic": "", "purpose": "Old", "position": "2", "private": "false"},
				After:   platform.Attrs{"name": "news", "topic": "News", "purpose": "", "position": "1", "private": "true"},
				Changed: []string{"position", "private", "purpose", "topic"}},
			{Address: "community.c.role.mod", Kind: platform.KindRole, Action: plan.Create,
				After: platform.Attrs{"name": "Mod", "color": "", "hoist": "true", "position": "0", "permissions": ""}},
		},
		Summary: plan.Summary{Add: 1, Change: 1},
	}
	var out strings.Builder
	if err := p.WriteText(&out, false); err != nil {
		t.Fatal(err)
	}
	want := `hearth will perform the following actions:

  # community.c.channel.news will be updated in place
  ~ channel ch-3 {
      ~ position = 2 -> 1
      ~ private  = false -> true
      - purpose  = "Old" -> null
      + topic    = "News"
    }

  # community.c.role.mod will be created
  + role {
      + hoist    = true
      + name     = "Mod"
      + position = 0
    }

Plan: 1 to add, 1 to change, 0 to destroy.
`
	if out.String() != want {
		t.Errorf("text plan:\n%s\nwant:\n%s", out.String(), want)
	}
}

// limitedReads is a platform that answers its first reads with a short
// 429, as Discord and Telegram do when a bucket is spent.
type limitedReads struct {
	*local.Conn
	left *int
}

func (l limitedReads) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	if *l.left > 0 {
		*l.left--
		return platform.ReadResponse{}, &platform.RateLimitError{After: 10 * time.Millisecond, Err: errors.New("429")}
	}
	return l.Conn.Read(ctx, req)
}

// A rate limit while plan reads is waited out, as apply waits out one
// on a change; a long one still fails the plan, naming the delay.
func TestRateLimitedReadWaitedOut(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	left := 3
	f.conns["platform.local.main"] = limitedReads{f.conns["platform.local.main"].(*local.Conn), &left}
	if got := actions(f.mustPlan()); got != "" || left != 0 {
		t.Errorf("plan after three 429s: %q, %d left; want no changes", got, left)
	}
	if _, err := plan.Drift(context.Background(), f.cfg, f.store, f.conns); err != nil {
		t.Errorf("drift: %v", err)
	}
	f.conns["platform.local.main"] = hourLimit{f.conns["platform.local.main"].(limitedReads).Conn}
	var rl *platform.RateLimitError
	if _, err := f.plan(plan.Options{}); !errors.As(err, &rl) || rl.After != time.Hour {
		t.Errorf("plan under an hour's limit: %v; want the rate limit", err)
	}
}

type hourLimit struct{ *local.Conn }

func (h hourLimit) Read(context.Context, platform.ReadRequest) (platform.ReadResponse, error) {
	return platform.ReadResponse{}, &platform.RateLimitError{After: time.Hour}
}

// Ctrl-C while a change is with the platform: that change is finished
// and recorded in state, the rest are not started, and the next plan
// shows only them. Cancelling the change in flight left its object on
// the platform but not in state, to be made a second time.
func TestApplyInterrupted(t *testing.T) {
	f := newFixture(t, base)
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	calls := 0
	f.adapter.Fault = func(_ context.Context, c local.Call) error {
		calls++
		if calls == 2 {
			interrupt() // the user presses Ctrl-C as the second change is made
		}
		return nil
	}
	f.write(base)
	p := f.mustPlan()
	res, err := plan.Apply(ctx, p, f.store, f.conns, plan.ApplyOptions{Config: f.cfg, Who: "test"})
	if !errors.Is(err, plan.ErrInterrupted) || !strings.Contains(err.Error(), "interrupted before community.c.channel.random") {
		t.Fatalf("err = %v", err)
	}
	if res.Added != 2 || res.Failed != "" || res.NotAttempted != 4 {
		t.Fatalf("result = %+v\n%s", res, actions(p))
	}
	if id := f.id("community.c.channel.general"); id == "" {
		t.Fatal("the channel made as Ctrl-C came has no id in state")
	}
	f.adapter.Fault = nil
	f.write(base)
	p = f.mustPlan()
	if p.Summary != (plan.Summary{Add: 4}) {
		t.Fatalf("after the interrupt: %+v\n%s", p.Summary, actions(p))
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("left:\n%s", actions(p))
	}
}

// A plan's JSON has attribute values as written: a topic "Q&A <here>"
// is not \u0026 and \u003c for a reader of plan -json.
func TestJSONNotHTMLEscaped(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.write(strings.Replace(base, `topic           = "Hello"`, `topic           = "Q&A <here>"`, 1))
	var b bytes.Buffer
	if err := f.mustPlan().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"topic": "Q&A <here>"`) || strings.Contains(b.String(), `\u00`) {
		t.Errorf("plan JSON escapes the topic:\n%s", b.String())
	}
}

// shoutingColors answers colors in capitals, as a platform (or the
// local platform's file edited by hand) may.
type shoutingColors struct{ *local.Conn }

func (s shoutingColors) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	resp, err := s.Conn.Read(ctx, req)
	for i, o := range resp.Objects {
		if c, ok := o.Attrs["color"]; ok {
			o.Attrs = maps.Clone(o.Attrs)
			o.Attrs["color"] = strings.ToUpper(c)
			resp.Objects[i] = o
		}
	}
	return resp, err
}

// A color the platform spells in capitals is the configured color: no
// change to plan and no drift, as README says.
func TestColorCaseIsNoChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	conn := f.conns["platform.local.main"].(*local.Conn)
	f.conns["platform.local.main"] = shoutingColors{conn}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("plan:\n%s", actions(p))
	}
	d, err := plan.Drift(ctx, f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if d.HasChanges() {
		t.Fatalf("drift:\n%s", actions(d))
	}
	// Another color is still a change.
	req := platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindRole, Community: f.id("community.c"), ID: f.id("community.c.role.mod"), Attrs: platform.Attrs{"color": "#f1c40e"}}
	if _, err := conn.Apply(ctx, req); err != nil {
		t.Fatal(err)
	}
	p := f.mustPlan()
	if actions(p) != "update community.c.role.mod\n" {
		t.Fatalf("plan:\n%s", actions(p))
	}
	for _, c := range p.Changes {
		if c.Action == plan.Update && (c.Before["color"] != "#f1c40e" || c.After["color"] != "#f1c40f") {
			t.Fatalf("color %q -> %q", c.Before["color"], c.After["color"])
		}
	}
}

// State takes at create what a refresh reads later, so an apply with
// nothing to do writes nothing: the serial stays, and a plan saved
// before it can still be applied.
func TestNoChangeApplyWritesNothing(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	saved := f.mustPlan()
	if saved.HasChanges() {
		t.Fatalf("second plan:\n%s", actions(saved))
	}
	f.mustApply(f.mustPlan())
	p := f.mustPlan()
	if p.StateSerial != saved.StateSerial {
		t.Fatalf("a no-change apply moved the serial from %d to %d", saved.StateSerial, p.StateSerial)
	}
	if _, err := f.apply(saved); err != nil {
		t.Fatalf("the plan saved before it: %v", err)
	}
}
