package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/slack"
	"github.com/hearth-community/hearth/adapters/slack/slacktest"
)

// TestSlackCommunity runs examples/slack-community against the fake Slack
// Web API end to end: apply makes the conversations and user groups, a
// second plan finds nothing to change, and `hearth run` receives a signed
// Events API team_join and delivers the onboarding campaign's welcome as
// a Slack direct message, and takes the member's time zone and locale
// from it.
func TestSlackCommunity(t *testing.T) {
	f := slacktest.New(t)
	// The app has the scopes the example's README lists, and no more.
	f.Scopes = slack.Scopes()
	// Quiet hours would hold the welcome until morning.
	dir := exampleCopy(t, "slack-community", func(src []byte) []byte {
		return regexp.MustCompile(`(?s)\n  quiet_hours \{.*?\n  \}\n`).ReplaceAll(src, nil)
	})
	const secret = "test-signing-secret"
	eventsAddr := freeAddr(t)
	env := map[string]string{
		"HEARTH_VAR_slack_bot_token": f.Token, "HEARTH_VAR_slack_signing_secret": secret,
		"HEARTH_VAR_slack_team_id": f.TeamID, "HEARTH_VAR_slack_api_url": f.URL, "HEARTH_VAR_slack_events_listen": eventsAddr,
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	// The workspace is adopted, not made, and what Slack has no place
	// for (channel positions, user groups' hoist, mentionable, position)
	// is not in the plan.
	if c := run(context.Background(), []string{"plan", dir}, s); c != 0 {
		t.Fatalf("plan: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if !regexp.MustCompile(`# community\.\S+ will be adopted\n  <= community \{`).MatchString(out.String()) || !strings.Contains(out.String(), "Plan: 1 to adopt, ") {
		t.Errorf("plan does not adopt the workspace:\n%s", out.String())
	}
	for _, k := range []string{"position", "hoist", "mentionable", "will be created\n  + community"} {
		if strings.Contains(out.String(), k) {
			t.Errorf("plan shows %q:\n%s", k, out.String())
		}
	}
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), f.Token) || strings.Contains(out.String()+errb.String(), secret) {
		t.Errorf("apply output shows a secret:\n%s%s", out.String(), errb.String())
	}
	if n := f.Calls("conversations.create"); n != 4 {
		t.Errorf("apply created %d conversations; want 4", n)
	}
	if n := f.Calls("usergroups.create"); n != 2 {
		t.Errorf("apply created %d user groups; want 2", n)
	}
	if n := f.Calls("pins.add"); n != 1 {
		t.Errorf("apply pinned %d messages; want the house rules once", n)
	}
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), []string{"plan", "-detailed-exitcode", dir}, s); c != 0 {
		t.Errorf("plan after apply: exit %d; want 0 (no changes)\n%s%s", c, out.String(), errb.String())
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out.Reset()
	errb.Reset()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, s) }()

	ann := f.AddUserIn("Ann Example", "Asia/Tokyo", "ja-JP")
	evs := f.Events()
	join := evs[len(evs)-1]
	join["event_time"] = time.Now().Unix() // else the nudge, 72h later, is due at once
	body, _ := json.Marshal(join)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, "http://"+eventsAddr+slack.DefaultEventsPath, bytes.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(slack.Sign(secret, ts, body)))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Events API endpoint did not take the event: %v\n%s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		if msgs := f.Messages(f.DMChannel(ann)); len(msgs) > 0 {
			if len(msgs) != 1 || !strings.Contains(msgs[0], "Welcome to Open Hardware Makers, Ann Example!") {
				t.Errorf("direct messages %q", msgs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no welcome DM was sent\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	if strings.Contains(out.String()+errb.String(), f.Token) {
		t.Errorf("run output shows the token")
	}
	// team_join carries the member's time zone and locale: quiet hours
	// and times of day follow the member's own zone.
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), []string{"member", "show", ann, dir}, s); c != 0 {
		t.Fatalf("member show: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "locale ja-JP, time zone Asia/Tokyo") {
		t.Errorf("member show does not give the zone and locale from team_join:\n%s", out.String())
	}
}

// TestSlackPartialCreate: a channel made whose topic Slack then refuses
// is recorded in state, so the next plan sets the topic rather than
// create the channel again (and hit name_taken); a name Slack already
// has is refused with the import block that adopts the conversation at
// the block's address.
func TestSlackPartialCreate(t *testing.T) {
	f := slacktest.New(t)
	dir := t.TempDir()
	const cfg = `variable "token" {
  type      = string
  sensitive = true
}
variable "api_url" {
  type = string
}
platform "slack" "main" {
  token     = var.token
  team_id   = "%s"
  community = "makers"
  api_url   = var.api_url
}
community "makers" {
  title    = "Makers"
  platform = platform.slack.main
  channel "news" {
    topic = "What is new"
  }
%s}
`
	write := func(extra string) {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), fmt.Appendf(nil, cfg, f.TeamID, extra), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	env := map[string]string{"HEARTH_VAR_token": f.Token, "HEARTH_VAR_api_url": f.URL}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	cli := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return run(context.Background(), append(args, dir), s)
	}
	f.Fail("conversations.setTopic", "restricted_action")
	if c := cli("apply", "-auto-approve"); c == 0 {
		t.Fatalf("apply with the topic refused: exit 0\n%s", out.String())
	}
	if got := out.String() + errb.String(); !strings.Contains(got, "restricted_action") || !strings.Contains(got, "recorded in state") {
		t.Errorf("apply output does not say the channel was made and recorded:\n%s", got)
	}
	if c := cli("plan", "-detailed-exitcode"); c != 2 {
		t.Fatalf("plan after the partial create: exit %d; want 2\n%s%s", c, out.String(), errb.String())
	}
	if got := out.String(); !strings.Contains(got, "community.makers.channel.news will be updated in place") || !strings.Contains(got, `+ topic = "What is new"`) {
		t.Errorf("plan after the partial create does not update the topic of the channel made:\n%s", got)
	}
	if c := cli("apply", "-auto-approve"); c != 0 {
		t.Fatalf("second apply: exit %d\n%s%s", c, out.String(), errb.String())
	}
	if n := f.Calls("conversations.create"); n != 1 {
		t.Errorf("conversations.create called %d times; want 1", n)
	}

	// A conversation made in Slack under a block's name.
	id := f.CreateChannel("old-stuff", false)
	write("  channel \"old-stuff\" {}\n")
	if c := cli("apply", "-auto-approve"); c == 0 {
		t.Fatalf("apply over a taken name: exit 0\n%s", out.String())
	}
	got := out.String() + errb.String()
	for _, want := range []string{"name_taken", "import {", "to = community.makers.channel.old-stuff", `id = "` + id + `"`} {
		if !strings.Contains(got, want) {
			t.Errorf("name_taken does not name the import block (%q):\n%s", want, got)
		}
	}
}
