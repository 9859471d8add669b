package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLocalServeDiscourse tries a forum configuration the way the README
// says: hearth local serve discourse prints a url and a key, saying it is
// a stand-in kept in memory; plan and apply against it with that key
// make the categories and the group; a second plan has no changes; and
// Ctrl-C stops it.
func TestLocalServeDiscourse(t *testing.T) {
	var serveOut, serveErr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss := &stdio{in: strings.NewReader(""), out: &serveOut, err: &serveErr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"local", "serve", "-listen", "127.0.0.1:0", "discourse"}, ss) }()

	urlRe := regexp.MustCompile(`(?m)^  url +(http://127\.0\.0\.1:\d+)$`)
	keyRe := regexp.MustCompile(`(?m)^  api key +(\S+)$`)
	var url, key string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out := serveOut.String()
		if u, k := urlRe.FindStringSubmatch(out), keyRe.FindStringSubmatch(out); u != nil && k != nil && strings.Contains(out, "Serving") {
			url, key = u[1], k[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local serve printed no url and key:\n%s%s", out, serveErr.String())
		}
	}
	for _, want := range []string{"LOCAL STAND-IN for Discourse, not a Discourse forum", "kept in memory and lost when it stops", "export HEARTH_VAR_discourse_api_key=" + key} {
		if !strings.Contains(serveOut.String(), want) {
			t.Errorf("local serve does not say %q:\n%s", want, serveOut.String())
		}
	}
	resp, err := http.Get(url + "/session/current.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Hearth-Stand-In") == "" {
		t.Errorf("a request without the key: %s, X-Hearth-Stand-In %q; want 403 from a marked stand-in", resp.Status, resp.Header.Get("X-Hearth-Stand-In"))
	}

	dir := t.TempDir()
	src := `hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "discourse_api_key" {
  type      = string
  sensitive = true
}

platform "discourse" "forum" {
  url       = "` + url + `"
  api_key   = var.discourse_api_key
  community = "makers"
}

community "makers" {
  title    = "Makers"
  platform = platform.discourse.forum

  channel "general" {
    topic = "Anything about making"
  }
  role "regulars" {
    title = "Regular makers"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_discourse_api_key": key}
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "-detailed-exitcode"}, 2, "Plan: 1 to adopt, 2 to add, 0 to change, 0 to destroy."},
		{[]string{"apply", "-auto-approve"}, 0, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed, 1 adopted."},
		{[]string{"plan", "-detailed-exitcode"}, 0, "No changes."},
	} {
		var out, errb bytes.Buffer
		s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		if c := run(context.Background(), append(step.args, dir), s); c != step.code || !strings.Contains(out.String(), step.want) {
			t.Fatalf("hearth %s: exit %d, want %d and %q\n%s%s", strings.Join(step.args, " "), c, step.code, step.want, out.String(), errb.String())
		}
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 || !strings.Contains(serveOut.String(), "Stopped") {
			t.Errorf("local serve: exit %d after Ctrl-C\n%s%s", c, serveOut.String(), serveErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("local serve did not stop")
	}
}

// A stand-in serves this machine only, and only the types it has.
func TestLocalServeRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"local", "serve", "-listen", "0.0.0.0:4280", "discourse"}, "not a loopback"},
		{[]string{"local", "serve", "-listen", ":4280", "discourse"}, "not a loopback"},
		{[]string{"local", "serve", "-listen", "0.0.0.0:4281", "discord"}, "not a loopback"},
		{[]string{"local", "serve", "matrix"}, `no stand-in for "matrix"; the types are: discord, discourse, slack, telegram`},
		{[]string{"local", "serve", "-listen", "0.0.0.0:4283", "telegram"}, "not a loopback"},
		{[]string{"local", "serve"}, "give the platform type"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("hearth %s: exit %d, stderr %q; want 1 and %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}

// standInRun is a stand-in started as `hearth local serve TYPE` on a
// free port, with the exports it printed.
type standInRun struct {
	out  *syncBuffer
	env  map[string]string
	stop func() int
}

// startStandIn starts `hearth local serve typ` and waits until it
// serves, reading the HEARTH_VAR_ exports it prints.
func startStandIn(t *testing.T, typ string) standInRun {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ss := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"local", "serve", "-listen", "127.0.0.1:0", typ}, ss) }()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(10 * time.Second):
			t.Fatalf("local serve %s did not stop", typ)
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	exportRe := regexp.MustCompile(`(?m)^  export (HEARTH_VAR_\w+)=(\S*)$`)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "Serving"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("local serve %s did not start:\n%s%s", typ, out.String(), errb.String())
		}
	}
	env := map[string]string{}
	for _, m := range exportRe.FindAllStringSubmatch(out.String(), -1) {
		env[m[1]] = m[2]
	}
	return standInRun{out: &out, env: env, stop: stop}
}

// hearthSteps runs hearth commands on dir with env, each expected to
// exit with code and print want.
func hearthSteps(t *testing.T, dir string, env map[string]string, steps []hearthStep) {
	t.Helper()
	for _, step := range steps {
		var out, errb bytes.Buffer
		s := &stdio{in: strings.NewReader(""), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		if c := run(context.Background(), append(step.args, dir), s); c != step.code || !strings.Contains(out.String(), step.want) {
			t.Fatalf("hearth %s: exit %d, want %d and %q\n%s%s", strings.Join(step.args, " "), c, step.code, step.want, out.String(), errb.String())
		}
		for k, v := range env {
			if strings.Contains(k, "token") && strings.Contains(out.String()+errb.String(), v) {
				t.Errorf("hearth %s shows %s", strings.Join(step.args, " "), k)
			}
		}
	}
}

type hearthStep struct {
	args []string
	code int
	want string
}

// getJSON asks a stand-in for url with the Authorization header auth
// and decodes the answer into v.
func getJSON(t *testing.T, url, auth string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("X-Hearth-Stand-In"), "in memory") {
		t.Fatalf("GET %s: %s, X-Hearth-Stand-In %q", url, resp.Status, resp.Header.Get("X-Hearth-Stand-In"))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestLocalServeDiscord tries examples/discord-community the way its
// README says: hearth local serve discord prints the token, the API url
// and the id of the server it made; with those exported, validate, plan
// and apply adopt the server and make the categories, channels, roles
// and the rules pin in it; a second plan has no changes; and a new
// stand-in has the same server id, so the exports stay right.
func TestLocalServeDiscord(t *testing.T) {
	si := startStandIn(t, "discord")
	for _, want := range []string{"LOCAL STAND-IN for Discord, not Discord", "kept in memory and lost when it stops", "import {"} {
		if !strings.Contains(si.out.String(), want) {
			t.Errorf("local serve does not say %q:\n%s", want, si.out.String())
		}
	}
	token, apiURL, guild := si.env["HEARTH_VAR_discord_token"], si.env["HEARTH_VAR_discord_api_url"], si.env["HEARTH_VAR_guild_id"]
	if token == "" || !strings.HasPrefix(apiURL, "http://127.0.0.1:") || guild == "" {
		t.Fatalf("local serve exports token %q, api url %q, guild %q:\n%s", token, apiURL, guild, si.out.String())
	}
	dir := exampleCopy(t, "discord-community", nil)
	hearthSteps(t, dir, si.env, []hearthStep{
		{[]string{"validate"}, 0, "Success!"},
		{[]string{"plan", "-detailed-exitcode"}, 2, "Plan: 9 to add, 1 to change, 0 to destroy, 1 to import."},
		{[]string{"apply", "-auto-approve"}, 0, "Apply complete! Resources: 9 added, 1 changed, 0 destroyed, 1 imported."},
		{[]string{"plan", "-detailed-exitcode"}, 0, "No changes."},
		{[]string{"drift"}, 0, "No drift"},
	})

	var server struct{ Name string }
	getJSON(t, apiURL+"/guilds/"+guild, "Bot "+token, &server)
	var channels []struct {
		ID, Name string
		Type     int
		ParentID *string `json:"parent_id"`
	}
	getJSON(t, apiURL+"/guilds/"+guild+"/channels", "Bot "+token, &channels)
	var roles []struct{ Name string }
	getJSON(t, apiURL+"/guilds/"+guild+"/roles", "Bot "+token, &roles)
	cats := map[string]string{}
	for _, c := range channels {
		if c.Type == 4 {
			cats[c.ID] = c.Name
		}
	}
	var got []string
	rulesID := ""
	for _, c := range channels {
		if c.Type == 0 && c.ParentID != nil {
			got = append(got, cats[*c.ParentID]+"/#"+c.Name)
		}
		if c.Name == "rules" {
			rulesID = c.ID
		}
	}
	for _, r := range roles {
		got = append(got, "@"+r.Name)
	}
	slices.Sort(got)
	want := []string{"@@everyone", "@Builder", "@Mentor", "@Moderator", "Build/#help", "Build/#showcase", "Start here/#introductions", "Start here/#rules", "Team/#mentors"}
	if server.Name != "Makers Guild" || !slices.Equal(got, want) {
		t.Errorf("the stand-in server %q has %q; want \"Makers Guild\" with %q", server.Name, got, want)
	}
	var pins []struct{ Content string }
	getJSON(t, apiURL+"/channels/"+rulesID+"/pins", "Bot "+token, &pins)
	if len(pins) != 1 || !strings.Contains(pins[0].Content, "Be kind") {
		t.Errorf("#rules pins %q; want the house rules", pins)
	}

	if c := si.stop(); c != 0 || !strings.Contains(si.out.String(), "Stopped; the stand-in server") {
		t.Errorf("local serve: exit %d after Ctrl-C\n%s", c, si.out.String())
	}
	if again := startStandIn(t, "discord"); again.env["HEARTH_VAR_guild_id"] != guild || again.env["HEARTH_VAR_discord_token"] == token {
		t.Errorf("a new stand-in has server %s and the token again %v; want server %s, a new token", again.env["HEARTH_VAR_guild_id"], again.env["HEARTH_VAR_discord_token"] == token, guild)
	}
}

// TestLocalServeSlack tries examples/slack-community the way its README
// says: hearth local serve slack prints the token, team id and API url
// (and an empty events_listen: it sends no events); with those
// exported, validate, plan and apply make the conversations, the pin
// and the user groups; a second plan has no changes.
func TestLocalServeSlack(t *testing.T) {
	si := startStandIn(t, "slack")
	if !strings.Contains(si.out.String(), "LOCAL STAND-IN for Slack, not Slack") {
		t.Errorf("local serve does not say it is a stand-in:\n%s", si.out.String())
	}
	token, apiURL := si.env["HEARTH_VAR_slack_bot_token"], si.env["HEARTH_VAR_slack_api_url"]
	if !strings.HasPrefix(token, "xoxb-") || !strings.HasPrefix(apiURL, "http://127.0.0.1:") || si.env["HEARTH_VAR_slack_team_id"] == "" {
		t.Fatalf("local serve exports %v:\n%s", si.env, si.out.String())
	}
	if v, ok := si.env["HEARTH_VAR_slack_events_listen"]; !ok || v != "" {
		t.Errorf("local serve exports HEARTH_VAR_slack_events_listen %q (%v); want it empty", v, ok)
	}
	dir := exampleCopy(t, "slack-community", nil)
	hearthSteps(t, dir, si.env, []hearthStep{
		{[]string{"validate"}, 0, "Success!"},
		{[]string{"plan", "-detailed-exitcode"}, 2, "Plan: 1 to adopt, 7 to add, 0 to change, 0 to destroy."},
		{[]string{"apply", "-auto-approve"}, 0, "Apply complete! Resources: 7 added, 0 changed, 0 destroyed, 1 adopted."},
		{[]string{"plan", "-detailed-exitcode"}, 0, "No changes."},
		{[]string{"drift"}, 0, "No drift"},
	})

	var convs struct {
		Channels []struct {
			ID, Name  string
			IsPrivate bool `json:"is_private"`
			Topic     struct{ Value string }
		}
	}
	getJSON(t, apiURL+"conversations.list?types=public_channel,private_channel", "Bearer "+token, &convs)
	var groups struct{ Usergroups []struct{ Handle string } }
	getJSON(t, apiURL+"usergroups.list", "Bearer "+token, &groups)
	var got []string
	introductions := ""
	for _, c := range convs.Channels {
		got = append(got, fmt.Sprintf("#%s private=%v", c.Name, c.IsPrivate))
		if c.Name == "introductions" {
			introductions = c.ID
		}
	}
	for _, g := range groups.Usergroups {
		got = append(got, "@"+g.Handle)
	}
	slices.Sort(got)
	want := []string{"#help private=false", "#introductions private=false", "#maintainers private=true", "#show-and-tell private=false", "@builders", "@core"}
	if !slices.Equal(got, want) {
		t.Errorf("the stand-in workspace has %q; want %q", got, want)
	}
	var pins struct {
		Items []struct{ Message struct{ Text string } }
	}
	getJSON(t, apiURL+"pins.list?channel="+introductions, "Bearer "+token, &pins)
	if len(pins.Items) != 1 || !strings.Contains(pins.Items[0].Message.Text, "Be kind") {
		t.Errorf("#introductions pins %+v; want the house rules", pins.Items)
	}
}

// TestLocalServeTelegram tries a Telegram configuration the way the
// README says: hearth local serve telegram prints the token, the API url
// and the id of the group it made; with those exported, validate, plan
// and apply adopt the group, set its title and description and pin the
// house rules in it; a second plan has no changes; and a new stand-in
// has the same group id, so the exports stay right.
func TestLocalServeTelegram(t *testing.T) {
	si := startStandIn(t, "telegram")
	for _, want := range []string{"LOCAL STAND-IN for Telegram, not Telegram", "kept in memory and lost when it stops", "import {"} {
		if !strings.Contains(si.out.String(), want) {
			t.Errorf("local serve does not say %q:\n%s", want, si.out.String())
		}
	}
	token, apiURL, chat := si.env["HEARTH_VAR_telegram_token"], si.env["HEARTH_VAR_telegram_api_url"], si.env["HEARTH_VAR_telegram_chat_id"]
	if !strings.HasPrefix(token, standInBotID+":") || !strings.HasPrefix(apiURL, "http://127.0.0.1:") || !strings.HasPrefix(chat, "-100") {
		t.Fatalf("local serve exports token %q, api url %q, chat %q:\n%s", token, apiURL, chat, si.out.String())
	}
	dir := t.TempDir()
	cfg := `hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "telegram_token" {
  type      = string
  sensitive = true
}
variable "telegram_api_url" { type = string }
variable "telegram_chat_id" { type = string }

