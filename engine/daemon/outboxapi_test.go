package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/daemon"
)

// outboxRules queue one direct message for each member who joins
// (welcome) and one for each post (nudge), through platform.local.main.
const outboxRules = `
campaign "welcome" {
  enter_on = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}

campaign "nudge" {
  enter_on = "message.posted"
  step "thanks" {
    send {
      channel  = "dm"
      template = template.thanks
    }
  }
}

template "hello" {
  text = { en = "Welcome!" }
}

template "thanks" {
  text = { en = "Thanks for posting." }
}
`

// outboxNow is the daemon's clock in the outbox tests: a day after the
// actions were queued.
var outboxNow = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

// Keys of the four actions startOutbox queues.
const (
	annHello  = "campaign/welcome/ann/1/1/hello"
	bobHello  = "campaign/welcome/bob/1/1/hello"
	cydHello  = "campaign/welcome/cyd/1/1/hello"
	annThanks = "campaign/nudge/ann/1/1/thanks"
)

// startOutbox runs a daemon with no sender, whose outbox holds four
// actions queued on 1 January at 09:05 by its clock (which is then set
// to outboxNow): three welcomes, dead (ann's the day before, bob's and
// cyd's an hour ago, as in an outage), and ann's nudge, pending.
func startOutbox(t *testing.T) *fixture {
	t.Helper()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 9, 5, 0, 0, time.UTC).UnixNano())
	f := start(t, outboxRules, "", func(o *daemon.Options) { o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() } })
	evs := `{"id":"1","type":"member.joined","member":"ann","at":"2026-01-01T09:00:00Z"}
{"id":"2","type":"member.joined","member":"bob","at":"2026-01-01T09:01:00Z"}
{"id":"3","type":"member.joined","member":"cyd","at":"2026-01-01T09:02:00Z"}
{"id":"4","type":"message.posted","member":"ann","at":"2026-01-01T09:03:00Z"}
`
	if code, body := post(t, f, "/v1/events", evs, ""); code != http.StatusAccepted {
		t.Fatalf("events: %d %v", code, body)
	}
	if got := outboxKeys(t, f, ""); len(got) != 4 {
		t.Fatalf("the outbox holds %v; want 4 actions", got)
	}
	clock.Store(outboxNow.UnixNano())
	ctx := context.Background()
	for key, at := range map[string]time.Time{annHello: outboxNow.Add(-24 * time.Hour), bobHello: outboxNow.Add(-time.Hour), cydHello: outboxNow.Add(-time.Hour)} {
		if err := f.store.MarkDead(ctx, key, 16, at, "503 Service Unavailable"); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// outboxKeys lists the keys GET /v1/outbox answers for query, sorted.
func outboxKeys(t *testing.T, f *fixture, query string) []string {
	t.Helper()
	code, body := get(t, f, "/v1/outbox?"+query)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/outbox?%s: %d %v", query, code, body)
	}
	var keys []string
	for _, e := range body["entries"].([]any) {
		keys = append(keys, e.(map[string]any)["key"].(string))
	}
	slices.Sort(keys)
	return keys
}

// GET /v1/outbox filters as hearth outbox list does, with the same
// parameters read by the same code: alone and together, a platform by
// address or type, since as a duration or a time.
func TestOutboxListFilters(t *testing.T) {
	f := startOutbox(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{annThanks, annHello, bobHello, cydHello}},
		{"member=ann", []string{annThanks, annHello}},
		{"campaign=nudge", []string{annThanks}},
		{"campaign=welcome&member=ann&status=dead", []string{annHello}},
		{"platform=local", []string{annThanks, annHello, bobHello, cydHello}},
		{"platform=local.main&status=dead", []string{annHello, bobHello, cydHello}},
		{"platform=platform.local.main&member=cyd", []string{cydHello}},
		// Dead ones by when they died; pending ones by when queued.
		{"status=dead&since=6h", []string{bobHello, cydHello}},
		{"since=" + url.QueryEscape("2026-01-02T10:30:00Z"), []string{bobHello, cydHello}},
		{"since=2026-01-01", []string{annThanks, annHello, bobHello, cydHello}},
		{"status=pending&since=2d", []string{annThanks}},
		{"status=pending&since=1h", nil},
		{"member=nobody", nil},
	}
	for _, c := range cases {
		if got := outboxKeys(t, f, c.query); !slices.Equal(got, c.want) {
			t.Errorf("?%s lists %v; want %v", c.query, got, c.want)
		}
	}
	// A filter narrows pages too: their next takes the filters again.
	code, page := get(t, f, "/v1/outbox?status=dead&limit=2")
	next, _ := page["next"].(string)
	if code != 200 || page["more"] != true || next == "" {
		t.Fatalf("a page of 2 of 3: %d %v", code, page)
	}
	if got := outboxKeys(t, f, "status=dead&limit=2&after="+url.QueryEscape(next)); len(got) != 1 {
		t.Errorf("the page after: %v; want the third dead action", got)
	}
}

