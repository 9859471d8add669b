package pagetoken

import (
	"errors"
	"testing"

	"github.com/hearth-community/hearth/engine/platform"
)

func TestRoundTrip(t *testing.T) {
	const p Prefix = "test1:"
	if tok := p.Make(platform.KindChannel, ""); tok != "" {
		t.Errorf("last page: token %q", tok)
	}
	tok := p.Make(platform.KindChannel, "c:42")
	if tok != "test1:Y2hhbm5lbABjOjQy" {
		t.Errorf("token %q changed form: tokens already handed out would be refused", tok)
	}
	if at, err := p.Parse(platform.KindChannel, tok); at != "c:42" || err != nil {
		t.Errorf("Parse = %q, %v", at, err)
	}
	if at, err := p.Parse(platform.KindChannel, ""); at != "" || err != nil {
		t.Errorf("first page: %q, %v", at, err)
	}
	for _, bad := range []string{"other1:Y2hhbm5lbABjOjQy", "test1:!!", "test1:Y2hhbm5lbA"} {
		if _, err := p.Parse(platform.KindChannel, bad); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	if _, err := p.Parse(platform.KindRole, tok); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a channel token read for roles: %v", err)
	}
}
