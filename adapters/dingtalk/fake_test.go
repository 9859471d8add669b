package dingtalk_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDingTalk follows the custom robot documentation (自定义机器人接入):
// POST /robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN], the
// signature recomputed by its own code, the one-hour tolerance, keyword
// security, text and markdown bodies, and 20 messages a minute per robot
// after which the robot is throttled for ten minutes (130101).
type fakeDingTalk struct {
	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex
	robots   map[string]*fakeRobot
	requests int
}

type fakeRobot struct {
	secret    string
	keyword   string
	sent      []time.Time
	throttled time.Time
	got       []map[string]any
}

func newFake(t *testing.T) *fakeDingTalk {
	f := &fakeDingTalk{robots: map[string]*fakeRobot{}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /robot/send", f.send)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDingTalk) add(token, secret, keyword string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.robots[token] = &fakeRobot{secret: secret, keyword: keyword}
	return f.srv.URL + "/robot/send?access_token=" + token
}

func (f *fakeDingTalk) messages(token string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.robots[token].got...)
}

func errcode(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
}

func (f *fakeDingTalk) send(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	q := r.URL.Query() // decodes sign, as DingTalk does
	rb := f.robots[q.Get("access_token")]
	if rb == nil {
		errcode(w, 300001, "token is not exist")
		return
	}
	now := f.now()
	if rb.secret != "" {
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		m := hmac.New(sha256.New, []byte(rb.secret))
		m.Write([]byte(q.Get("timestamp") + "\n" + rb.secret))
		if err != nil || now.Sub(time.UnixMilli(ms)).Abs() > time.Hour || q.Get("sign") != base64.StdEncoding.EncodeToString(m.Sum(nil)) {
			errcode(w, 310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
			return
		}
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		errcode(w, 40035, "缺少参数 json")
		return
	}
	content := ""
	switch body["msgtype"] {
	case "text":
		t, _ := body["text"].(map[string]any)
		content, _ = t["content"].(string)
	case "markdown":
		md, _ := body["markdown"].(map[string]any)
		title, _ := md["title"].(string)
		content, _ = md["text"].(string)
		if title == "" {
			content = ""
		}
	}
	if content == "" {
		errcode(w, 40035, "缺少参数 content")
		return
	}
	if rb.keyword != "" && !strings.Contains(content, rb.keyword) {
		errcode(w, 310000, "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
		return
	}
	if now.Before(rb.throttled) {
		errcode(w, 130101, "send too fast, exceed 20 times per minute")
		return
	}
	n := 0
	for _, t := range rb.sent {
		if now.Sub(t) < time.Minute {
			n++
		}
	}
	if n >= 20 {
		rb.throttled = now.Add(10 * time.Minute)
		errcode(w, 130101, "send too fast, exceed 20 times per minute")
		return
	}
	rb.sent = append(rb.sent, now)
	rb.got = append(rb.got, body)
	errcode(w, 0, "ok")
}