// A bad filter value is a 400 saying what is wrong, in the CLI's words
// with the parameter's name; a campaign or platform the configuration
// lacks is no error (their entries outlive them), but when nothing
// matches, "warnings" name it with the name meant, as hearth outbox list
// does on stderr.
func TestOutboxListBadAndUnknown(t *testing.T) {
	f := startOutbox(t)
	for query, want := range map[string]string{
		"since=yesterday":  `since: "yesterday" is neither a duration back from now (6h, 2d) nor a time (RFC 3339, 2026-11-22T10:00:00Z, or a date, 2026-11-22)`,
		"since=2999-01-01": "since 2999-01-01 is after now: nothing has finished or been queued since",
		"status=bogus":     "status must be pending, sent, dead or skipped",
		"status=deadd":     `status must be pending, sent, dead or skipped. Did you mean "dead"?`,
		"after=nope":       "after must be the next of the page before",
	} {
		if code, body := get(t, f, "/v1/outbox?"+query); code != http.StatusBadRequest || body["error"] != want {
			t.Errorf("?%s: %d %v; want 400 saying %q", query, code, body, want)
		}
	}
	cases := []struct {
		query, filter, suggestion, warning string
	}{
		{"campaign=welcom", "campaign", "welcome", `there is no campaign named "welcom" in the configuration. Did you mean "welcome"?`},
		{"platform=discord", "platform", "", `there is no platform "discord" in the configuration. The platforms are: local.main.`},
		{"platform=locl.main&status=dead", "platform", "local.main", `there is no platform "locl.main" in the configuration. Did you mean "local.main"?`},
	}
	for _, c := range cases {
		code, body := get(t, f, "/v1/outbox?"+c.query)
		entries, _ := body["entries"].([]any)
		warnings, _ := body["warnings"].([]any)
		if code != http.StatusOK || entries == nil || len(entries) != 0 || len(warnings) != 1 {
			t.Errorf("?%s: %d %v; want 200, no entries and one warning", c.query, code, body)
			continue
		}
		w := warnings[0].(map[string]any)
		if w["filter"] != c.filter || w["suggestion"] != nilIfEmpty(c.suggestion) || w["warning"] != c.warning {
			t.Errorf("?%s: warning %v; want %s %q suggesting %q", c.query, w, c.filter, c.warning, c.suggestion)
		}
	}
	// Names it has, matching nothing, warn of nothing; nor does a name
	// it lacks when entries match (a campaign removed, its entries kept).
	if _, body := get(t, f, "/v1/outbox?campaign=welcome&member=nobody"); body["warnings"] != nil {
		t.Errorf("a known campaign warns: %v", body["warnings"])
	}
}

