package wecom_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWeCom follows WeCom's server API documentation for the three calls
// the adapter makes: gettoken (corpid and corpsecret checked, tokens that
// expire after expires_in), message/send (token checked, 40014 for an
// unknown one and 42001 for an expired one, agentid checked, touser
// split on "|", invaliduser and 81013, 2048-byte text) and the group
// robot's webhook/send (93000 for an unknown key, text and markdown,
// 20 messages a minute then 45009). It always answers HTTP 200 with
// errcode and errmsg, as WeCom does.
type fakeWeCom struct {
	srv *httptest.Server
	now func() time.Time

	mu        sync.Mutex
	corpID    string
	secret    string
	agentID   int
	users     map[string]bool
	tokens    map[string]time.Time // token -> expiry
	issued    int
	robots    map[string][]time.Time
	robotMsgs map[string][]map[string]any
	dms       []map[string]any
	calls     map[string]int
	recent    map[string]time.Time // request JSON -> when, for enable_duplicate_check
}

func newFake(t *testing.T) *fakeWeCom {
	f := &fakeWeCom{now: time.Now, corpID: "ww0123", secret: "corp-secret-xyz", agentID: 1000002, users: map[string]bool{},
		tokens: map[string]time.Time{}, robots: map[string][]time.Time{}, robotMsgs: map[string][]map[string]any{}, calls: map[string]int{}, recent: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	mux.HandleFunc("POST /cgi-bin/message/send", f.messageSend)
	mux.HandleFunc("POST /cgi-bin/webhook/send", f.webhookSend)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func wecomReply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeWeCom) gettoken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["gettoken"]++
	q := r.URL.Query()
	if q.Get("corpid") != f.corpID {
		wecomReply(w, map[string]any{"errcode": 40013, "errmsg": "invalid corpid"})
		return
	}
	if q.Get("corpsecret") != f.secret {
		wecomReply(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	f.issued++
	tok := fmt.Sprintf("tok-%d", f.issued)
	f.tokens[tok] = f.now().Add(7200 * time.Second)
	wecomReply(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
}

// expireTokens makes every issued token expired, as after two hours.
func (f *fakeWeCom) expireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = f.now().Add(-time.Second)
	}
}

func (f *fakeWeCom) messageSend(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["message/send"]++
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		wecomReply(w, map[string]any{"errcode": 41001, "errmsg": "access_token missing"})
		return
	}
	exp, ok := f.tokens[tok]
	if !ok {
		wecomReply(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	if !f.now().Before(exp) {
		wecomReply(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		wecomReply(w, map[string]any{"errcode": 40058, "errmsg": "invalid json"})
		return
	}
	if a, _ := m["agentid"].(float64); int(a) != f.agentID {
		wecomReply(w, map[string]any{"errcode": 40056, "errmsg": "invalid agentid"})
		return
	}
	if m["msgtype"] != "text" {
		wecomReply(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}
	text, _ := m["text"].(map[string]any)
	content, _ := text["content"].(string)
	if content == "" {
		wecomReply(w, map[string]any{"errcode": 44004, "errmsg": "empty content"})
		return
	}
	if len(content) > 2048 {
		wecomReply(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
		return
	}
	to, _ := m["touser"].(string)
	var valid, invalid []string
	for _, u := range strings.Split(to, "|") {
		if f.users[strings.ToLower(u)] {
			valid = append(valid, u)
		} else {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	if len(valid) == 0 {
		wecomReply(w, map[string]any{"errcode": 81013, "errmsg": "user & party & tag all invalid"})
		return
	}
	// enable_duplicate_check: the same request JSON within the interval
	// is answered ok and not delivered again.
	if on, _ := m["enable_duplicate_check"].(float64); on == 1 {
		secs, _ := m["duplicate_check_interval"].(float64)
		if secs == 0 {
			secs = 1800
		}
		if at, seen := f.recent[string(raw)]; seen && f.now().Sub(at) < time.Duration(secs)*time.Second {
			wecomReply(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "dup"})
			return
		}
		f.recent[string(raw)] = f.now()
	}
	f.dms = append(f.dms, m)
	wecomReply(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": strings.Join(invalid, "|"), "msgid": fmt.Sprintf("msg-%d", len(f.dms))})
}

func (f *fakeWeCom) webhookSend(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["webhook/send"]++
	key := r.URL.Query().Get("key")
	sent, ok := f.robots[key]
	if !ok {
		wecomReply(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		wecomReply(w, map[string]any{"errcode": 40058, "errmsg": "invalid json"})
		return
	}
	typ, _ := m["msgtype"].(string)
	limit := map[string]int{"text": 2048, "markdown": 4096}[typ]
	if limit == 0 {
		wecomReply(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}
	inner, _ := m[typ].(map[string]any)
	content, _ := inner["content"].(string)
	if content == "" {
		wecomReply(w, map[string]any{"errcode": 44004, "errmsg": "empty content"})
		return
	}
	if len(content) > limit {
		wecomReply(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
		return
	}
	now := f.now()
	n := 0
	for _, t := range sent {
		if now.Sub(t) < time.Minute {
			n++
		}
	}
	if n >= 20 {
		wecomReply(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	f.robots[key] = append(sent, now)
	f.robotMsgs[key] = append(f.robotMsgs[key], m)
	wecomReply(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}
