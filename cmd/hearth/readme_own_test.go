package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeOwnCommunity follows the README's "Your own community" block
// as a reader does, in a temporary directory: each ./hearth line runs
// in-process (apply answers 'yes'), "run ... &" starts the daemon, and
// the member show after the pause must show the post's points and badge.
func TestReadmeOwnCommunity(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n### Your own community\n")
	if !ok {
		t.Fatal(`the README has no "### Your own community" section`)
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("no sh block in Your own community")
	}
	block, _, _ = strings.Cut(block, "```")

	t.Chdir(t.TempDir())
	lineRe := regexp.MustCompile(`^\./hearth (.*)$`)
	var ran []string
	for _, line := range strings.Split(block, "\n") {
		m := lineRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		args := slices.DeleteFunc(shellWords(m[1]), func(w string) bool { return w == "&" })
		ran = append(ran, args[0])
		switch {
		case args[0] == "run":
			// The reader's "&": a daemon for the rest of the block.
			daemonAt(t, args[len(args)-1])
		case args[0] == "member" && args[1] == "show":
			eventually(t, func() string {
				code, out := ownCLI("", args...)
				if code != 0 || !strings.Contains(out, "points 11") || !strings.Contains(out, "badges: first_post") {
					return "member show after the README's post: " + out
				}
				return ""
			})
		default:
			if code, out := ownCLI("yes\n", args...); code != 0 {
				t.Fatalf("hearth %s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
		}
	}
	want := []string{"init", "validate", "test", "apply", "run", "local", "local", "member"}
	if strings.Join(ran, " ") != strings.Join(want, " ") {
		t.Errorf("the block ran %v, want %v: has its form changed?", ran, want)
	}
	if _, err := os.Stat(filepath.Join("mycommunity", ".hearth")); err != nil {
		t.Errorf("no state after the block: %v", err)
	}
}

// ownCLI runs hearth with in as its standard input.
func ownCLI(in string, args ...string) (int, string) {
	var out bytes.Buffer
	s := &stdio{in: strings.NewReader(in), out: &out, err: &out, lookupEnv: func(string) (string, bool) { return "", false }}
	return run(context.Background(), args, s), out.String()
}
