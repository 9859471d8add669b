package platform

import (
	"fmt"

	"github.com/hearth-community/hearth/engine/config"
)

// EmptySettingError is an adapter's refusal to open a block whose
// required setting is empty: most often a token written from a
// sensitive variable nobody set (the examples' default is ""). It is
// ErrInvalid, and keeps the text adapters always gave ("setting token
// is empty; give ..."); plan, apply and drift turn it into a diagnostic
// on the setting that names the variable to set.
type EmptySettingError struct {
	// Setting is the block's setting, such as "token".
	Setting string
	// Want says what it must hold, such as "the bot's token
	// (Developer Portal, Bot, Reset Token)".
	Want string
}

// EmptySetting is the error for a credential setting (Attr.Secret) left
// empty; want says what it must hold.
func EmptySetting(setting, want string) error {
	return &EmptySettingError{Setting: setting, Want: want}
}

func (e *EmptySettingError) Error() string {
	return fmt.Sprintf("setting %s is empty; give %s", e.Setting, e.Want)
}

// Is makes the error ErrInvalid.
func (e *EmptySettingError) Is(target error) bool { return target == ErrInvalid }

// Permanent: an empty setting stays empty until the configuration or
// the environment changes.
func (e *EmptySettingError) Permanent() bool { return true }

// Hint is a diagnostic's summary and detail about the empty setting
// of block p: set the variable it is written from (by its HEARTH_VAR_
// name), or give the setting a value. It never holds a secret's value,
// which is empty anyway.
func (e *EmptySettingError) Hint(p *config.Platform) (summary, detail string) {
	summary = fmt.Sprintf("Empty %s for %s", e.Setting, p.Addr())
	if v := p.SecretVars[e.Setting]; v != "" {
		return summary, fmt.Sprintf("The setting %s is written from the variable %q, which is empty: set %s%s (or give %s in a -var-file) to %s.", e.Setting, v, config.EnvVarPrefix, v, v, e.Want)
	}
	return summary, fmt.Sprintf("The setting %s is empty: give it %s, from a sensitive variable (set as %sNAME), not written in the file.", e.Setting, e.Want, config.EnvVarPrefix)
}
