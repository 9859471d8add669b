package daemon_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

const unsubSecret = "unsub-secret-5e1f"

// emailRules has the real email adapter's settings; no SMTP server is
// needed, since answering the unsubscribe link sends nothing. The
// incentive grants a point per application, so a second application of
// the same unsubscribe would show.
const emailRules = `
variable "unsubscribe_secret" {
  type      = string
  sensitive = true
}
platform "email" "news" {
  host               = "smtp.example.org"
  from               = "News <news@example.org>"
  list_id            = "News <news.example.org>"
  unsubscribe_url    = "https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}"
  unsubscribe_secret = var.unsubscribe_secret
}
incentive "opt_out" {
  on = "email.unsubscribed"
  grant {
    points = 1
    set    = { email = "opted_out" }
  }
}
`

// TestEmailUnsubscribe drives the email platform's List-Unsubscribe
// endpoint through the daemon: refused and GET requests change nothing,
// a one-click POST unsubscribes once however often it comes.
func TestEmailUnsubscribe(t *testing.T) {
	f := start(t, emailRules, "api-token", func(o *daemon.Options) {
		o.Load = config.Options{
			Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()},
			LookupEnv: func(k string) (string, bool) {
				if k == config.EnvVarPrefix+"unsubscribe_secret" {
					return unsubSecret, true
				}
				return "", false
			},
		}
	})
	reg, err := platform.NewRegistry(local.New(), email.New())
	if err != nil {
		t.Fatal(err)
	}
	closeAll := f.d.Receivers(context.Background(), reg)
	defer closeAll()

	link := func(member, token string) string {
		return f.srv.URL + "/v1/inbound/email/news?" + url.Values{"member": {member}, "token": {token}}.Encode()
	}
	do := func(method, u, ctype string, body []byte) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	const form = "application/x-www-form-urlencoded"
	oneClick := []byte("List-Unsubscribe=One-Click")
	ada := email.UnsubscribeToken(unsubSecret, "ada")
	bob := email.UnsubscribeToken(unsubSecret, "bob")
	forged := email.UnsubscribeToken("not-the-secret", "ada")

	// A GET (a person, or a mail scanner) gets the confirm page only.
	code, h, body := do(http.MethodGet, link("ada", ada), "", nil)
	if code != http.StatusOK || !strings.Contains(body, `<form method="post">`) ||
		!strings.Contains(body, `name="List-Unsubscribe" value="One-Click"`) || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("GET with a valid token: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	if h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the page leaks its token-bearing URL by Referer: %q", h.Get("Referrer-Policy"))
	}
	for _, tc := range []struct {
		name, method, url, ctype string
		body                     []byte
		want                     int
		says                     string
	}{
		{"GET forged token", http.MethodGet, link("ada", forged), "", nil, http.StatusForbidden, "not valid"},
		{"POST forged token", http.MethodPost, link("ada", forged), form, oneClick, http.StatusForbidden, "not valid"},
		{"POST another member's token", http.MethodPost, link("ada", bob), form, oneClick, http.StatusForbidden, "not valid"},
		{"POST no token", http.MethodPost, f.srv.URL + "/v1/inbound/email/news?member=ada", form, oneClick, http.StatusForbidden, "not valid"},
		{"POST token not hex", http.MethodPost, link("ada", "zz"+ada[2:]), form, oneClick, http.StatusForbidden, "not valid"},
		{"POST two tokens", http.MethodPost, link("ada", ada) + "&token=" + forged, form, oneClick, http.StatusForbidden, "not valid"},
		{"POST no member", http.MethodPost, f.srv.URL + "/v1/inbound/email/news?token=" + ada, form, oneClick, http.StatusBadRequest, "member"},
		{"POST control character in member", http.MethodPost, link("ada\n", email.UnsubscribeToken(unsubSecret, "ada\n")), form, oneClick, http.StatusBadRequest, "member"},
		{"POST member too long", http.MethodPost, link(strings.Repeat("a", 300), email.UnsubscribeToken(unsubSecret, strings.Repeat("a", 300))), form, oneClick, http.StatusBadRequest, "member"},
		{"POST without One-Click", http.MethodPost, link("ada", ada), form, []byte("List-Unsubscribe=Yes"), http.StatusBadRequest, "One-Click"},
		{"PUT", http.MethodPut, link("ada", ada), form, oneClick, http.StatusMethodNotAllowed, "POST"},
		{"DELETE", http.MethodDelete, link("ada", ada), "", nil, http.StatusMethodNotAllowed, "POST"},
		{"unknown platform", http.MethodPost, f.srv.URL + "/v1/inbound/email/other?member=ada&token=" + ada, form, oneClick, http.StatusNotFound, "no platform"},
	} {
		code, h, body := do(tc.method, tc.url, tc.ctype, tc.body)
		if code != tc.want || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %q; want %d saying %q", tc.name, code, body, tc.want, tc.says)
		}
		if code == http.StatusMethodNotAllowed && !strings.Contains(h.Get("Allow"), "POST") {
			t.Errorf("%s: 405 without Allow: %v", tc.name, h)
		}
	}
	if m := member(t, f, "ada"); m != nil {
		t.Fatalf("GET and refused requests changed state: %+v", m)
	}

	// The mail client's one-click POST, form-urlencoded.
	code, _, body = do(http.MethodPost, link("ada", ada), form, oneClick)
	if code != http.StatusOK || !strings.Contains(body, "Unsubscribed") {
		t.Fatalf("one-click POST: %d %s", code, body)
	}
	m := member(t, f, "ada")
	if m == nil || m.Points != 1 || m.Attrs["email"] != "opted_out" {
		t.Fatalf("after unsubscribing, ada is %+v; want 1 point and email = opted_out", m)
	}
	// Recorded on her without any rule: the outbox reads it.
	if from, ok := m.UnsubscribedFrom("email.news"); !ok || from != "email.news" {
		t.Fatalf("after unsubscribing, ada is unsubscribed from %v; want email.news", m.Unsubscribed)
	}
	// Again, as multipart/form-data (what RFC 8058 prefers), and once
	// more from the confirm page: the same event, a duplicate.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("List-Unsubscribe", "One-Click")
	_ = w.Close()
	if code, _, body := do(http.MethodPost, link("ada", ada), w.FormDataContentType(), mp.Bytes()); code != http.StatusOK {
		t.Fatalf("multipart one-click POST: %d %s", code, body)
	}
	if code, _, body := do(http.MethodPost, link("ada", ada), form, oneClick); code != http.StatusOK {
		t.Fatalf("repeated POST: %d %s", code, body)
	}
	if m := member(t, f, "ada"); m == nil || m.Points != 1 {
		t.Fatalf("a repeated unsubscribe was applied again: %+v", m)
	}
	if m := member(t, f, "bob"); m != nil {
		t.Fatalf("bob changed: %+v", m)
	}
}

func member(t *testing.T, f *fixture, id string) *state.Member {
	t.Helper()
	var got *state.Member
	if err := f.store.Members(context.Background(), func(m *state.Member) error {
		if m.ID == id {
			c := *m
			got = &c
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
