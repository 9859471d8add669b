package feishu_test

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

// fakeFeishu follows the custom bot guide (自定义机器人使用指南): one route
// per bot token, the signature checked with its own HMAC code, the
// one-hour timestamp tolerance, keyword security, the 20 KB body limit
// and the per-bot frequency limits, answering {"code","msg","data"}.
type fakeFeishu struct {
	srv *httptest.Server

	mu        sync.Mutex
	bots      map[string]*fakeBot
	perSecond int // 5 in the documentation
	perMinute int // 100 in the documentation
	requests  int
	now       func() time.Time
}

type fakeBot struct {
	secret  string
	keyword string
	sent    []time.Time
	texts   []string
}

func newFake(t *testing.T) *fakeFeishu {
	f := &fakeFeishu{bots: map[string]*fakeBot{}, perSecond: 5, perMinute: 100, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/bot/v2/hook/{token}", f.hook)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFeishu) add(token, secret, keyword string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bots[token] = &fakeBot{secret: secret, keyword: keyword}
	return f.srv.URL + "/open-apis/bot/v2/hook/" + token
}

func (f *fakeFeishu) texts(token string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bots[token].texts...)
}

func reply(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
}

func (f *fakeFeishu) hook(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	b := f.bots[r.PathValue("token")]
	if b == nil {
		reply(w, 200, 19001, "param invalid: incoming webhook access token invalid")
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(raw) > 20<<10 {
		reply(w, 400, 9499, "Bad Request: request body size exceeds 20KB")
		return
	}
	var req struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Content   struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &req); err != nil || req.MsgType == "" {
		reply(w, 400, 9499, "Bad Request")
		return
	}
	if b.secret != "" {
		ts, err := strconv.ParseInt(req.Timestamp, 10, 64)
		m := hmac.New(sha256.New, []byte(req.Timestamp+"\n"+b.secret))
		if err != nil || f.now().Sub(time.Unix(ts, 0)).Abs() > time.Hour || req.Sign != base64.StdEncoding.EncodeToString(m.Sum(nil)) {
			reply(w, 200, 19021, "sign match fail or timestamp is not within one hour from current time")
			return
		}
	}
	if req.MsgType != "text" || req.Content.Text == "" {
		reply(w, 400, 9499, "Bad Request: content.text is required for msg_type text")
		return
	}
	if b.keyword != "" && !strings.Contains(req.Content.Text, b.keyword) {
		reply(w, 200, 19024, "Key Words Not Found")
		return
	}
	now := f.now()
	inSecond, inMinute := 0, 0
	for _, t := range b.sent {
		if now.Sub(t) < time.Second {
			inSecond++
		}
		if now.Sub(t) < time.Minute {
			inMinute++
		}
	}
	if inSecond >= f.perSecond || inMinute >= f.perMinute {
		reply(w, 200, 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]")
		return
	}
	b.sent = append(b.sent, now)
	b.texts = append(b.texts, req.Content.Text)
	reply(w, 200, 0, "success")
}
