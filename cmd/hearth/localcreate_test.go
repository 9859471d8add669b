package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hearth local channel create and role create make objects outside
// hearth and print their ids; an import block with the id adopts them,
// so the plan imports rather than creates.
func TestLocalCreateForImport(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	if c, _, e := runCLI("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, e)
	}
	c, out, e := runCLI("local", "channel", "create", "-community", "explorers", "showcase2", dir)
	id := regexp.MustCompile(`as (ch-\d+)`).FindStringSubmatch(out)
	// The import block it prints is pasted as it is, so it must be HCL.
	printed := regexp.MustCompile(`(?s)import \{\n.*?\n\}`)
	chImport := printed.FindString(out)
	if c != 0 || id == nil || chImport != "import {\n  to = community.explorers.channel.showcase2\n  id = \""+id[1]+"\"\n}" {
		t.Fatalf("channel create: %d %s%s", c, out, e)
	}
	c, out, e = runCLI("local", "role", "create", "-community", "explorers", "helpers", dir)
	rid := regexp.MustCompile(`as (ro-\d+)`).FindStringSubmatch(out)
	roImport := printed.FindString(out)
	if c != 0 || rid == nil || !strings.Contains(roImport, "to = community.explorers.role.helpers") {
		t.Fatalf("role create: %d %s%s", c, out, e)
	}
	if c, _, e := runCLI("local", "role", "create", "-community", "nowhere", "x", dir); c != 1 || !strings.Contains(e, "nowhere") {
		t.Errorf("role create in an unknown community: %d %s", c, e)
	}
	src, err := os.ReadFile(filepath.Join(dir, "community.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	add := strings.Replace(string(src), `community "explorers" {`, `community "explorers" {
  channel "showcase2" {}
  role "helpers" {}`, 1)
	add += "\n" + chImport + "\n" + roImport + "\n"
	if err := os.WriteFile(filepath.Join(dir, "community.hcl"), []byte(add), 0o644); err != nil {
		t.Fatal(err)
	}
	c, out, e = runCLI("plan", dir)
	if c != 0 || !strings.Contains(out, "(imported, id "+id[1]+")") || !strings.Contains(out, "(imported, id "+rid[1]+")") {
		t.Errorf("plan: %d %s%s", c, out, e)
	}
}

// A channel added to the platform file by hand with an id its counter
// did not issue is refused with how to fix it.
func TestLocalFileUnissuedIDHint(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	if c, _, e := runCLI("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, e)
	}
	path := filepath.Join(dir, ".hearth", "local-platform.json")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"id": "ch-1"`)
	if !re.Match(src) {
		t.Fatalf("no ch-1 in the platform file:\n%s", src)
	}
	if err := os.WriteFile(path, re.ReplaceAll(src, []byte(`"id": "ch-900"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	c, out, e := runCLI("plan", dir)
	if c == 0 || !strings.Contains(out+e, `set "seq": {"ch": 900} or more`) || !strings.Contains(out+e, "hearth local channel create") {
		t.Errorf("plan on a hand-edited file: %d %s%s", c, out, e)
	}
}
