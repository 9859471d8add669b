package memberdata_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/memberdata"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// A campaign with a run per member the inviter brought in: the key of
// each run is the invitee's id.
const inviterConfig = `
platform "local" "main" {}
community "club" {
  title    = "Club"
  platform = platform.local.main
}
event "invite.accepted" {
  attributes = {
    invitee = "string"
  }
}
template "t" {
  text = { en = "Thanks, ${member.name}" }
}
campaign "thank" {
  enter_on = "invite.accepted"
  run_key  = "event.invitee"
  step "now" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "later" {
    wait = "10d"
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`

// Forgetting a member whose id is the key of another member's runs
// leaves the id nowhere in that member's document: each such run goes
// on under a key that names nobody, with its send and its timer, and its
// next message is queued under an outbox key without the id.
func TestForgetRunKeyNamingTheMember(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(inviterConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() state.Store {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var outs []state.Outcome
	feed := func(store state.Store, lines string) {
		t.Helper()
		_, err := simulate.Run(ctx, cfg, strings.NewReader(lines), simulate.Options{Store: store,
			Outcome: func(o state.Outcome) error { outs = append(outs, o); return nil }})
		if err != nil {
			t.Fatal(err)
		}
	}
	store := open()
	feed(store, `{"id":"j1","type":"member.joined","member":"bob-77","at":"2026-01-01T08:00:00Z"}
{"id":"i1","type":"invite.accepted","member":"ann","at":"2026-01-01T09:00:00Z","attrs":{"invitee":"bob-77"}}
{"id":"i2","type":"invite.accepted","member":"ann","at":"2026-01-02T09:00:00Z","attrs":{"invitee":"cyd"}}
`)
	for _, id := range []string{"bob-77", "cyd"} {
		res, err := memberdata.Forget(ctx, store, id, memberdata.Options{Now: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if res.References != 1 {
			t.Errorf("forget %s: %d references removed, want 1 (ann's run)", id, res.References)
		}
	}

	store = open() // read back from the file
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := b.Member("ann")
	_ = b.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(ann)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bob-77", "cyd"} {
		if strings.Contains(string(doc), id) {
			t.Errorf("ann's document still names %s: %s", id, doc)
		}
	}
	if ids := ann.RunIDs("thank", nil); !slices.Equal(ids, []string{"thank[(forgotten 2)]", "thank[(forgotten)]"}) {
		t.Fatalf("ann's runs %q", ids)
	}
	for _, run := range ann.Runs("thank") {
		if !run.Active() || run.StepName != "later" || run.Runs != 1 {
			t.Errorf("run %q: %+v, want under way at step later", run.Key, run)
		}
	}

	outs = nil
	feed(store, `{"id":"tick","type":"checkin","member":"zed","at":"2026-01-20T00:00:00Z"}
`)
	var keys []string
	for _, o := range outs {
		if o.Member == "ann" && o.Change == "queue" {
			keys = append(keys, o.Detail)
		}
	}
	want := []string{"campaign/thank[%28forgotten%29]/ann/1/2/later", "campaign/thank[%28forgotten%202%29]/ann/1/2/later"}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("queued %q, want %q", keys, want)
	}
}
