package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the daemon's goroutines may log into
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Bad -log-level and -log-format values, from a flag or the
// environment, exit 1 naming where they came from and what is allowed;
// a flag wins over the environment.
func TestRunLogFlagsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-log-level", "verbose"}, nil, `hearth run: -log-level "verbose": want debug, info, warn or error.` + "\n"},
		{[]string{"-log-format", "yaml"}, nil, `hearth run: -log-format "yaml": want json or text.`},
		{nil, map[string]string{"HEARTH_LOG_LEVEL": "trace"}, `hearth run: HEARTH_LOG_LEVEL "trace": want debug, info, warn or error.`},
		{nil, map[string]string{"HEARTH_LOG_FORMAT": "logfmt"}, `hearth run: HEARTH_LOG_FORMAT "logfmt": want json or text.`},
		// A typo of a value is told of the value.
		{[]string{"-log-level", "inf"}, nil, `hearth run: -log-level "inf": want debug, info, warn or error. Did you mean "info"?` + "\n"},
		{nil, map[string]string{"HEARTH_LOG_FORMAT": "jsn"}, `hearth run: HEARTH_LOG_FORMAT "jsn": want json or text. Did you mean "json"?` + "\n"},
		// The flags win, so the bad environment is not looked at: the
		// next check (-max-ahead) is what fails.
		{[]string{"-log-level", "debug", "-log-format", "json"}, map[string]string{"HEARTH_LOG_LEVEL": "trace", "HEARTH_LOG_FORMAT": "x"}, "-max-ahead must be more than 0"},
		// warning is warn: taken, so the next check fails.
		{[]string{"-log-level", "warning"}, nil, "-max-ahead must be more than 0"},
		{nil, map[string]string{"HEARTH_LOG_LEVEL": "WARNING"}, "-max-ahead must be more than 0"},
	} {
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: envOf(tc.env)}
		args := append(append([]string{"run"}, tc.args...), "-max-ahead", "0", quickstartCopy(t))
		if c := run(context.Background(), args, s); c != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want 1 and %q", tc.args, tc.env, c, errb.String(), tc.want)
		}
	}
}

// At -log-level debug (here from HEARTH_LOG_LEVEL) the daemon says what
// it commits, delivers and reloads, in the format asked for; at the
// default level it does not. A platform's token stays out of every
// line, also where an error quotes the token-bearing URL (Telegram's
// https://api.telegram.org/botTOKEN/getMe).
func TestRunLogLevelDebug(t *testing.T) {
	// logs runs the daemon until done says the log has what the test
	// waits for (or 20 seconds pass) and returns the log.
	logs := func(t *testing.T, done func(log string) bool, env map[string]string, args ...string) string {
		dir := quickstartCopy(t)
		_ = os.WriteFile(filepath.Join(dir, "telegram.hcl"), []byte(`
variable "tg_token" {
  type      = string
  sensitive = true
}

platform "telegram" "tg" {
  token   = var.tg_token
  api_url = "http://127.0.0.1:1/"
}
`), 0o644)
		env["HEARTH_VAR_tg_token"] = "987654:SeCrEtToKeN_abcdefghij"
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb syncBuffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: envOf(env)}
		code := make(chan int, 1)
		go func() {
			code <- run(ctx, append(append([]string{"run", "-listen", addr, "-events", "../../examples/quickstart/events.jsonl"}, args...), dir), s)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "applied ../../examples/quickstart/events.jsonl") || !strings.Contains(errb.String(), "platform not reachable") {
			if time.Now().After(deadline) {
				t.Fatalf("events not applied:\n%s\n%s", out.String(), errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		resp, err := http.Post("http://"+addr+"/v1/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for !done(errb.String()) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if c := <-code; c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
		if strings.Contains(errb.String(), "SeCrEtToKeN") {
			t.Errorf("the token is in the log:\n%s", errb.String())
		}
		return errb.String()
	}
	t.Run("debug", func(t *testing.T) {
		wants := []string{
			`level=DEBUG msg="batch committed" events=`,
			`level=DEBUG msg="reloading the configuration" trigger=api`,
			`level=DEBUG msg="outbox delivery" action=`,
			`platform=platform.local.`,
			`status=wait attempt=1 err="no community named`,
			"level=INFO msg=started",
		}
		all := func(log string) bool {
			for _, want := range wants {
				if !strings.Contains(log, want) {
					return false
				}
			}
			return true
		}
		got := logs(t, all, map[string]string{"HEARTH_LOG_LEVEL": "debug"}, "-log-format", "text")
		for _, want := range wants {
			if !strings.Contains(got, want) {
				t.Errorf("no %q in\n%s", want, got)
			}
		}
	})
	t.Run("default", func(t *testing.T) {
		// Nothing to wait for: after the reload the outbox gets a second
		// and a half for a debug line to show, were the level wrong.
		var since time.Time
		waited := func(string) bool {
			if since.IsZero() {
				since = time.Now()
			}
			return time.Since(since) > 1500*time.Millisecond
		}
		got := logs(t, waited, map[string]string{}, "-log-format", "json")
		if strings.Contains(got, `"level":"DEBUG"`) || !strings.Contains(got, `"msg":"started"`) {
			t.Errorf("at the default level, in JSON:\n%s", got)
		}
	})
}

// With -log-format json every line on stderr is a JSON record, the
// configuration's warnings at start and after a reload included: each
// is one WARN record naming file:line:col and quoting its line, a
// credential written in plain text there as (sensitive).
func TestRunJSONLogWarningsAreRecords(t *testing.T) {
	dir := quickstartCopy(t)
	const secret = "plain-Text-Secret-4711"
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("crm.hcl", "platform \"webhook\" \"crm\" {\n  url    = \"http://127.0.0.1:1/hook\"\n  secret = \""+secret+"\"\n}\n")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: envOf(nil)}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, "-log-format", "json", dir}, s) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), `"msg":"started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A second file with the same kind of warning, brought in by a reload.
	write("crm2.hcl", "platform \"webhook\" \"crm2\" {\n  url    = \"http://127.0.0.1:1/hook2\"\n  secret = \""+secret+"-2\"\n}\n")
	resp, err := http.Post("http://"+addr+"/v1/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d\n%s", c, errb.String())
	}
	log := errb.String()
	if strings.Contains(log, secret) {
		t.Errorf("the plain-text secret is in the log:\n%s", log)
	}
	where := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		var rec struct{ Level, Msg, Where, Code string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line %d is not a JSON record: %q", i+1, line)
			continue
		}
		if rec.Level == "WARN" && rec.Msg == "configuration warning" {
			where[rec.Where] = true
			if !strings.Contains(rec.Code, "(sensitive)") {
				t.Errorf("the warning at %s quotes %q; want its secret as (sensitive)", rec.Where, rec.Code)
			}
		}
	}
	for _, w := range []string{"crm.hcl:3:12", "crm2.hcl:3:12"} {
		if !where[w] {
			t.Errorf("no configuration warning record at %s (have %v) in\n%s", w, where, log)
		}
	}
}
