package config_test

import (
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// An attribute is a likely slip of one its event type declares, standard
// or from an event block; the profile's attributes, unknown types and
// names far from every declared one are none.
func TestLikelyEventAttr(t *testing.T) {
	cfg, diags := loadSrc(t, `event "workshop.attended" {
  attributes = {
    topic   = "string"
    minutes = "int"
  }
}
`, testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	for _, c := range []struct{ typ, attr, want string }{
		{"message.posted", "chanel", "channel"},
		{"message.posted", "channel", ""},
		{"message.posted", "colour", ""},
		{"message.posted", "mmber", ""}, // member is no attribute
		{"workshop.attended", "topik", "topic"},
		{"workshop.attended", "minute", "minutes"},
		{"workshop.atended", "topik", ""},
		{config.ProfileEventType, "nme", ""},
	} {
		if got := cfg.LikelyEventAttr(c.typ, c.attr); got != c.want {
			t.Errorf("LikelyEventAttr(%q, %q) = %q; want %q", c.typ, c.attr, got, c.want)
		}
	}
}

// A slip counts only when the event lacks the name it looks like: with
// both, the event has what the rules read.
func TestAttrSlips(t *testing.T) {
	cfg, diags := loadSrc(t, "", testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	s := config.NewAttrSlips(cfg, 3)
	for _, c := range []struct {
		typ   string
		attrs map[string]any
		want  []config.AttrSlip
	}{
		{"message.posted", map[string]any{"chanel": "help", "txt": "hi", "colour": "red"},
			[]config.AttrSlip{{Attr: "chanel", Suggestion: "channel"}, {Attr: "txt", Suggestion: "text"}}},
		{"message.posted", map[string]any{"chanel": "help", "channel": "help"}, nil},
		{"message.posted", map[string]any{"channel": "help"}, nil},
		{config.ProfileEventType, map[string]any{"nme": "Ada"}, nil},
		{"made.up", map[string]any{"chanel": "help"}, nil},
		// Past its bound, names not met before are not looked at.
		{"reaction.added", map[string]any{"emoj": "+1"}, nil},
	} {
		got := s.Find(nil, c.typ, c.attrs)
		if len(got) != len(c.want) {
			t.Errorf("%s %v: %v; want %v", c.typ, c.attrs, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s %v: %v; want %v", c.typ, c.attrs, got, c.want)
			}
		}
	}
}
