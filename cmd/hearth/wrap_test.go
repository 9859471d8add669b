package main

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/textwidth"
)

// wrap measures terminal cells, not bytes, and breaks between Chinese
// characters, which have no spaces: no line is wider than asked, and
// none starts with closing punctuation.
func TestWrapCJK(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width int
		want  string
	}{
		{"one two three four", 9, "> one two\n> three\n> four"},
		{"欢迎新成员加入社区，请先阅读社区规则。", 10, "> 欢迎新成员\n> 加入社区，\n> 请先阅读社\n> 区规则。"},
		{"成员 points 达到「九百」分", 12, "> 成员 points\n> 达到「九百」\n> 分"},
		{"unbreakable-long-word x", 5, "> unbreakable-long-word\n> x"},
	} {
		got := wrap(tc.text, tc.width, "> ")
		if got != tc.want {
			t.Errorf("wrap(%q, %d):\n got %q\nwant %q", tc.text, tc.width, got, tc.want)
		}
		for _, l := range strings.Split(got, "\n") {
			body := strings.TrimPrefix(l, "> ")
			if w := textwidth.Width(body); w > tc.width && !strings.Contains(body, "unbreakable") {
				t.Errorf("line %q is %d cells; want at most %d", l, w, tc.width)
			}
			if strings.IndexAny(body, "，。」") == 0 {
				t.Errorf("line %q starts with closing punctuation", l)
			}
		}
	}
}
