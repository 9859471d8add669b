package platform_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// An empty credential setting is ErrInvalid and permanent, keeps the
// text adapters gave, and its hint names the variable the setting is
// written from, or says to write it from one.
func TestEmptySetting(t *testing.T) {
	err := fmt.Errorf("platform.discord.main: %w", platform.EmptySetting("token", "the bot's token"))
	if class, _ := platform.Classify(err); !errors.Is(err, platform.ErrInvalid) || class != platform.ClassPermanent {
		t.Errorf("%v: ErrInvalid %v, class %v; want an ErrInvalid, permanent", err, errors.Is(err, platform.ErrInvalid), class)
	}
	if !strings.HasSuffix(err.Error(), "setting token is empty; give the bot's token") {
		t.Errorf("text %q", err)
	}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"token": "discord_token"}, `The setting token is written from the variable "discord_token", which is empty: set HEARTH_VAR_discord_token (or give discord_token in a -var-file) to the bot's token.`},
		{nil, "The setting token is empty: give it the bot's token, from a sensitive variable (set as HEARTH_VAR_NAME), not written in the file."},
	} {
		p := &config.Platform{Type: "discord", Name: "main", SecretVars: tc.vars}
		var e *platform.EmptySettingError
		if !errors.As(err, &e) {
			t.Fatalf("%v is no EmptySettingError", err)
		}
		summary, detail := e.Hint(p)
		if summary != "Empty token for platform.discord.main" || detail != tc.want {
			t.Errorf("Hint: %q, %q; want %q", summary, detail, tc.want)
		}
		if h := platform.ConnHint(p, err); h != tc.want {
			t.Errorf("ConnHint: %q; want %q", h, tc.want)
		}
	}
}
