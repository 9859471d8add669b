package email_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

const testSecret = "s3cret"

func openUnsub(t testing.TB, unsubURL, secret string) platform.Conn {
	t.Helper()
	set := map[string]cty.Value{
		"host":            cty.StringVal("smtp.example.org"),
		"from":            cty.StringVal("News <news@example.org>"),
		"list_id":         cty.StringVal("News <news.example.org>"),
		"unsubscribe_url": cty.StringVal(unsubURL),
	}
	if secret != "" {
		set["unsubscribe_secret"] = cty.StringVal(secret).Mark(config.Sensitive)
	}
	a := &email.Adapter{Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }}
	c, err := a.Open(ctxBG, platform.OpenRequest{Name: "news", Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func respond(t testing.TB, c platform.Conn, method, link, ctype, body string) platform.InboundReply {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	r, err := c.(platform.Responder).RespondInbound(ctxBG, platform.InboundRequest{Method: method, URL: u, Header: h, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// oneClick sends the RFC 8058 POST to a link and returns the events.
func oneClick(t testing.TB, c platform.Conn, link string) []events.Event {
	t.Helper()
	r := respond(t, c, http.MethodPost, link, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
	if r.Status != http.StatusOK {
		t.Errorf("one-click POST %s: %d %s", link, r.Status, r.Body)
	}
	return r.Events
}

func TestUnsubscribeEvent(t *testing.T) {
	c := openUnsub(t, "https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}", testSecret)
	link := "https://hearth.example.org/v1/inbound/email/news?member=ada&token=" + email.UnsubscribeToken(testSecret, "ada")
	evs := oneClick(t, c, link)
	day := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	want := events.Event{ID: email.UnsubscribeEventID("news", "ada", day), Type: "email.unsubscribed", Member: events.Member{ID: "ada"},
		At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Attrs: map[string]any{"platform": "email.news", "list": "News <news.example.org>"}}
	if len(evs) != 1 || evs[0].ID != want.ID || evs[0].Type != want.Type || evs[0].Member.ID != "ada" || !evs[0].At.Equal(want.At) ||
		evs[0].Attrs["platform"] != "email.news" || evs[0].Attrs["list"] != want.Attrs["list"] {
		t.Fatalf("events %+v; want %+v", evs, want)
	}
	if again := oneClick(t, c, link); len(again) != 1 || again[0].ID != want.ID {
		t.Errorf("a repeat gave %+v; want the same event id", again)
	}
	if other := email.UnsubscribeEventID("other", "ada", day); other == want.ID {
		t.Error("two platforms give one event id for a member")
	}
	// Later that day, the same event; the next day, another one, so a
	// member who resubscribed in between is unsubscribed again.
	if later := email.UnsubscribeEventID("news", "ada", day.Add(13*time.Hour+59*time.Minute)); later != want.ID {
		t.Errorf("later the same day: %s; want %s", later, want.ID)
	}
	if next := email.UnsubscribeEventID("news", "ada", day.Add(14*time.Hour)); next == want.ID {
		t.Error("the next day gives the same event id")
	}
	if r := respond(t, c, http.MethodGet, link, "", ""); r.Status != http.StatusOK || len(r.Events) != 0 || !strings.Contains(string(r.Body), "<button") {
		t.Errorf("GET: %d, %d events, %s", r.Status, len(r.Events), r.Body)
	}
	if r := respond(t, c, http.MethodHead, link, "", ""); r.Status != http.StatusOK || len(r.Events) != 0 {
		t.Errorf("HEAD: %d, %d events", r.Status, len(r.Events))
	}
	c.Close()
	if r := respond(t, c, http.MethodPost, link, "", "List-Unsubscribe=One-Click"); r.Status != http.StatusServiceUnavailable || len(r.Events) != 0 {
		t.Errorf("after Close: %d, %d events", r.Status, len(r.Events))
	}
}

// The endpoint reads {member} and {token} from whichever query
// parameters unsubscribe_url puts them in.
func TestUnsubscribeCustomParams(t *testing.T) {
	c := openUnsub(t, "https://hearth.example.org/v1/inbound/email/news?list=welcome&m={member}&sig={token}", testSecret)
	tok := email.UnsubscribeToken(testSecret, "bo")
	if evs := oneClick(t, c, "https://h/x?list=welcome&m=bo&sig="+tok); len(evs) != 1 || evs[0].Member.ID != "bo" {
		t.Errorf("events %+v; want one for bo", evs)
	}
	if r := respond(t, c, http.MethodPost, "https://h/x?member=bo&token="+tok, "", "List-Unsubscribe=One-Click"); r.Status != http.StatusBadRequest || len(r.Events) != 0 {
		t.Errorf("the default parameter names: %d, %d events; want 400", r.Status, len(r.Events))
	}
}

// Without a secret no link can be checked, so none is honoured.
func TestUnsubscribeWithoutSecret(t *testing.T) {
	c := openUnsub(t, "https://hearth.example.org/v1/inbound/email/news?member={member}", "")
	if r := respond(t, c, http.MethodPost, "https://h/x?member=ada", "", "List-Unsubscribe=One-Click"); r.Status != http.StatusNotFound || len(r.Events) != 0 {
		t.Errorf("%d, %d events; want 404 and none", r.Status, len(r.Events))
	}
}

// FuzzUnsubscribe throws arbitrary requests at the endpoint: it never
// fails, and it yields an event only for a one-click POST whose token is
// the member's.
func FuzzUnsubscribe(f *testing.F) {
	ada := email.UnsubscribeToken(testSecret, "ada")
	bob := email.UnsubscribeToken(testSecret, "bob")
	form := "application/x-www-form-urlencoded"
	for _, s := range []struct{ method, query, ctype, body string }{
		{"POST", "member=ada&token=" + ada, form, "List-Unsubscribe=One-Click"},
		{"POST", "member=ada&token=" + ada, "", "List-Unsubscribe=One-Click"},
		{"POST", "member=ada&token=" + ada, "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n"},
		{"GET", "member=ada&token=" + ada, "", ""},
		{"POST", "member=ada&token=" + bob, form, "List-Unsubscribe=One-Click"},
		{"POST", "member=ada&token=" + email.UnsubscribeToken("forged", "ada"), form, "List-Unsubscribe=One-Click"},
		{"POST", "member=ada&token=" + ada + "&token=" + bob, form, "List-Unsubscribe=One-Click"},
		{"POST", "member=ada", form, "List-Unsubscribe=One-Click"},
		{"POST", "token=" + ada, form, "List-Unsubscribe=One-Click"},
		{"POST", "member=%00&token=" + ada, form, "List-Unsubscribe=One-Click"},
		{"POST", "member=ada&token=" + ada, form, "List-Unsubscribe=Yes"},
		{"POST", "member=ada&token=" + ada, "multipart/form-data", "garbage"},
		{"PUT", "member=ada&token=" + ada, form, "List-Unsubscribe=One-Click"},
		{"POST", "%zz", form, "%zz"},
	} {
		f.Add(s.method, s.query, s.ctype, s.body)
	}
	c := openUnsub(f, "https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}", testSecret)
	f.Fuzz(func(t *testing.T, method, query, ctype, body string) {
		h := http.Header{}
		h.Set("Content-Type", ctype)
		r, err := c.(platform.Responder).RespondInbound(ctxBG, platform.InboundRequest{
			Method: method, URL: &url.URL{Scheme: "https", Host: "h", Path: "/x", RawQuery: query}, Header: h, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 0 || len(r.Body) == 0 {
			t.Fatalf("no status or body: %+v", r)
		}
		if len(r.Events) == 0 {
			return
		}
		q, _ := url.ParseQuery(query)
		ev := r.Events[0]
		switch {
		case len(r.Events) != 1, r.Status != http.StatusOK, method != http.MethodPost:
			t.Fatalf("%s %q gave %d events with %d", method, query, len(r.Events), r.Status)
		case ev.Member.ID != q.Get("member") || q.Get("token") != email.UnsubscribeToken(testSecret, ev.Member.ID):
			t.Fatalf("event for %q without that member's token: %q", ev.Member.ID, query)
		case ev.ID != email.UnsubscribeEventID("news", ev.Member.ID, ev.At) || ev.Type != "email.unsubscribed":
			t.Fatalf("event %+v", ev)
		}
		if err := ev.Check(); err != nil {
			t.Fatalf("invalid event: %v", err)
		}
	})
}

// A member id no event may hold (a right-to-left override) is a bad link,
// answered 400, not a signed one the daemon then fails to store.
func TestUnsubscribeRefusesIDsEventsRefuse(t *testing.T) {
	c := openUnsub(t, "https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}", testSecret)
	for _, id := range []string{"ada\u202e", "ada\u001b[2J"} {
		link := "https://h/x?member=" + url.QueryEscape(id) + "&token=" + email.UnsubscribeToken(testSecret, id)
		r := respond(t, c, http.MethodPost, link, "", "List-Unsubscribe=One-Click")
		if r.Status != http.StatusBadRequest || len(r.Events) != 0 {
			t.Errorf("member %q: %d, %d events; want 400 and none", id, r.Status, len(r.Events))
		}
	}
}
