package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/textwidth"
)

// A community on WeCom, Feishu or DingTalk names its badges in Chinese:
// hearth simulate's tables line them up by the cells a terminal gives
// them (two per character), not by characters, so the counts after them
// stay in one column.
func TestSimulateTablesWithChineseNames(t *testing.T) {
	dir := t.TempDir()
	cfg := `
platform "local" "main" {}

community "c" {
  title    = "社区"
  platform = platform.local.main
}

badge "first_post" {
  title = "首次发言"
}
badge "helper" {
  title = "热心助人者徽章"
}
badge "bronze" {
  title = "Bronze"
}

incentive "first_post" {
  on   = "message.posted"
  when = "member.messages == 1"
  once = true
  grant {
    badge = badge.first_post
  }
}
`
	events := `{"id":"1","type":"message.posted","member":{"id":"张三","name":"张三"},"at":"2026-01-01T09:00:00Z"}
{"id":"2","type":"message.posted","member":{"id":"李四","name":"李四"},"at":"2026-01-01T10:00:00Z"}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if code := run(context.Background(), []string{"simulate", "-events", filepath.Join(dir, "events.jsonl"), dir}, s); code != 0 {
		t.Fatalf("simulate exit %d:\n%s%s", code, out.String(), errb.String())
	}
	// The Badges section: its heading and one row per badge, each count
	// starting at the same terminal column as the heading's.
	lines := strings.Split(out.String(), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "Badges") {
			start = i
		}
	}
	if start < 0 || start+4 > len(lines) {
		t.Fatalf("no Badges section of four lines:\n%s", out.String())
	}
	col := func(l, field string) int {
		i := strings.Index(l, field)
		if i < 0 {
			t.Fatalf("line %q has no %q", l, field)
		}
		return textwidth.Width(l[:i])
	}
	want := col(lines[start], "holders")
	for _, row := range []struct{ line, title, holders string }{
		{lines[start+1], "first_post (首次发言)", "2"}, {lines[start+2], "helper (热心助人者徽章)", "0"}, {lines[start+3], "bronze (Bronze)", "0"},
	} {
		rest := strings.TrimPrefix(row.line, "  "+row.title)
		if rest == row.line {
			t.Fatalf("row %q is not badge %s's:\n%s", row.line, row.title, out.String())
		}
		if got := col(row.line, row.holders); got != want || !strings.HasPrefix(strings.TrimLeft(rest, " "), row.holders+" ") {
			t.Errorf("badge %s: holders at column %d; want %d, under the heading:\n%s", row.title, got, want, strings.Join(lines[start:start+4], "\n"))
		}
	}
}
