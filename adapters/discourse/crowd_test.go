package discourse

import (
	"reflect"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// validate's crowd mentions: @here and @all, not an address or @hereford.
func TestCrowdMentions(t *testing.T) {
	got := crowdMentions("@here look, mail a@here.org, @hereford, (@ALL)")
	want := []config.Found{{Text: "@here", Start: 0}, {Text: "@ALL", Start: 41}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
