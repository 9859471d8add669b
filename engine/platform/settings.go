package platform

import (
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// The Setting helpers read one platform setting for an adapter's Open.
// They accept a missing or null setting (the default applies), take the
// value out of its sensitive mark, and keep a sensitive value out of
// their error messages, since those end up in logs and terminals.

// SettingString reads a string setting.
func SettingString(settings map[string]cty.Value, name, def string) (string, error) {
	v, ok, err := setting(settings, name, cty.String)
	if err != nil || !ok {
		return def, err
	}
	return v.AsString(), nil
}

// SettingInt reads a whole-number setting.
func SettingInt(settings map[string]cty.Value, name string, def int) (int, error) {
	v, ok, err := setting(settings, name, cty.Number)
	if err != nil || !ok {
		return def, err
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return def, fmt.Errorf("%w: setting %s must be a whole number", ErrInvalid, name)
	}
	n, acc := bf.Int64()
	if acc != big.Exact || n != int64(int(n)) {
		return def, fmt.Errorf("%w: setting %s is out of range", ErrInvalid, name)
	}
	return int(n), nil
}

// SettingBool reads a bool setting.
func SettingBool(settings map[string]cty.Value, name string, def bool) (bool, error) {
	v, ok, err := setting(settings, name, cty.Bool)
	if err != nil || !ok {
		return def, err
	}
	return v.True(), nil
}

func setting(settings map[string]cty.Value, name string, want cty.Type) (cty.Value, bool, error) {
	raw, ok := settings[name]
	if !ok || raw == cty.NilVal {
		return cty.NilVal, false, nil
	}
	v, marks := raw.UnmarkDeep()
	sensitive := len(marks) > 0
	if v.IsNull() {
		return cty.NilVal, false, nil
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, false, fmt.Errorf("%w: setting %s is not known yet", ErrInvalid, name)
	}
	c, err := convert.Convert(v, want)
	if err != nil {
		if sensitive {
			return cty.NilVal, false, fmt.Errorf("%w: setting %s (sensitive) must be a %s", ErrInvalid, name, want.FriendlyName())
		}
		return cty.NilVal, false, fmt.Errorf("%w: setting %s must be a %s: %v", ErrInvalid, name, want.FriendlyName(), err)
	}
	if c.IsNull() {
		return cty.NilVal, false, nil
	}
	return c, true, nil
}
