package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

const moderated = `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
  ladder {
    decay = "36500d"
    rung { action = "warn" }
    rung {
      action   = "mute"
      duration = "1h"
    }
  }
  moderation "ads" {
    keywords = { en = ["buy now"], zh-CN = ["加微信"] }
  }
  moderation "caps" {
    patterns = ["^[A-Z !]{12,}$"]
  }
}
badge "double" {}
`

func TestPardonThroughTheAdminAPI(t *testing.T) {
	clock := time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC)
	f := start(t, "", "tok", func(o *daemon.Options) {
		write(t, o.Dir, "main.hcl", moderated)
		o.Now = func() time.Time { return clock }
	})
	body := `{"id":"a","type":"message.posted","member":"u1","at":"2026-01-01T10:00:00Z","attrs":{"text":"buy now"}}
{"id":"b","type":"message.posted","member":"u1","at":"2026-01-01T11:00:00Z","attrs":{"text":"快加微信"}}
{"id":"c","type":"message.posted","member":"u1","at":"2026-01-01T12:00:00Z","attrs":{"text":"STOP SHOUTING NOW!"}}
`
	if code, out := post(t, f, "/v1/events", body, "tok"); code != 202 {
		t.Fatalf("events: %d %v", code, out)
	}
	code, m := getTok(t, f, "/v1/members/u1", "tok")
	if code != 200 || m["strikes"] != 3.0 {
		t.Fatalf("member before: %d strikes %v", code, m["strikes"])
	}
	mod, _ := m["moderation"].(map[string]any)
	if ds, _ := mod["decisions"].([]any); len(ds) != 3 || ds[1].(map[string]any)["evidence"] != `keyword "加微信" (zh-CN) at 3-12: "加微信"` {
		t.Fatalf("decisions %v", mod["decisions"])
	}
	code, why := getTok(t, f, "/v1/members/u1/why?rule=moderation.caps", "tok")
	if ex, _ := why["explanations"].([]any); code != 200 || len(ex) != 2 || ex[1].(map[string]any)["result"] != "mute 1h" {
		t.Fatalf("why: %d %v", code, why)
	}

	// Bad input: no token, an unknown rule, a malformed body, an unknown
	// member. None changes anything.
	if code, _ := post(t, f, "/v1/members/u1/pardon", "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, out := post(t, f, "/v1/members/u1/pardon?rule=nope", "", "tok"); code != 400 {
		t.Errorf("unknown rule: %d %v", code, out)
	}
	if code, _ := post(t, f, "/v1/members/u1/pardon", `{"rules":"ads"}`, "tok"); code != 400 {
		t.Errorf("bad body: %d", code)
	}
	if code, out := post(t, f, "/v1/members/ghost/pardon", "", "tok"); code != 404 || !strings.Contains(fmt.Sprint(out["error"]), `no member "ghost" in the state`) {
		t.Errorf("unknown member: %d %v", code, out)
	}
	if _, m := getTok(t, f, "/v1/members/u1", "tok"); m["strikes"] != 3.0 {
		t.Fatalf("refused requests changed strikes: %v", m["strikes"])
	}

	// The community's figures count the messages and the flagged ones.
	code, cs := getTok(t, f, "/v1/communities", "tok")
	list, _ := cs["communities"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("communities: %d %v", code, cs)
	}
	if fig := list[0].(map[string]any)["figures"].(map[string]any); fig["name"] != "c" || fig["messages_24h"] != 3.0 || fig["flagged_24h"] != 3.0 || fig["messages_1h"] != 1.0 {
		t.Errorf("figures %v", fig)
	}

	code, out := post(t, f, "/v1/members/u1/pardon", `{"rule":"ads"}`, "tok")
	if code != 200 || out["cleared"] != 2.0 || out["strikes"] != 1.0 {
		t.Fatalf("pardon ads: %d %v", code, out)
	}
	code, out = post(t, f, "/v1/members/u1/pardon", "", "tok")
	if code != 200 || out["cleared"] != 1.0 || out["strikes"] != 0.0 {
		t.Fatalf("pardon all: %d %v", code, out)
	}
	f.stop()
	// The pardon is durable, with its outcome.
	store := reopen(t, filepath.Clean(f.db))
	outs, err := store.Outcomes(t.Context(), "u1", 100)
	if err != nil {
		t.Fatal(err)
	}
	pardons := 0
	for _, o := range outs {
		if o.Kind == "moderation" && o.Change == "pardon" {
			pardons++
		}
	}
	if pardons != 2 {
		t.Errorf("%d pardon outcomes stored, want 2", pardons)
	}
}

func getTok(t *testing.T, f *fixture, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func reopen(t *testing.T, db string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
