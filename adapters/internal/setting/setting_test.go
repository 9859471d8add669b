package setting

import (
	"errors"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/platform"
)

// Durations in settings are read the way the loader checked them: Go's
// notation and hearth's days and weeks alike, so a value that validates
// never fails when the platform opens.
func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"150ms": 150 * time.Millisecond, "1m30s": 90 * time.Second, "2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour} {
		got, err := Positive(map[string]cty.Value{"timeout": cty.StringVal(in)}, "timeout", time.Second)
		if err != nil || got != want {
			t.Errorf("Positive(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := Positive(map[string]cty.Value{}, "timeout", 7*time.Second); err != nil || got != 7*time.Second {
		t.Errorf("unset: %v, %v; want the default", got, err)
	}
	for _, in := range []string{"0s", "-5s", "soon", "5 seconds"} {
		if _, err := Positive(map[string]cty.Value{"timeout": cty.StringVal(in)}, "timeout", time.Second); !errors.Is(err, platform.ErrInvalid) {
			t.Errorf("Positive(%q) error %v; want ErrInvalid", in, err)
		}
	}
	if _, err := Duration(map[string]cty.Value{"wait": cty.StringVal("0s")}, "wait", time.Second); err != nil {
		t.Errorf("Duration allows zero: %v", err)
	}
}
