package simulate

import (
	"reflect"
	"testing"
)

// Events whose timezone the runtime drops are counted by type and value,
// with the zone each looks like; valid zones, other types and other
// attributes are not.
func TestBadTimezonesCounted(t *testing.T) {
	var z BadTimezones
	for _, e := range []struct {
		typ   string
		attrs map[string]any
	}{
		{"member.joined", map[string]any{"timezone": "Mars/Olympus"}},
		{"member.joined", map[string]any{"timezone": "Mars/Olympus"}},
		{"member.profile_updated", map[string]any{"timezone": "Europe/Berln"}},
		{"member.joined", map[string]any{"timezone": "Europe/Berlin"}},
		{"member.joined", map[string]any{"timezone": ""}},
		{"message.posted", map[string]any{"timezone": "Mars/Olympus"}},
		{"member.joined", map[string]any{"locale": "klingon"}},
	} {
		z.see(e.typ, e.attrs)
	}
	want := []BadTimezone{
		{Type: "member.joined", Value: "Mars/Olympus", Events: 2},
		{Type: "member.profile_updated", Value: "Europe/Berln", Suggestion: "Europe/Berlin", Events: 1},
	}
	if got := z.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
