package slack

import "testing"

// A user id is mentioned as <@id>; anything else mentions no one.
func TestMention(t *testing.T) {
	for id, want := range map[string]string{"U0123ABCD": "<@U0123ABCD>", "W12": "<@W12>", "": "", "U1>|<!channel": "", "ann": ""} {
		if got := Mention(id); got != want {
			t.Errorf("Mention(%q) = %q; want %q", id, got, want)
		}
	}
	if Spec().Mention == nil {
		t.Error("the spec has no Mention: templates' member.mention would be the name")
	}
}
