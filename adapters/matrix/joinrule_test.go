package matrix_test

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/matrix"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// TestJoinRulePlan runs hearth plan and apply on Dendrite: a room an
// older hearth made public is a change of its join rule to restricted
// that apply makes; a room set to knock_restricted reads as that, not as
// private; a room older than version 8, which cannot be restricted, is a
// warning naming it and saying to upgrade it, with nothing planned, and
// an update that would restrict it is refused saying so.
func TestJoinRulePlan(t *testing.T) {
	hs := server(t)
	t.Parallel()
	bot := register(t, hs, "bot", "hearth")
	dir := t.TempDir()
	write := func(extra string) *config.Config {
		t.Helper()
		src := `
variable "matrix_token" {
  type      = string
  sensitive = true
}
platform "matrix" "main" {
  homeserver   = "` + hs + `"
  access_token = var.matrix_token
}
community "makers" {
  title    = "Makers"
  platform = platform.matrix.main
  channel "general" {}
  channel "quiet" {
    private = true
  }
` + extra + `
}
`
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		reg, err := platform.NewRegistry(matrix.New())
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) {
			return bot.Token, k == config.EnvVarPrefix+"matrix_token"
		}})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return cfg
	}
	cfg := write("")
	c := open(t, matrix.New(), hs, bot.Token, nil)
	defer c.Close()
	conns := plan.Conns{"platform.matrix.main": c}
	store := state.NewMemory()
	mustPlan := func() *plan.Plan {
		t.Helper()
		p, err := plan.Make(ctxBG, cfg, store, conns, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mustApply := func(p *plan.Plan) {
		t.Helper()
		if _, err := plan.Apply(ctxBG, p, store, conns, plan.ApplyOptions{Config: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	text := func(p *plan.Plan) string {
		var b bytes.Buffer
		if err := p.WriteText(&b, false); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	id := func(addr string) string {
		rs, _, err := store.Resources(ctxBG)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Address == addr {
				return r.ID
			}
		}
		t.Fatalf("%s is not in state", addr)
		return ""
	}
	var jr struct {
		JoinRule string `json:"join_rule"`
		Allow    []struct {
			RoomID string `json:"room_id"`
		} `json:"allow"`
	}
	setRule := func(room, rule string) {
		t.Helper()
		body := map[string]any{"join_rule": rule}
		if strings.Contains(rule, "restricted") {
			body["allow"] = []any{map[string]any{"type": "m.room_membership", "room_id": id("community.makers")}}
		}
		api(t, hs, bot.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/state/m.room.join_rules/", body, nil)
	}

	mustApply(mustPlan())
	if p := mustPlan(); p.HasChanges() {
		t.Fatalf("second plan:\n%s", text(p))
	}
	co, general := id("community.makers"), id("community.makers.channel.general")

	// What an older hearth made: a public room.
	setRule(general, "public")
	p := mustPlan()
	if got := text(p); p.Summary.Change != 1 || !strings.Contains(got, `~ join_rule = "public" -> "restricted"`) {
		t.Fatalf("plan of a public room:\n%s\nwant its join rule changed from public to restricted", got)
	}
	mustApply(p)
	jr.Allow = nil
	roomState(t, hs, bot, general, "m.room.join_rules", "", &jr)
	if jr.JoinRule != "restricted" || len(jr.Allow) != 1 || jr.Allow[0].RoomID != co {
		t.Errorf("after apply the room's join rules are %+v; want restricted to %s", jr, co)
	}
	if p := mustPlan(); p.HasChanges() {
		t.Fatalf("plan after apply:\n%s", text(p))
	}

	// knock_restricted is not private: the space's members join by
	// themselves. It reads as itself and is planned back to restricted.
	setRule(general, "knock_restricted")
	resp, err := c.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel, Community: co})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range resp.Objects {
		if o.ID == general && (o.Attrs["private"] != "false" || o.Attrs["join_rule"] != "knock_restricted") {
			t.Errorf("a knock_restricted room reads as private %q, join_rule %q", o.Attrs["private"], o.Attrs["join_rule"])
		}
	}
	if got := text(mustPlan()); !strings.Contains(got, `~ join_rule = "knock_restricted" -> "restricted"`) || strings.Contains(got, "private") {
		t.Errorf("plan of a knock_restricted room:\n%s\nwant only its join rule changed", got)
	}
	setRule(general, "restricted")

	// A room of version 6, as homeservers made before version 10 was their
	// default, adopted as a channel with an import block.
	old := func(name, rule string, position int) string {
		t.Helper()
		var r struct {
			RoomID string `json:"room_id"`
		}
		api(t, hs, bot.Token, "POST", "/_matrix/client/v3/createRoom", map[string]any{
			"name": name, "room_version": "6", "preset": "public_chat",
			"initial_state": []any{
				map[string]any{"type": "m.space.parent", "state_key": co, "content": map[string]any{"via": []string{strings.Split(bot.ID, ":")[1]}, "canonical": true}},
				map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": rule}},
			},
		}, &r)
		api(t, hs, bot.Token, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(co)+"/state/m.space.child/"+url.PathEscape(r.RoomID),
			map[string]any{"via": []string{strings.Split(bot.ID, ":")[1]}, "org.hearth.position": position}, nil)
		return r.RoomID
	}
	oldPublic, oldPrivate := old("lobby", "public", 2), old("backroom", "invite", 3)
	cfg = write(`  channel "lobby" {}
  channel "backroom" {
    private = true
  }
}
import {
  to = "community.makers.channel.lobby"
  id = "` + oldPublic + `"
}
import {
  to = "community.makers.channel.backroom"
  id = "` + oldPrivate + `"
`)
	p = mustPlan()
	got := text(p)
	if strings.Contains(got, "join_rule = \"public\"") || p.Summary.Change != 0 || p.Summary.Add != 0 {
		t.Errorf("plan adopting a version 6 public room:\n%s\nwant nothing changed", got)
	}
	for _, part := range []string{`Matrix channel "lobby"`, oldPublic, "room version 6", "stays public", "Upgrade the room", "/upgraderoom 10"} {
		if !strings.Contains(got, part) {
			t.Errorf("plan adopting a version 6 public room:\n%s\nwant a warning saying %q", got, part)
		}
	}
	if len(p.Warnings) != 1 {
		t.Errorf("plan:\n%s\nwarns about the private version 6 room, which is as hearth would make it", got)
	}
	mustApply(p)

	// Opening the private old room would need restricted: refused before
	// the homeserver is asked, saying what to do.
	_, err = c.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: oldPrivate, Attrs: platform.Attrs{"private": "false", "join_rule": "restricted"}})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "room version 6") || !strings.Contains(err.Error(), "upgrade the room") {
		t.Errorf("restricting a version 6 room: %v; want refused as invalid, saying to upgrade the room", err)
	}
	roomState(t, hs, bot, oldPrivate, "m.room.join_rules", "", &jr)
	if jr.JoinRule != "invite" {
		t.Errorf("after the refused update the version 6 room's join rule is %q; want invite still", jr.JoinRule)
	}
}
