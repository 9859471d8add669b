package simulate

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// A tier with no keep follows its when both ways, which may be the
// design (privileges recomputed from reputation, as in the stackexchange
// example): the hint says when that is expected, and what to add if not.
func TestFlapHintNoKeepMayBeIntended(t *testing.T) {
	cfg := &config.Config{Tiers: []*config.Tier{{Name: "vote_up"}}}
	hint := flapHint(cfg, "vote_up")
	for _, want := range []string{"With no keep", "that is expected", "add hysteresis"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q lacks %q", hint, want)
		}
	}
}
