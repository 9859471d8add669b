package email_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// TestCampaignEmail runs the whole path: a member joins, a campaign's
// step renders a text and HTML template into an outbox email, and the
// dispatcher delivers it through the email platform to mailpit. A 4xx
// from the server leaves it pending for a retry; a 5xx dead-letters it
// at once.
func TestCampaignEmail(t *testing.T) {
	t.Parallel()
	mp := startMailpit(t, false)
	dir := t.TempDir()
	ca, err := os.ReadFile(mp.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	src := `
variable "smtp_password" {
  type      = string
  sensitive = true
}
platform "local" "main" {
  path = "platform.json"
}
platform "email" "news" {
  host            = "` + mp.smtpHost + `"
  port            = ` + strconv.Itoa(mp.smtpPort) + `
  ca_file         = "ca.pem"
  username        = "` + smtpUser + `"
  password        = var.smtp_password
  from            = "Explorers <news@explorers.example>"
  unsubscribe_url = "https://explorers.example/unsubscribe?member={member}"
}
community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
}
template "welcome_mail" {
  subject = { en = "Welcome, ${member.name}" }
  text    = { en = "Hello ${member.name}, welcome to the Explorers." }
  html    = { en = "<p>Hello <b>${member.name}</b>, welcome to the Explorers.</p>" }
}
campaign "onboarding" {
  community = community.explorers
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "email"
      template = template.welcome_mail
      platform = platform.email.news
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(email.New(), local.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: reg.Specs(), LookupEnv: func(k string) (string, bool) {
		if k == config.EnvVarPrefix+"smtp_password" {
			return smtpPass, true
		}
		return "", false
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}

	store := state.NewMemory()
	rt := runtime.New(cfg, nil)
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	join := func(id, name, address string) {
		b, err := store.Begin(ctxBG)
		if err != nil {
			t.Fatal(err)
		}
		ev := &events.Event{ID: "join-" + id, Type: "member.joined", At: at,
			Member: events.Member{ID: id, Name: name, Identities: map[string]string{"email": address}}}
		if _, err := rt.Apply(ctxBG, b, ev); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	join("ann", "Ann", "ann@example.org")

	now := time.Now()
	sender := &outbox.PlatformSender{Registry: reg, Config: func() *config.Config { return cfg }}
	defer sender.Close()
	d := outbox.New(store, sender, outbox.Options{Now: func() time.Time { return now }, MaxAttempts: 5})

	// The server refuses for now: the email stays in the outbox.
	mp.chaos(t, 451)
	rep, err := d.RunOnce(ctxBG)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retried != 1 || rep.Sent != 0 || rep.Dead != 0 {
		t.Fatalf("with 451: %+v; want one retry", rep)
	}
	// Then it takes mail again: the retry delivers.
	mp.chaos(t, 0)
	now = now.Add(2 * time.Hour)
	if rep, err = d.RunOnce(ctxBG); err != nil || rep.Sent != 1 {
		t.Fatalf("after the 451 passed: %+v, %v; want one sent", rep, err)
	}
	msgs := mp.messages(t)
	if len(msgs) != 1 || msgs[0].Subject != "Welcome, Ann" || msgs[0].To[0].Address != "ann@example.org" {
		t.Fatalf("mailpit has %+v", msgs)
	}
	var body struct{ Text, HTML string }
	mp.get(t, "/api/v1/message/"+msgs[0].ID, &body)
	if !strings.Contains(body.HTML, "<b>Ann</b>") || !strings.Contains(body.Text, "Hello Ann") {
		t.Errorf("rendered parts: %q / %q", body.Text, body.HTML)
	}
	var headers map[string][]string
	mp.get(t, "/api/v1/message/"+msgs[0].ID+"/headers", &headers)
	if h := headers["List-Unsubscribe"]; len(h) != 1 || h[0] != "<https://explorers.example/unsubscribe?member=ann>" {
		t.Errorf("List-Unsubscribe %q", h)
	}

	// A mailbox that does not exist: dead after one attempt.
	join("bob", "Bob", "bob@example.org")
	mp.chaos(t, 550)
	rep, err = d.RunOnce(ctxBG)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dead != 1 || rep.Retried != 0 {
		t.Errorf("with 550: %+v; want it dead at once", rep)
	}
	mp.chaos(t, 0)
	// A member without an address is dead with a message saying so.
	b, _ := store.Begin(ctxBG)
	if _, err := rt.Apply(ctxBG, b, &events.Event{ID: "join-carl", Type: "member.joined", At: at, Member: events.Member{ID: "carl", Name: "Carl"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if rep, err = d.RunOnce(ctxBG); err != nil || rep.Dead != 1 {
		t.Errorf("a member without an address: %+v, %v; want dead", rep, err)
	}
	dead, err := store.ListOutbox(ctxBG, state.OutboxDead, 100)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range dead {
		reasons = append(reasons, e.LastError)
	}
	if len(dead) != 2 || !strings.Contains(strings.Join(reasons, "\n"), "has no email address") {
		t.Errorf("dead letters: %q", reasons)
	}
	if strings.Contains(strings.Join(reasons, "\n"), smtpPass) {
		t.Error("a dead letter shows the SMTP password")
	}
}
