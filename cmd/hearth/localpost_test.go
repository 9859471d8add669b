package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const localFamilySrc = `
platform "local" "main" {}

community "oss" {
  title    = "开源社区"
  platform = platform.local.main
  capacity = 2

  channel "general" {
    title = "闲聊"
  }
}
`

// hearth local post finds the channel in the community the member is
// in: a sub-community's copy for a member there, by block name or title;
// -community picks one, and errors name communities, never their ids.
func TestLocalPostInSubCommunity(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(localFamilySrc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), append(args, dir), s)
		return c, out.String() + errb.String()
	}
	if c, o := cli("apply", "-auto-approve"); c != 0 {
		t.Fatalf("apply: %d %s", c, o)
	}
	for _, name := range []string{"Ann", "Bo", "Cy"} {
		if c, o := cli("local", "join", "-name", name, "oss"); c != 0 {
			t.Fatalf("join: %d %s", c, o)
		}
	}
	// Three members in a community of two: plan opens oss-2.
	if c, o := cli("apply", "-auto-approve"); c != 0 || !strings.Contains(o, "oss-2") {
		t.Fatalf("apply opening oss-2: %d %s", c, o)
	}
	if c, o := cli("local", "join", "-name", "Dee", "oss-2"); c != 0 || !strings.Contains(o, "mb-4") {
		t.Fatalf("join oss-2: %d %s", c, o)
	}
	for _, ch := range []string{"general", "闲聊"} {
		if c, o := cli("local", "post", "-member", "mb-4", "-channel", ch, "你好"); c != 0 || !strings.Contains(o, "posted") {
			t.Errorf("post in oss-2's %s: %d %s", ch, c, o)
		}
	}
	if c, o := cli("local", "post", "-member", "mb-4", "-channel", "general", "-community", "oss-2", "hi"); c != 0 {
		t.Errorf("post -community oss-2: %d %s", c, o)
	}
	c, o := cli("local", "post", "-member", "mb-4", "-channel", "general", "-community", "oss", "hi")
	if c != 1 || !strings.Contains(o, `not in community "oss"`) || strings.Contains(o, "co-") {
		t.Errorf("post in oss by a member of oss-2: %d %s; want an error naming oss, with no platform id", c, o)
	}
	if c, o := cli("local", "post", "-member", "mb-4", "-channel", "general", "-community", "oss-9", "hi"); c != 1 || !strings.Contains(o, `no community named "oss-9"`) {
		t.Errorf("post -community oss-9: %d %s", c, o)
	}
	if c, o := cli("local", "show", "messages", "oss-2"); c != 0 || strings.Count(o, "你好") != 2 {
		t.Errorf("oss-2's messages: %d %s", c, o)
	}
}
