package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// hearth local join -timezone gives the new member a zone, which their
// member.joined carries to hearth run as a platform's profile would; a
// misspelt zone is refused with the name it looks like.
func TestLocalJoinTimezone(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), args, s)
		return c, out.String() + errb.String()
	}
	if c, o := cli("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, o)
	}
	if c, o := cli("local", "join", "-name", "Bo", "-timezone", "Europe/Berln", "explorers", dir); c != 1 || !strings.Contains(o, `-timezone "Europe/Berln" is not an IANA time zone name`) || !strings.Contains(o, `Did you mean "Europe/Berlin"?`) {
		t.Errorf("join with a misspelt zone: %d %s", c, o)
	}
	if c, o := cli("local", "post", "-member", "mb-1", "-channel", "welcome", "-timezone", "UTC", "hi", dir); c != 1 || !strings.Contains(o, "-timezone and -locale are for join") {
		t.Errorf("post with -timezone: %d %s", c, o)
	}
	if c, o := cli("local", "join", "-name", "Bo", "-timezone", "Asia/Tokyo", "-locale", "zh-CN", "explorers", dir); c != 0 || !strings.Contains(o, "joined as mb-1") {
		t.Fatalf("join: %d %s", c, o)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	conn, err := registry().Open(context.Background(), cfg.Platforms[0], cfg.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var attrs map[string]any
	err = conn.(*local.Conn).Stream(context.Background(), platform.StreamRequest{}, func(_ context.Context, d platform.Delivery) error {
		if d.Event.Type == "member.joined" && d.Event.Member.ID == "mb-1" {
			attrs = d.Event.Attrs
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if attrs["timezone"] != "Asia/Tokyo" || attrs["locale"] != "zh-CN" {
		t.Errorf("member.joined attrs %v; want timezone Asia/Tokyo and locale zh-CN", attrs)
	}
}

// -referrer and -member take the member ids join printed: a name is
// answered with the id of the member of that name, an unknown id with
// the ids there are (five at most), and none at all with how to make one.
func TestLocalMemberIDHints(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	if c, _, e := runCLI("apply", "-auto-approve", dir); c != 0 {
		t.Fatalf("apply: %d %s", c, e)
	}
	want := func(what string, args []string, parts ...string) {
		t.Helper()
		c, _, e := runCLI(append([]string{"local"}, args...)...)
		if c != 1 {
			t.Errorf("%s: exit %d, %s; want 1", what, c, e)
		}
		for _, p := range parts {
			if !strings.Contains(e, p) {
				t.Errorf("%s: %q lacks %q", what, e, p)
			}
		}
	}
	want("no members yet", []string{"join", "-name", "Dana", "-referrer", "alice", "explorers", dir},
		`hearth local join: -referrer alice: no member with that id is in a community on local platform "main"; -referrer takes a member id on that platform (mb-N`,
		"It has no members yet")
	for _, n := range []string{"Alice", "Bo", "Cy", "Di", "Ed", "Flo"} {
		if c, _, e := runCLI("local", "join", "-name", n, "explorers", dir); c != 0 {
			t.Fatalf("join %s: %d %s", n, c, e)
		}
	}
	want("a name", []string{"join", "-name", "Dana", "-referrer", "alice", "explorers", dir}, "alice is the name of mb-1; pass -referrer mb-1.")
	want("a name to post as", []string{"post", "-member", "Bo", "-channel", "welcome", "hi", dir}, "hearth local post: -member Bo:", "Bo is the name of mb-2; pass -member mb-2.")
	want("an unknown id", []string{"join", "-name", "Dana", "-referrer", "mb-99", "explorers", dir},
		"Its members include mb-1 (Alice), mb-2 (Bo), mb-3 (Cy), mb-4 (Di), mb-5 (Ed) and 1 more (hearth local show members COMMUNITY lists them).")
	if c, out, e := runCLI("local", "join", "-name", "Dana", "-referrer", "mb-1", "explorers", dir); c != 0 || !strings.Contains(out, "Dana joined as mb-7") {
		t.Errorf("join with a referrer's id: %d %s%s", c, out, e)
	}
}
