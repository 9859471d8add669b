// Package local is hearth's built-in platform: a persistent emulation of a
// chat platform kept in a local file, so plan, apply and run work on a
// fresh machine with no account anywhere.
package local

import "github.com/hearth-community/hearth/engine/config"

// Type is the platform type name used in `platform "local" "NAME"`.
const Type = "local"

// Spec describes the settings of a local platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Type: Type,
		Doc:  "The built-in platform: channels, roles, members, role assignments, messages and direct messages kept in a local JSON file. Needs no account; use it to try hearth and in tests.",
		Example: `platform "local" "main" {
  path = ".hearth/local-platform.json"
}`,
		Attrs: []config.Attr{
			{Name: "path", Kind: config.KindSetting, Doc: "File holding the emulated platform, relative to the configuration directory.", Default: ".hearth/local-platform.json"},
			{Name: "workspace", Kind: config.KindString, Doc: "Name of the emulated workspace or server.", Default: "the platform block's name"},
		},
	}
}
