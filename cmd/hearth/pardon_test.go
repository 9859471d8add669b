package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPardonThroughRunningDaemon pardons through hearth run's admin API
// while it serves the moderated-community example.
func TestPardonThroughRunningDaemon(t *testing.T) {
	dir := exampleCopy(t, "moderated-community", nil)
	url, _, stop := daemonLogged(t, dir)
	// Strikes count from the daemon's clock: the messages are an hour old.
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":"p1","type":"message.posted","member":"u1","community":"tea_house","at":%q,"attrs":{"text":"加微信买茶"}}
{"id":"p2","type":"message.posted","member":"u1","community":"tea_house","at":%q,"attrs":{"text":"FREE USDT https://bit.ly/x"}}
`, at, at)
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %v %v", err, resp)
	}
	var pout, perr bytes.Buffer
	ps := &stdio{in: bytes.NewReader(nil), out: &pout, err: &perr, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"member", "pardon", "-url", url, "-rule", "ads", "u1"}, ps); c != 0 ||
		!strings.Contains(pout.String(), "Pardoned u1 (ads): 1 strike cleared, 2 left.") {
		t.Errorf("pardon -rule ads: %d %s %s", c, pout.String(), perr.String())
	}
	pout.Reset()
	if c := run(context.Background(), []string{"member", "pardon", "-url", url, "-rule", "nope", "u1"}, ps); c != 1 ||
		!strings.Contains(perr.String(), "hearth member pardon: no moderation rule nope in the configuration ("+url+"/v1/members/u1/pardon?rule=nope answered 400 Bad Request)\n") {
		t.Errorf("pardon unknown rule: %d %s", c, perr.String())
	}
	// With no -url, the command finds the daemon serving the directory's
	// state: writing the file behind the daemon's back would be lost.
	perr.Reset()
	if c := run(context.Background(), []string{"member", "pardon", "u1", dir}, ps); c != 0 ||
		!strings.Contains(pout.String(), "Pardoned u1 (all rules): 2 strikes cleared, 0 left.") ||
		!strings.Contains(perr.String(), "serves this state: the pardon goes through its API at "+url) {
		t.Errorf("pardon all, daemon found by itself: %d %s %s", c, pout.String(), perr.String())
	}
	perr.Reset()
	pout.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "crisis_playbook", dir}, ps); c != 0 ||
		!strings.Contains(perr.String(), "serves this state: the stop goes through its API at "+url) ||
		!strings.Contains(pout.String(), "Stopped crisis_playbook for 0 members.") {
		t.Errorf("campaign stop while the daemon runs: %d %s %s", c, pout.String(), perr.String())
	}
	perr.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "-member", "nobody", "crisis_playbook", dir}, ps); c != 1 ||
		!strings.Contains(perr.String(), "hearth campaign stop: no member nobody in the state ("+url+"/v1/campaigns/crisis_playbook/stop?member=nobody answered 404 Not Found)\n") {
		t.Errorf("campaign stop of an unknown member through the daemon: %d %s", c, perr.String())
	}
	perr.Reset()
	pout.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "-url", url, "-member", "u1", "crisis_playbook"}, ps); c != 0 ||
		!strings.Contains(pout.String(), "u1 is not in crisis_playbook now; nothing to stop.") {
		t.Errorf("campaign stop -url: %d %s %s", c, pout.String(), perr.String())
	}
	// -dry-run asks the daemon which runs it would stop (GET on the
	// route), and stops nothing.
	pout.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "-dry-run", "-url", url, "-key", "Go Night #42", "crisis_playbook"}, ps); c != 0 ||
		pout.String() != "No run of crisis_playbook with key \"Go Night #42\" is under way; nothing to stop. -dry-run: nothing was changed.\n" {
		t.Errorf("campaign stop -dry-run -url: %d %q %s", c, pout.String(), perr.String())
	}
	perr.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "-dry-run", "-url", url, "-member", "nobody", "crisis_playbook"}, ps); c != 1 ||
		!strings.Contains(perr.String(), "no member nobody in the state") {
		t.Errorf("campaign stop -dry-run of an unknown member through the daemon: %d %s", c, perr.String())
	}
	perr.Reset()
	if c := run(context.Background(), []string{"campaign", "stop", "-url", url, "no_such_campaign"}, ps); c != 1 ||
		!strings.Contains(perr.String(), "no_such_campaign") {
		t.Errorf("campaign stop -url of an unknown campaign: %d %s", c, perr.String())
	}
	// A member the daemon has just accepted shows at once: member show
	// asks the daemon, whose journal may not be in the database yet.
	fresh := fmt.Sprintf(`{"id":"n1","type":"member.joined","member":{"id":"newcomer","name":"Nell"},"community":"tea_house","at":%q}`, at)
	if resp, err := http.Post(url+"/v1/events", "application/json", strings.NewReader(fresh)); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post newcomer: %v %v", err, resp)
	}
	pout.Reset()
	perr.Reset()
	if c := run(context.Background(), []string{"member", "show", "newcomer", dir}, ps); c != 0 || !strings.Contains(pout.String(), "Nell") {
		t.Errorf("member show right after the 202: %d %s %s", c, pout.String(), perr.String())
	}
	announced := filepath.Join(dir, ".hearth", "state.db.daemon")
	if _, err := os.Stat(announced); err != nil {
		t.Errorf("the running daemon's announcement: %v", err)
	}
	stop()
	if _, err := os.Stat(announced); !os.IsNotExist(err) {
		t.Errorf("announcement left after the daemon stopped: %v", err)
	}
	if c, out, errs := cli("member", "show", "u1", dir); c != 0 || !strings.Contains(out, "moderation: 0 live strikes") ||
		!strings.Contains(out, "pardon     all rules: 2 strikes cleared") {
		t.Errorf("member show after the pardons: %d %s %s", c, out, errs)
	}
}

// TestModerationLoopOnLocalPlatform is the whole loop: a member posts a
// scam link on the local platform, the daemon reads it from the stream,
// the rules decide, and the outbox deletes the message, mutes the member
// and tells them why; a pardon lifts the mute.
func TestModerationLoopOnLocalPlatform(t *testing.T) {
	dir := exampleCopy(t, "moderated-community", nil)
	if c, o := cliOut("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, o)
	}
	if c, o := cliOut("local", "join", "-name", "Ann", "tea_house", dir); c != 0 || !strings.Contains(o, "joined as mb-1") {
		t.Fatalf("join: %d %s", c, o)
	}
	_, log, _ := daemonLogged(t, dir)
	if c, o := cliOut("local", "post", "-member", "mb-1", "-channel", "general", "FREE USDT at https://bit.ly/x", dir); c != 0 {
		t.Fatalf("post: %d %s", c, o)
	}
	// Wait for the daemon to act: the scam message disappears.
	eventually(t, func() string {
		if _, msgs := cliOut("local", "show", "messages", "tea_house", dir); strings.Contains(msgs, "bit.ly") {
			return fmt.Sprintf("the scam message was not deleted:\n%s\ndaemon: %s", msgs, log())
		}
		return ""
	})
	// Two strikes at once: the second rung, a one-hour mute.
	eventually(t, func() string {
		if c, o := cliOut("local", "post", "-member", "mb-1", "-channel", "general", "hello?", dir); c == 0 || !strings.Contains(o, "muted until") {
			return fmt.Sprintf("the member was not muted: %d %s", c, o)
		}
		return ""
	})
	eventually(t, func() string {
		if _, dms := cliOut("local", "show", "dms", "tea_house", dir); !strings.Contains(dms, "Scam links") || !strings.Contains(dms, "mute 1h") {
			return "no moderation notice: " + dms
		}
		return ""
	})
	// A pardon clears the strikes through the daemon and lifts the mute
	// on the platform: the daemon's outbox delivers the unmute.
	c, o := cliOut("member", "pardon", "mb-1", dir)
	if c != 0 || !strings.Contains(o, "Pardoned mb-1 (all rules): 2 strikes cleared, 0 left.") ||
		!strings.Contains(o, "mb-1's mute is lifted") || strings.Contains(o, "stays muted") {
		t.Errorf("pardon of a muted member: %d %s", c, o)
	}
	eventually(t, func() string {
		if c, o := cliOut("local", "post", "-member", "mb-1", "-channel", "general", "thanks", dir); c != 0 {
			return fmt.Sprintf("the pardoned member is still muted: %d %s\ndaemon: %s", c, o, log())
		}
		return ""
	})
}

// A daemon that reads its API token from -token-file refuses commands
// that go through its API without it; they say which variable to set,
// not only "401".
func TestCommandsBesideATokenDaemon(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret-walk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	if err := os.WriteFile(events, fmt.Appendf(nil, `{"id":"t1","type":"message.posted","member":"u1","at":%q}`+"\n", at), 0o644); err != nil {
		t.Fatal(err)
	}
	daemonAt(t, dir, "-token-file", tokenFile)
	noEnv := func(string) (string, bool) { return "", false }
	cliEnv := func(env func(string) (string, bool), args ...string) (int, string) {
		var cout, cerr bytes.Buffer
		c := run(context.Background(), args, &stdio{in: bytes.NewReader(nil), out: &cout, err: &cerr, lookupEnv: env})
		return c, cout.String() + cerr.String()
	}
	wrong := func(k string) (string, bool) {
		return map[string]string{"HEARTH_API_TOKEN": "nope"}[k], k == "HEARTH_API_TOKEN"
	}
	right := func(k string) (string, bool) {
		return map[string]string{"HEARTH_API_TOKEN": "s3cret-walk"}[k], k == "HEARTH_API_TOKEN"
	}
	// The replay brings u1, whom the pardon then finds.
	for _, args := range [][]string{{"replay", "-events", events, dir}, {"member", "pardon", "u1", dir}, {"campaign", "stop", "onboarding", dir}} {
		if c, got := cliEnv(noEnv, args...); c != 1 || !strings.Contains(got, "401 Unauthorized") || !strings.Contains(got, "set HEARTH_API_TOKEN to it (the content of hearth run's -token-file)") {
			t.Errorf("%s without a token: %d %s", args[0:2], c, got)
		}
		if c, got := cliEnv(wrong, args...); c != 1 || !strings.Contains(got, "HEARTH_API_TOKEN is not the token the daemon takes") {
			t.Errorf("%s with a wrong token: %d %s", args[0:2], c, got)
		}
		if c, got := cliEnv(right, args...); c != 0 {
			t.Errorf("%s with the token: %d %s", args[0:2], c, got)
		}
	}
}
