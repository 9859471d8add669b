package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
)

const telegramRunConfig = `
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
variable "chat" {
  type = string
}

platform "telegram" "main" {
  token        = var.token
  api_url      = var.api
  chats        = [var.chat]
  poll_timeout = "1s"
}

import {
  to = "community.c"
  id = var.chat
}

community "c" {
  title           = "Club C"
  platform        = platform.telegram.main
  purpose         = "Testing"
  welcome_message = "Welcome to Club C!"

  channel "group" {}
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
  step "announce" {
    send {
      channel  = "channel"
      target   = community.c.channel.group
      template = template.announce
    }
  }
}

template "hello" {
  text = {
    en = "Hello ${member.name}, glad you are here. Questions? Ask @club_admin."
  }
}

template "announce" {
  text = {
    en = "Say hi to ${member.name}! (@club_admin greets every newcomer.)"
  }
}
`

// TestRunTelegram is the whole loop on Telegram, against the fake: apply
// adopts the group; hearth run long-polls getUpdates, a member's join
// starts the campaign, whose DM, group message and the welcome message
// are delivered through the outbox. The member's name holds "@durov",
// which Telegram would make a mention notifying that user: it goes with
// a word joiner after the @, while the templates' own @club_admin stays
// a mention.
func TestRunTelegram(t *testing.T) {
	const token = "777:run-test-secret"
	f := telegramfake.New(token)
	defer f.Close()
	chat := f.AddChat("Group")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(telegramRunConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_token": token, "HEARTH_VAR_api": f.APIURL(), "HEARTH_VAR_chat": strconv.FormatInt(chat, 10)}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: lookup}
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: %d\n%s%s", c, out.String(), errb.String())
	}
	if title, _ := f.Chat(chat); title != "Club C" {
		t.Errorf("group title %q after apply", title)
	}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", freeAddr(t), dir}, s) }()
	ann := f.AddMember(chat, "Ann @durov")
	f.StartBot(ann)
	// sent waits for a message to chat whose text starts with prefix and
	// checks its whole text.
	sent := func(chat int64, prefix, want string) {
		t.Helper()
		var got string
		waitFor(t, 20*time.Second, "a message "+prefix+"...", func() bool {
			i := slices.IndexFunc(f.Messages(chat), func(m telegramfake.Message) bool { return strings.HasPrefix(m.Text, prefix) })
			if i >= 0 {
				got = f.Messages(chat)[i].Text
			}
			return i >= 0
		})
		if got != want {
			t.Errorf("sent %q; want %q", got, want)
		}
	}
	sent(ann, "Hello", "Hello Ann @\u2060durov, glad you are here. Questions? Ask @club_admin.")
	sent(chat, "Say hi", "Say hi to Ann @\u2060durov! (@club_admin greets every newcomer.)")
	waitFor(t, 20*time.Second, "the welcome message in the group", func() bool {
		return slices.ContainsFunc(f.Messages(chat), func(m telegramfake.Message) bool { return strings.Contains(m.Text, "Welcome to Club C!") })
	})
	cancel()
	stoppedWith0(t, code, errb.String)
	if strings.Contains(out.String()+errb.String(), "run-test-secret") {
		t.Error("the token shows in the output")
	}
}

// TestRunTelegramReactionReceived: a reaction in a Telegram group
// credits the member reacted to (reaction.received), though Telegram's
// update names only the message: the adapter remembers who wrote it.
// A campaign entered on reaction.received thanks the author by DM.
func TestRunTelegramReactionReceived(t *testing.T) {
	const token = "778:run-test-secret"
	f := telegramfake.New(token)
	defer f.Close()
	chat := f.AddChat("Group")
	dir := t.TempDir()
	cfg := telegramRunConfig[:strings.Index(telegramRunConfig, "campaign ")] + `
campaign "appreciated" {
  community = community.c
  enter_on  = "reaction.received"
  step "tell" {
    send {
      channel  = "dm"
      template = template.liked
    }
  }
}

template "liked" {
  text = {
    en = "Someone liked what you wrote, ${member.name}."
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HEARTH_VAR_token": token, "HEARTH_VAR_api": f.APIURL(), "HEARTH_VAR_chat": strconv.FormatInt(chat, 10)}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if c := run(context.Background(), []string{"apply", "-auto-approve", dir}, s); c != 0 {
		t.Fatalf("apply: %d\n%s%s", c, out.String(), errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", freeAddr(t), dir}, s) }()
	ann, bo := f.AddMember(chat, "Ann"), f.AddMember(chat, "Bo")
	f.StartBot(ann)
	f.StartBot(bo)
	msg := f.Post(chat, ann, "I built a robot")
	f.React(chat, bo, msg, "👍")
	waitFor(t, 20*time.Second, "the DM thanking Ann", func() bool {
		return slices.ContainsFunc(f.Messages(ann), func(m telegramfake.Message) bool { return m.Text == "Someone liked what you wrote, Ann." })
	})
	cancel()
	stoppedWith0(t, code, errb.String)
	if n := len(f.Messages(bo)); n != 0 {
		t.Errorf("Bo, who reacted, got %d DMs; want none", n)
	}
}