platform "telegram" "main" {
  token   = var.telegram_token
  api_url = var.telegram_api_url
  chats   = [var.telegram_chat_id]
}

import {
  to = "community.makers"
  id = var.telegram_chat_id
}

community "makers" {
  title       = "Makers Guild"
  platform    = platform.telegram.main
  purpose     = "People who build things"
  house_rules = "1. Be kind."

  channel "group" {
    pin_house_rules = true
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	hearthSteps(t, dir, si.env, []hearthStep{
		{[]string{"validate"}, 0, "Success!"},
		{[]string{"plan", "-detailed-exitcode"}, 2, "1 to import."},
		{[]string{"apply", "-auto-approve"}, 0, "Apply complete!"},
		{[]string{"plan", "-detailed-exitcode"}, 0, "No changes."},
	})
	var group struct {
		Result struct {
			Title, Description string
			Pinned             struct{ Text string } `json:"pinned_message"`
		} `json:"result"`
	}
	getJSON(t, apiURL+"/bot"+token+"/getChat?chat_id="+chat, "", &group)
	if g := group.Result; g.Title != "Makers Guild" || g.Description != "People who build things" || !strings.Contains(g.Pinned.Text, "Be kind") {
		t.Errorf("the stand-in group is %+v; want Makers Guild, People who build things, the house rules pinned", g)
	}
	if c := si.stop(); c != 0 || !strings.Contains(si.out.String(), "Stopped; the stand-in group") {
		t.Errorf("local serve: exit %d after Ctrl-C\n%s", c, si.out.String())
	}
	if again := startStandIn(t, "telegram"); again.env["HEARTH_VAR_telegram_chat_id"] != chat || again.env["HEARTH_VAR_telegram_token"] == token {
		t.Errorf("a new stand-in has group %s and the token again %v; want group %s, a new token", again.env["HEARTH_VAR_telegram_chat_id"], again.env["HEARTH_VAR_telegram_token"] == token, chat)
	}
}
