package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/discord/discordfake"
)

const discordRunConfig = `
hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "token" {
  type      = string
  sensitive = true
}
variable "api" {
  type = string
}
variable "guild" {
  type = string
}

platform "discord" "main" {
  token         = var.token
  api_url       = var.api
  poll_interval = "1s"
}

import {
  to = "community.c"
  id = var.guild
}

community "c" {
  title           = "Club C"
  platform        = platform.discord.main
  purpose         = "Testing"
  welcome_message = "Welcome to Club C!"

  channel "general" {}
}

campaign "onboarding" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hello
    }
  }
}

template "hello" {
  text = {
    en = "Hello ${member.name}, glad you are here."
  }
}
`

// TestRunDiscord is the whole loop on Discord, against the fake: apply
// adopts the server and makes #general; hearth run reads a member's
// join from Discord, the campaign DMs them through the outbox, and the
// welcome message goes to the first channel.
func TestRunDiscord(t *testing.T) {
	f := discordfake.New("run-test-token")
	defer f.Close()
	guild := f.AddGuild("Server")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(discordRunConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_token": "run-test-token", "HEARTH_VAR_api": f.APIURL(), "HEARTH_VAR_guild": guild}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: lookup}
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: %d\n%s%s", c, out.String(), errb.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", freeAddr(t), dir}, s) }()
	// The stream starts at its first poll; a member who joins after it
	// is new.
	waitFor(t, 10*time.Second, "the first read of members", func() bool {
		return slices.ContainsFunc(f.Requests(), func(r string) bool { return strings.HasPrefix(r, "GET /guilds/"+guild+"/members?") })
	})
	ann := f.AddMember(guild, "Ann")
	defer func() {
		if t.Failed() {
			cancel()
			<-code
			t.Logf("output:\n%s%s\nrequests: %v", out.String(), errb.String(), f.Requests())
			out.Reset()
			run(context.Background(), []string{"outbox", "list", dir}, s)
			run(context.Background(), []string{"member", "show", ann, dir}, s)
			t.Logf("%s%s", out.String(), errb.String())
		}
	}()
	waitFor(t, 20*time.Second, "the campaign's DM to Ann", func() bool {
		dm := f.DMChannel(ann)
		return dm != "" && slices.ContainsFunc(f.Messages(dm), func(m discordfake.Message) bool { return m.Content == "Hello Ann, glad you are here." })
	})
	var general string
	for _, ch := range f.Channels(guild) {
		if ch.Name == "general" {
			general = ch.ID
		}
	}
	waitFor(t, 20*time.Second, "the welcome message in #general", func() bool {
		return slices.ContainsFunc(f.Messages(general), func(m discordfake.Message) bool { return strings.Contains(m.Content, "Welcome to Club C!") })
	})
	cancel()
	stoppedWith0(t, code, errb.String)
	if strings.Contains(out.String()+errb.String(), "run-test-token") {
		t.Error("the token shows in the output")
	}
	if n := len(f.Messages(f.DMChannel(ann))); n != 1 {
		t.Errorf("%d DMs to Ann; want 1", n)
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
