package discord

import "testing"

// A snowflake is mentioned as <@id>; anything else mentions no one.
func TestMention(t *testing.T) {
	for id, want := range map[string]string{"81234567890": "<@81234567890>", "": "", "12>@everyone": "", "u07": ""} {
		if got := Mention(id); got != want {
			t.Errorf("Mention(%q) = %q; want %q", id, got, want)
		}
	}
	if Spec().Mention == nil {
		t.Error("the spec has no Mention: templates' member.mention would be the name")
	}
}
