package daemon_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

const referrals = `
incentive "post" {
  on = "message.posted"
  grant { points = 1 }
}
incentive "referral" {
  on   = "member.joined"
  when = "event.referrer != ''"
  grant {
    to     = "event.referrer"
    points = 50
  }
}
`

// TestForgetThroughTheAdminAPI: a member erased with suppression while
// other members' events flow is gone from the state with their outcomes,
// the member who named them as referrer no longer does, their later
// events are refused (counted, logged, with no id in either) instead of
// making them again, and nothing of the other members changes.
func TestForgetThroughTheAdminAPI(t *testing.T) {
	logs := &syncBuffer{}
	f := start(t, referrals, "tok", func(o *daemon.Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	at := func(min int) string { return time.Date(2026, 1, 1, 10, min, 0, 0, time.UTC).Format(time.RFC3339) }
	body := `{"id":"j1","type":"member.joined","member":{"id":"ann-7","name":"Ann Example"},"at":"` + at(0) + `"}
{"id":"j2","type":"member.joined","member":"bob","at":"` + at(1) + `","attrs":{"referrer":"ann-7"}}
{"id":"p1","type":"message.posted","member":"ann-7","at":"` + at(2) + `"}
{"id":"p2","type":"message.posted","member":"bob","at":"` + at(3) + `"}
`
	if code, out := post(t, f, "/v1/events", body, "tok"); code != 202 {
		t.Fatalf("events: %d %v", code, out)
	}
	if _, m := getTok(t, f, "/v1/members/ann-7", "tok"); m["points"] != 51.0 {
		t.Fatalf("ann before: %v", m)
	}
	code, x := getTok(t, f, "/v1/members/ann-7/export", "tok")
	if code != 200 || x["format"] != "hearth.member-export/1" || fmt.Sprint(x["referred"]) != "[bob]" {
		t.Fatalf("export: %d %v", code, x)
	}
	if outs, _ := x["outcomes"].([]any); len(outs) < 2 {
		t.Errorf("export holds %d outcomes; want the two grants at least", len(outs))
	}

	// Refusals change nothing.
	if code, _ := post(t, f, "/v1/members/ann-7/forget", "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, out := post(t, f, "/v1/members/%20/forget", "", "tok"); code != 400 || out["error"] == nil {
		t.Errorf("blank id: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/members/"+strings.Repeat("x", 300)+"/forget", "", "tok"); code != 400 || out["error"] == nil {
		t.Errorf("long id: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/members/ghost/forget", "", "tok"); code != 404 || out["error"] == nil {
		t.Errorf("unknown member: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/members/ann-7/forget?suppress=maybe", "", "tok"); code != 400 {
		t.Errorf("bad suppress: %d %v", code, out)
	}
	if code, _ := getTok(t, f, "/v1/members/ann-7", "tok"); code != 200 {
		t.Fatalf("refused requests erased ann: %d", code)
	}

	// Other members' events flow while ann is forgotten.
	var sent atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ev := fmt.Sprintf(`{"id":"flow%d","type":"message.posted","member":"m%d","at":"%s"}`, i, i%3, at(10))
			if code, _ := post(t, f, "/v1/events", ev, "tok"); code != 202 {
				t.Errorf("event during forget: %d", code)
				return
			}
			sent.Add(1)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	code, res := post(t, f, "/v1/members/ann-7/forget?suppress=true", "", "tok")
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-done
	if code != 200 || res["suppressed"] != true || res["references"] != 1.0 {
		t.Fatalf("forget: %d %v", code, res)
	}
	if er, _ := res["erased"].(map[string]any); er["member"] != true || er["outcomes"].(float64) < 2 {
		t.Errorf("erased %v", res["erased"])
	}
	if code, _ := getTok(t, f, "/v1/members/ann-7", "tok"); code != 404 {
		t.Errorf("ann after forget: %d", code)
	}
	// Her next events are refused, however they name her.
	body = `{"id":"p3","type":"message.posted","member":"ann-7","at":"` + at(20) + `"}
{"id":"j3","type":"member.joined","member":"cat","at":"` + at(21) + `","attrs":{"referrer":"ann-7"}}
{"id":"r1","type":"reaction.added","member":"bob","at":"` + at(22) + `","attrs":{"target_member":"ann-7","emoji":"+1"}}
`
	if code, out := post(t, f, "/v1/events", body, "tok"); code != 202 {
		t.Fatalf("events after forget: %d %v", code, out)
	}
	if code, _ := getTok(t, f, "/v1/members/ann-7", "tok"); code != 404 {
		t.Errorf("a later event made ann again: %d", code)
	}
	if _, m := getTok(t, f, "/v1/members/cat", "tok"); m["id"] != "cat" || m["points"] != 0.0 {
		t.Errorf("cat, referred by the forgotten ann: %v", m)
	}
	_, bob := getTok(t, f, "/v1/members/bob", "tok")
	if bob["referrer"] != nil || bob["points"] != 1.0 {
		t.Errorf("bob after forget: referrer %v, points %v; want none and 1", bob["referrer"], bob["points"])
	}
	// Every event of the others was applied.
	total := int64(0)
	for i := range 3 {
		_, m := getTok(t, f, fmt.Sprintf("/v1/members/m%d", i), "tok")
		p, _ := m["points"].(float64)
		total += int64(p)
	}
	if total != sent.Load() {
		t.Errorf("the other members have %d points for %d events", total, sent.Load())
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `hearth_events_rejected_total{reason="suppressed"} 1`) {
		t.Errorf("metrics do not count the refused event:\n%s", grepLines(metrics, "hearth_events_rejected"))
	}
	if strings.Contains(string(metrics), "ann-7") {
		t.Error("the metrics name the forgotten member")
	}
	if !strings.Contains(logs.String(), "asked to be forgotten") {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "ann-7") {
		t.Errorf("the log names the forgotten member:\n%s", grepLines([]byte(logs.String()), "ann-7"))
	}

	// Lifting the suppression lets her events in again, as a new member.
	if code, out := post(t, f, "/v1/members/ann-7/unsuppress", "", "tok"); code != 200 || out["lifted"] != true {
		t.Fatalf("unsuppress: %d %v", code, out)
	}
	if code, out := post(t, f, "/v1/members/ann-7/unsuppress", "", "tok"); code != 404 {
		t.Errorf("unsuppress twice: %d %v", code, out)
	}
	if code, _ := post(t, f, "/v1/events", `{"id":"p4","type":"message.posted","member":"ann-7","at":"`+at(30)+`"}`, "tok"); code != 202 {
		t.Fatal("event after lifting")
	}
	if _, m := getTok(t, f, "/v1/members/ann-7", "tok"); m["points"] != 1.0 || m["name"] != nil {
		t.Errorf("ann after lifting: %v; want a new member with 1 point and no name", m)
	}

	// Durable: after a restart the store holds none of the old ann.
	f.stop()
	store := reopen(t, f.db)
	outs, err := store.Outcomes(t.Context(), "ann-7", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Event != "p4" {
		t.Errorf("ann's outcomes after a restart: %+v; want only the new one's", outs)
	}
	if on, _ := store.IsSuppressed(t.Context(), "ann-7"); on {
		t.Error("the lifted suppression came back")
	}
	var members []string
	_ = store.Members(t.Context(), func(m *state.Member) error { members = append(members, m.ID); return nil })
	if fmt.Sprint(members) != "[ann-7 bob cat m0 m1 m2]" {
		t.Errorf("members: %v", members)
	}
}

const inviteRules = `
event "invite.accepted" {
  attributes = {
    invitee = "string"
  }
}
template "t" {
  text = { en = "Thanks for bringing someone in" }
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
    wait = "3650d" # past the wall clock the daemon's timers run at
    send {
      channel  = "dm"
      template = template.t
    }
  }
}
`

// TestForgetRunKeyThroughTheAdminAPI: forgetting, through the daemon, a
// member whose id is the key of another member's campaign run leaves the
// id nowhere in what the state keeps about that member: the run, its
// outcomes and its message go on under the key the answer names.
func TestForgetRunKeyThroughTheAdminAPI(t *testing.T) {
	f := start(t, inviteRules, "tok")
	body := `{"id":"j1","type":"member.joined","member":"bob-77","at":"2026-01-01T08:00:00Z"}
{"id":"i1","type":"invite.accepted","member":"ann","at":"2026-01-01T09:00:00Z","attrs":{"invitee":"bob-77"}}
`
	if code, out := post(t, f, "/v1/events", body, "tok"); code != 202 {
		t.Fatalf("events: %d %v", code, out)
	}
	export := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", f.srv.URL+"/v1/members/ann/export", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("export of ann: %d %s", resp.StatusCode, data)
		}
		return string(data)
	}
	if x := export(); strings.Count(x, "bob-77") < 4 {
		t.Fatalf("ann's export before names bob-77 %d times; want the run, its outcomes and its message:\n%s", strings.Count(x, "bob-77"), x)
	}
	code, res := post(t, f, "/v1/members/bob-77/forget", "", "tok")
	if code != 200 {
		t.Fatalf("forget: %d %v", code, res)
	}
	key, _ := res["run_key"].(string)
	er, _ := res["erased"].(map[string]any)
	if !strings.HasPrefix(key, "(forgotten ") || res["references"] != 1.0 || er["run_key_outcomes"] != 2.0 || er["run_key_outbox"] == nil {
		t.Fatalf("forget: %v; want ann's run, its two outcomes and its message moved to a key", res)
	}
	x := export()
	if strings.Contains(x, "bob-77") {
		t.Errorf("ann's export still names bob-77:\n%s", x)
	}
	for _, want := range []string{`"thank[` + key + `]"`, `"run_key": "` + key + `"`, `"campaign/thank[` + url.PathEscape(key) + `]/ann/1/1/now"`} {
		if !strings.Contains(x, want) {
			t.Errorf("ann's export lacks %s:\n%s", want, x)
		}
	}
}
