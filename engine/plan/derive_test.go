package plan_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// joinRules is the local platform with a join rule on channels that
// follows private, as Matrix has: restricted when not private, invite
// when private. rules holds the live rule of each channel by id; a
// channel listed in old cannot hold a rule and reads without one, with a
// warning.
type joinRules struct {
	*local.Conn
	mu    *sync.Mutex
	rules map[string]string
	old   map[string]bool
}

func (j joinRules) Derive(req platform.DeriveRequest) platform.DeriveResponse {
	if req.Kind != platform.KindChannel {
		return platform.DeriveResponse{}
	}
	if req.Attrs["private"] == "true" {
		return platform.DeriveResponse{Attrs: platform.Attrs{"join_rule": "invite"}}
	}
	return platform.DeriveResponse{Attrs: platform.Attrs{"join_rule": "restricted"}}
}

func (j joinRules) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	resp, err := j.Conn.Read(ctx, req)
	if err != nil || req.Kind != platform.KindChannel {
		return resp, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, o := range resp.Objects {
		if j.old[o.ID] {
			resp.Warnings = append(resp.Warnings, "channel "+o.Attrs["name"]+" is too old for a join rule")
			continue
		}
		resp.Objects[i].Attrs["join_rule"] = j.rules[o.ID]
	}
	return resp, nil
}

func (j joinRules) Apply(ctx context.Context, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	resp, err := j.Conn.Apply(ctx, req)
	if err != nil || req.Kind != platform.KindChannel || req.Op == platform.OpDelete {
		return resp, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if v, ok := req.Attrs["join_rule"]; ok {
		j.rules[resp.Object.ID] = v
	}
	resp.Object.Attrs["join_rule"] = j.rules[resp.Object.ID]
	return resp, nil
}

// An attribute the platform derives (platform.Deriver) is planned like a
// configured one: created with the channel, a live value that differs
// (a room an older hearth made public) is an update apply makes, the
// hearth block's ignore_changes keeps a value set by hand, and a read
// warning is in the plan.
func TestDerivedAttribute(t *testing.T) {
	f := newFixture(t, base)
	j := joinRules{Conn: f.conns["platform.local.main"].(*local.Conn), mu: &sync.Mutex{}, rules: map[string]string{}, old: map[string]bool{}}
	f.conns["platform.local.main"] = j
	p := f.mustPlan()
	for _, c := range p.Changes {
		if c.Kind == platform.KindChannel && c.After["join_rule"] != "restricted" {
			t.Errorf("created %s with join_rule %q; want restricted", c.Address, c.After["join_rule"])
		}
	}
	f.mustApply(p)
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("second plan:\n%s", actions(p))
	}

	general := f.id("community.c.channel.general")
	j.rules[general] = "public"
	p = f.mustPlan()
	if got, want := actions(p), "update community.c.channel.general\n"; got != want {
		t.Fatalf("after the join rule became public, plan:\n%s\nwant:\n%s", got, want)
	}
	var text bytes.Buffer
	if err := p.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `~ join_rule = "public" -> "restricted"`) {
		t.Errorf("plan text:\n%s\nwant the join rule going from public to restricted", text.String())
	}
	f.mustApply(p)
	if j.rules[general] != "restricted" {
		t.Errorf("after apply the join rule is %q; want restricted", j.rules[general])
	}
	if p := f.mustPlan(); p.HasChanges() {
		t.Fatalf("plan after apply:\n%s", actions(p))
	}

	// A channel whose platform cannot hold the rule: no change, a warning.
	j.rules[general] = "public"
	j.old[general] = true
	p = f.mustPlan()
	if p.HasChanges() || len(p.Warnings) != 1 || p.Warnings[0] != "channel general is too old for a join rule" {
		t.Errorf("plan of a channel too old for the rule: %q, warnings %q; want no changes and its warning", actions(p), p.Warnings)
	}
	d, err := plan.Drift(context.Background(), f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	if err := d.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Warning: channel general is too old for a join rule") {
		t.Errorf("drift report:\n%s\nwant the read's warning", text.String())
	}
	j.old[general] = false

	// ignore_changes of the hearth block covers derived attributes.
	f.write("hearth {\n  ignore_changes = [\"community.*.channel.*.join_rule\"]\n}\n" + base)
	f.conns["platform.local.main"] = joinRules{Conn: f.conns["platform.local.main"].(*local.Conn), mu: j.mu, rules: j.rules, old: j.old}
	if p := f.mustPlan(); p.HasChanges() {
		t.Errorf("with join_rule in ignore_changes, plan:\n%s\nwant no changes", actions(p))
	}
}
