package matrix

import "testing"

// validate's crowd mention: "@room" as a word, not inside an address.
func TestAtRoom(t *testing.T) {
	for text, want := range map[string]bool{"@room hello": true, "hi @room.": true, "@roomy": false, "a@room.org": false} {
		if got := atRoom.MatchString(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
