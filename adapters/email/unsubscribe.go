package email

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/platform"
)

// UnsubscribedEvent is the event type the unsubscribe endpoint ingests.
const UnsubscribedEvent = "email.unsubscribed"

var _ platform.Responder = (*Conn)(nil)

// RespondInbound answers the unsubscribe link, served by `hearth run` at
// /v1/inbound/email/NAME. A POST carrying List-Unsubscribe=One-Click
// (RFC 8058; mail clients send it, and so does the confirm page)
// unsubscribes the member with one email.unsubscribed event, whose id
// depends only on the platform, the member and the day, so a repeat is a
// duplicate. A GET only shows a page with a confirm button: mail
// scanners fetch links, and that must not unsubscribe anyone. The {token}
// of the link authenticates the request; nothing else does.
func (c *Conn) RespondInbound(_ context.Context, req platform.InboundRequest) (platform.InboundReply, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return page(http.StatusServiceUnavailable, "Try again later", "The mailing list is not available right now.", false), nil
	}
	return c.s.unsubscribe(req, c.name, c.now().UTC()), nil
}

// unsubscribe is RespondInbound without the connection, so that it is
// easy to fuzz.
func (s *settings) unsubscribe(req platform.InboundRequest, name string, now time.Time) platform.InboundReply {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		r := page(http.StatusMethodNotAllowed, "Method not allowed", "Open the unsubscribe link in a browser, or POST List-Unsubscribe=One-Click to it.", false)
		r.Header.Set("Allow", "GET, HEAD, POST")
		return r
	}
	if len(s.unsubSecret) == 0 {
		return page(http.StatusNotFound, "No unsubscribe here", "This mailing list does not sign its unsubscribe links (no unsubscribe_secret), so hearth cannot check them here.", false)
	}
	var q url.Values
	if req.URL != nil {
		q = req.URL.Query()
	}
	member := q.Get(s.memberParam)
	if !validMember(member) || len(q[s.memberParam]) > 1 {
		return page(http.StatusBadRequest, "Bad unsubscribe link", "The link does not name a member. Use the whole link from the email.", false)
	}
	if !s.tokenOK(member, q.Get(s.tokenParam)) || len(q[s.tokenParam]) > 1 {
		return page(http.StatusForbidden, "Invalid unsubscribe link", "This unsubscribe link is not valid for this member; it may have been changed or cut short. Use the whole link from the email.", false)
	}
	if req.Method != http.MethodPost {
		return page(http.StatusOK, "Unsubscribe?", "Stop receiving these emails?", true)
	}
	if !oneClick(req) {
		return page(http.StatusBadRequest, "Not a one-click unsubscribe", "A POST to this link must carry List-Unsubscribe=One-Click (RFC 8058).", false)
	}
	attrs := map[string]any{"platform": Type + "." + name}
	if s.listID != "" {
		attrs["list"] = s.listID
	}
	r := page(http.StatusOK, "Unsubscribed", "You will receive no more of these emails.", false)
	r.Events = []events.Event{{
		ID:     UnsubscribeEventID(name, member, now),
		Type:   UnsubscribedEvent,
		Member: events.Member{ID: member},
		At:     now,
		Attrs:  attrs,
	}}
	return r
}

// UnsubscribeEventID is the id of the email.unsubscribed event for a
// member of the platform block NAME at a time: the same for every request
// of that day (UTC), so clicking twice (or a mail client retrying)
// unsubscribes once. A click on a later day is a new event: a member who
// resubscribed since (email.resubscribed) and clicks again is unsubscribed
// again, where an id kept for ever would be a duplicate, dropped; for a
// member still unsubscribed it changes nothing but the count.
func UnsubscribeEventID(name, member string, at time.Time) string {
	sum := sha256.Sum256([]byte(Type + "\x00" + name + "\x00" + member))
	return "email.unsubscribed:" + name + ":" + hex.EncodeToString(sum[:16]) + ":" + at.UTC().Format("2006-01-02")
}

// tokenOK compares in constant time, so the token cannot be guessed a
// byte at a time.
func (s *settings) tokenOK(member, token string) bool {
	got, err := hex.DecodeString(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, s.unsubSecret)
	mac.Write([]byte(member))
	return hmac.Equal(got, mac.Sum(nil))
}

func validMember(m string) bool {
	if m == "" || len(m) > events.MaxIDLen || !utf8.ValidString(m) {
		return false
	}
	// As events.Check holds ids: a member id this refused would be a
	// valid link's event the daemon cannot take.
	return strings.IndexFunc(m, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) < 0
}

// oneClick reports whether a POST body holds List-Unsubscribe=One-Click,
// as multipart/form-data (what RFC 8058 prefers) or form-urlencoded.
func oneClick(req platform.InboundRequest) bool {
	r, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(req.Body))
	if err != nil {
		return false
	}
	ct := req.Header.Get("Content-Type")
	if ct == "" {
		// Some senders leave it out; the body is the form either way.
		ct = "application/x-www-form-urlencoded"
	}
	r.Header.Set("Content-Type", ct)
	if strings.HasPrefix(strings.ToLower(ct), "multipart/") {
		if r.ParseMultipartForm(64<<10) != nil {
			return false
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	} else if r.ParseForm() != nil {
		return false
	}
	return r.PostForm.Get("List-Unsubscribe") == "One-Click"
}

// queryParams finds the query parameters unsubscribe_url puts {member}
// and {token} in, so links made from any such URL can be checked; the
// default is member= and token=.
func queryParams(tmpl string) (member, token string) {
	member, token = "member", "token"
	u, err := url.Parse(tmpl)
	if err != nil {
		return member, token
	}
	for k, vs := range u.Query() {
		for _, v := range vs {
			switch v {
			case "{member}":
				member = k
			case "{token}":
				token = k
			}
		}
	}
	return member, token
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- if .Confirm}}
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
{{- end}}
</body></html>
`))

// page is a small HTML answer; with confirm, a button POSTs the one-click
// form to the page's own URL (the form has no action).
func page(status int, title, msg string, confirm bool) platform.InboundReply {
	var b bytes.Buffer
	_ = pageTmpl.Execute(&b, struct {
		Title, Message string
		Confirm        bool
	}{title, msg, confirm})
	// The URL holds the member's token: keep it out of Referer headers
	// and caches.
	h := http.Header{"Referrer-Policy": {"no-referrer"}, "Cache-Control": {"no-store"}}
	return platform.InboundReply{Status: status, ContentType: "text/html; charset=utf-8", Body: b.Bytes(), Header: h}
}
