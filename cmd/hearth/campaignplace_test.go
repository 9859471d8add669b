package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// twoCommunities is two communities on one local platform, one of them
// splitting at capacity, and an onboarding campaign that names neither.
const twoCommunities = `
hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

platform "local" "main" {
  path = ".hearth/local-platform.json"
}

community "builders" {
  title    = "Makers"
  platform = platform.local.main
  capacity = 2
  channel "welcome" { topic = "Say hi" }
}

community "ops" {
  title    = "Ops"
  platform = platform.local.main
  channel "alerts" { topic = "Pager" }
}

template "hi" {
  text = { en = "Hi ${member.name}" }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "welcome" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// A campaign without a community, with several communities on the
// platform: each member's direct message goes through the community they
// joined (a full one's sub-community when hearth run moved them there),
// not to the dead letters for want of a platform.
func TestCampaignDMWithSeveralCommunities(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(twoCommunities), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), args, s)
		return c, out.String() + errb.String()
	}
	if c, o := cli("validate", dir); c != 0 {
		t.Fatalf("validate: %d %s", c, o)
	}
	if c, o := cli("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, o)
	}
	for _, j := range [][2]string{{"Ann", "builders"}, {"Bo", "ops"}} {
		if c, o := cli("local", "join", "-name", j[0], j[1], dir); c != 0 {
			t.Fatalf("join %s: %d %s", j[0], c, o)
		}
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var dout, derr bytes.Buffer
	ds := &stdio{in: bytes.NewReader(nil), out: &dout, err: &derr, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", addr, dir}, ds) }()
	defer func() {
		cancel()
		select {
		case <-code:
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop")
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for _, want := range [][2]string{{"builders", "Hi Ann"}, {"ops", "Hi Bo"}} {
		for {
			_, dms := cli("local", "show", "dms", want[0], dir)
			if strings.Contains(dms, want[1]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q in %s's direct messages:\n%s\ndaemon: %s", want[1], want[0], dms, derr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if strings.Contains(derr.String(), "dead") {
		t.Errorf("daemon log mentions dead letters:\n%s", derr.String())
	}
}
