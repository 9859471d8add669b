// Package setting reads the platform settings the engine's Setting helpers
// do not: lists of strings and durations.
package setting

import (
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/platform"
)

// List reads a list of strings; a missing or null setting is none.
func List(settings map[string]cty.Value, name string) ([]string, error) {
	raw, ok := settings[name]
	if !ok || raw == cty.NilVal {
		return nil, nil
	}
	v, _ := raw.UnmarkDeep()
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsWhollyKnown() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		return nil, fmt.Errorf("%w: setting %s must be a list of strings", platform.ErrInvalid, name)
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, fmt.Errorf("%w: setting %s must be a list of strings", platform.ErrInvalid, name)
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

// Duration reads a duration ("5s", "1m").
func Duration(settings map[string]cty.Value, name string, def time.Duration) (time.Duration, error) {
	s, err := platform.SettingString(settings, name, "")
	if err != nil || s == "" {
		return def, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if d, err = durations.Parse(s); err != nil {
			return def, fmt.Errorf("%w: setting %s: %v", platform.ErrInvalid, name, err)
		}
	}
	if d < 0 {
		return def, fmt.Errorf("%w: setting %s must not be negative", platform.ErrInvalid, name)
	}
	return d, nil
}

// Positive reads a duration that must be more than zero, such as a
// timeout.
func Positive(settings map[string]cty.Value, name string, def time.Duration) (time.Duration, error) {
	d, err := Duration(settings, name, def)
	if err == nil && d == 0 {
		err = fmt.Errorf("%w: setting %s must be a positive duration", platform.ErrInvalid, name)
	}
	return d, err
}

// Equals reports whether the string setting name holds want; unset,
// unknown or not a string is false.
func Equals(settings map[string]cty.Value, name, want string) bool {
	v, ok := settings[name]
	if !ok {
		return false
	}
	v, _ = v.Unmark()
	return v.IsKnown() && !v.IsNull() && v.Type() == cty.String && v.AsString() == want
}
