package textdiff

import "testing"

func TestUnified(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	b := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
	got := Unified("x", "y", a, b)
	want := "--- x\n+++ y\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -9,3 +9,4 @@\n i\n j\n k\n+l\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if Unified("x", "y", a, a) != "" {
		t.Error("equal inputs gave a diff")
	}
	if got := Unified("x", "y", "", "new\n"); got != "--- x\n+++ y\n@@ -0,0 +1 @@\n+new\n" {
		t.Errorf("from empty: %q", got)
	}
}

func TestLines(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n"
	got := Lines(a, b, 1)
	want := []Line{{Kind: ' ', Hidden: 2}, {' ', "3", 0}, {'-', "4", 0}, {'+', "four", 0}, {' ', "5", 0}, {Kind: ' ', Hidden: 2}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d: got %+v, want %+v (all: %+v)", i, got[i], want[i], got)
		}
	}
	if Lines(a, a, 1) != nil {
		t.Error("equal inputs gave a diff")
	}
	if got := Lines("x", "y", 3); len(got) != 2 || got[0] != (Line{'-', "x", 0}) || got[1] != (Line{'+', "y", 0}) {
		t.Errorf("one line: %+v", got)
	}
}