// nilIfEmpty is what JSON decoding gives an omitted string.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// POST /v1/outbox/retry?status=dead retries what the filters select, of
// that status only: here bob's welcome, then the rest of the dead ones,
// never ann's pending nudge, whose due time it leaves alone.
func TestOutboxRetryBulk(t *testing.T) {
	f := startOutbox(t)
	thanksDue := func() any {
		_, body := get(t, f, "/v1/outbox?campaign=nudge")
		return body["entries"].([]any)[0].(map[string]any)["next_at"]
	}
	due := thanksDue()

	code, out := post(t, f, "/v1/outbox/retry?status=dead&campaign=welcome&member=bob", "", "")
	if code != http.StatusOK || out["status"] != "dead" || out["selected"] != 1.0 || out["retried"] != 1.0 || fmt.Sprint(out["keys"]) != "["+bobHello+"]" {
		t.Fatalf("retry bob's: %d %v", code, out)
	}
	if got := outboxKeys(t, f, "status=dead"); !slices.Equal(got, []string{annHello, cydHello}) {
		t.Errorf("dead after retrying bob's: %v", got)
	}
	if got := outboxKeys(t, f, "status=pending"); !slices.Equal(got, []string{annThanks, bobHello}) {
		t.Errorf("pending after retrying bob's: %v", got)
	}
	_, body := get(t, f, "/v1/outbox?member=bob")
	if e := body["entries"].([]any)[0].(map[string]any); e["next_at"] != outboxNow.Format(time.RFC3339) || e["status"] != "pending" {
		t.Errorf("bob's welcome is not due now: %v", e)
	}

	// ann's: the dead welcome is selected, the pending nudge is not.
	code, out = post(t, f, "/v1/outbox/retry?status=dead&member=ann", "", "")
	if code != http.StatusOK || out["selected"] != 1.0 || out["retried"] != 1.0 || fmt.Sprint(out["keys"]) != "["+annHello+"]" {
		t.Fatalf("retry ann's dead: %d %v", code, out)
	}
	if got := thanksDue(); got != due {
		t.Errorf("a pending action was touched by a retry of dead ones: due %v, was %v", got, due)
	}
	code, out = post(t, f, "/v1/outbox/retry?status=dead&platform=local&since=6h", "", "")
	if code != http.StatusOK || out["retried"] != 1.0 || fmt.Sprint(out["keys"]) != "["+cydHello+"]" {
		t.Fatalf("retry the rest: %d %v", code, out)
	}
	code, out = post(t, f, "/v1/outbox/retry?status=dead", "", "")
	if keys, _ := out["keys"].([]any); code != http.StatusOK || out["selected"] != 0.0 || out["retried"] != 0.0 || keys == nil || len(keys) != 0 || out["warnings"] != nil {
		t.Errorf("nothing dead left: %d %v", code, out)
	}
	// Nothing selected with a name the configuration lacks: said so.
	_, out = post(t, f, "/v1/outbox/retry?status=dead&campaign=welcom", "", "")
	if w, _ := out["warnings"].([]any); len(w) != 1 || w[0].(map[string]any)["suggestion"] != "welcome" {
		t.Errorf("an unknown campaign: %v", out)
	}
	// Pending ones are made due now too.
	code, out = post(t, f, "/v1/outbox/retry?status=pending&member=ann", "", "")
	if code != http.StatusOK || out["selected"] != 2.0 || out["retried"] != 2.0 {
		t.Errorf("retry ann's pending: %d %v", code, out)
	}
	if got := thanksDue(); got != outboxNow.Format(time.RFC3339) {
		t.Errorf("ann's nudge is due %v; want now", got)
	}
}

// POST /v1/outbox/retry?key=KEY retries one action, as hearth outbox
// retry KEY does; what the route cannot take is a 400 saying what it
// takes, and a key that is no pending or dead action a 404.
func TestOutboxRetryKeyAndBad(t *testing.T) {
	f := startOutbox(t)
	code, out := post(t, f, "/v1/outbox/retry?key="+url.QueryEscape(cydHello), "", "")
	if code != http.StatusOK || out["key"] != cydHello || out["retried"] != 1.0 || fmt.Sprint(out["keys"]) != "["+cydHello+"]" {
		t.Fatalf("retry one key: %d %v", code, out)
	}
	if got := outboxKeys(t, f, "status=dead"); !slices.Equal(got, []string{annHello, bobHello}) {
		t.Errorf("dead after retrying cyd's: %v", got)
	}
	if code, out := post(t, f, "/v1/outbox/retry?key=campaign/nope", "", ""); code != http.StatusNotFound || !strings.Contains(fmt.Sprint(out["error"]), `no pending or dead action "campaign/nope" in the outbox`) {
		t.Errorf("an unknown key: %d %v", code, out)
	}
	for query, want := range map[string]string{
		"":                                 "give ?key=KEY for one action, or ?status=dead (or pending)",
		"status=sent":                      "status must be dead or pending: a sent action is not sent again",
		"status=skipped":                   "status must be dead or pending",
		"campaign=welcome":                 "member, campaign, platform and since go with status=dead (or pending)",
		"key=" + annHello + "&status=dead": "key names one action; status and the filters select many in its place",
		"key=" + annHello + "&member=ann":  "key names one action",
		"status=dead&since=yesterday":      `since: "yesterday" is neither a duration back from now`,
		"status=dead&since=2999-01-01":     "since 2999-01-01 is after now",
	} {
		if code, out := post(t, f, "/v1/outbox/retry?"+query, "", ""); code != http.StatusBadRequest || !strings.HasPrefix(fmt.Sprint(out["error"]), want) {
			t.Errorf("?%s: %d %v; want 400 saying %q", query, code, out, want)
		}
	}
	if got := outboxKeys(t, f, "status=dead"); !slices.Equal(got, []string{annHello, bobHello}) {
		t.Errorf("a refused retry changed the outbox: dead %v", got)
	}
	// A retry changes the outbox: GET is not allowed.
	if code, out := get(t, f, "/v1/outbox/retry?status=dead"); code != http.StatusMethodNotAllowed || !strings.Contains(fmt.Sprint(out["error"]), "use POST") {
		t.Errorf("GET /v1/outbox/retry: %d %v", code, out)
	}
}
