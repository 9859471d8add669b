package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if c, o := cliOut("validate", dir); c != 0 {
		t.Fatalf("validate: %d %s", c, o)
	}
	if c, o := cliOut("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, o)
	}
	for _, j := range [][2]string{{"Ann", "builders"}, {"Bo", "ops"}} {
		if c, o := cliOut("local", "join", "-name", j[0], j[1], dir); c != 0 {
			t.Fatalf("join %s: %d %s", j[0], c, o)
		}
	}
	_, log, _ := daemonLogged(t, dir)
	for _, want := range [][2]string{{"builders", "Hi Ann"}, {"ops", "Hi Bo"}} {
		eventually(t, func() string {
			if _, dms := cliOut("local", "show", "dms", want[0], dir); !strings.Contains(dms, want[1]) {
				return fmt.Sprintf("no %q in %s's direct messages:\n%s\ndaemon: %s", want[1], want[0], dms, log())
			}
			return ""
		})
	}
	if strings.Contains(log(), "dead") {
		t.Errorf("daemon log mentions dead letters:\n%s", log())
	}
}
