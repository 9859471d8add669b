package plan

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/platform"
)

// long measures terminal cells: 30 Chinese characters fill the 60 cells
// 60 Latin letters do, so a change of 31 of them is a line diff.
func TestLongByDisplayWidth(t *testing.T) {
	if long(strings.Repeat("新", 30)) || !long(strings.Repeat("新", 31)) || long(strings.Repeat("a", 60)) || !long(strings.Repeat("a", 61)) {
		t.Error("long does not count two cells for a Chinese character")
	}
}

// A value created is shown whole, never cut: one line quoted, in any
// script, and a text of several lines as a heredoc, a line each.
func TestCreatedValuesWhole(t *testing.T) {
	for _, s := range []string{strings.Repeat("新", 40), strings.Repeat("a", 70)} {
		if got := quote(s); got != `"`+s+`"` {
			t.Errorf("quote = %s; want it whole", got)
		}
	}
	rules := "1. 友善交流，对事不对人。\n2. 分享作品欢迎，广告请勿发。\n\n3. 提问前先搜索，" + strings.Repeat("a", 70) + "\n"
	var b strings.Builder
	writeAttrs(&b, platform.KindPin, map[string]string{"text": rules, "channel": "general"}, "+", false)
	want := `      + channel = "general"
      + text    = <<-EOT
            1. 友善交流，对事不对人。
            2. 分享作品欢迎，广告请勿发。

            3. 提问前先搜索，` + strings.Repeat("a", 70) + `
        EOT
`
	if b.String() != want {
		t.Errorf("created:\n%s\nwant:\n%s", b.String(), want)
	}
	// A line's control characters are shown escaped, not sent to the
	// terminal.
	if got := heredoc(4, "text", "+", "a\x1b[2Jb\nc", ""); strings.Contains(got, "\x1b") {
		t.Errorf("heredoc passes an escape: %q", got)
	}
}
