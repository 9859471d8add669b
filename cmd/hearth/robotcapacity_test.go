package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const robotCapacitySrc = `
hearth {
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "feishu_webhook_url" {
  type      = string
  sensitive = true
  default   = ""
}

platform "feishu" "group" {
  webhook_url = var.feishu_webhook_url
  channel     = "announcements"
}

community "makers" {
  title    = "创客群"
  platform = platform.feishu.group
  capacity = 3%s

  channel "announcements" {
    title = "公告"
  }
}
`

// A capacity on a platform hearth only sends through (a Feishu robot)
// cannot split: validate says so and what happens instead, and plan,
// which needs no credentials there, warns once hearth's count of the
// joins passes the capacity, whether on_capacity splits or warns.
func TestRobotCapacity(t *testing.T) {
	for _, onCapacity := range []string{"", "\n  on_capacity = \"warn\""} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(robotCapacitySrc, onCapacity)), 0o644); err != nil {
			t.Fatal(err)
		}
		cli := func(args ...string) (int, string) {
			var out, errb bytes.Buffer
			s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
			code := run(context.Background(), append(args, dir), s)
			return code, out.String() + errb.String()
		}
		code, out := cli("validate")
		if split := onCapacity == ""; code != 0 || strings.Contains(out, "Community cannot split on this platform") != split {
			t.Errorf("validate (on_capacity %q): exit %d\n%s", onCapacity, code, out)
		}
		var lines strings.Builder
		for i := 1; i <= 4; i++ {
			fmt.Fprintf(&lines, `{"id":"j%d","type":"member.joined","member":{"id":"u%d","name":"成员%d"},"community":"makers","at":"2026-11-10T08:0%d:00Z"}`+"\n", i, i, i, i)
		}
		evFile := filepath.Join(t.TempDir(), "events.jsonl")
		if err := os.WriteFile(evFile, []byte(lines.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out := cli("replay", "-events", evFile); code != 0 {
			t.Fatalf("replay: %d\n%s", code, out)
		}
		code, out = cli("plan", "-no-color")
		if code != 0 || !strings.Contains(out, "community.makers has 4 members (hearth's count: the platform cannot list them), more than its capacity of 3; hearth cannot open groups on platform.feishu.group") {
			t.Errorf("plan (on_capacity %q): exit %d; want the capacity warning\n%s", onCapacity, code, out)
		}
	}
}
