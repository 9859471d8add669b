// Package local is hearth's built-in platform: a persistent emulation of a
// chat platform kept in a local file, so plan, apply and run work on a
// fresh machine with no account anywhere.
//
// The platform is one JSON file (the `path` setting, by default
// .hearth/local-platform.json in the configuration directory) holding a
// workspace with communities, channels, roles, members and their
// memberships, role assignments, messages and pins, direct messages,
// bans and mutes, the idempotency keys of performed actions, and the log
// of events members caused. The File type is its documented shape.
//
// It behaves like a real platform where that matters to hearth:
//
//   - Several processes share it. Every call takes a flock(2) lock on
//     PATH.lock, reads the file, and a change rewrites it atomically
//     (temporary file, fsync, rename), so a crash leaves the old or the
//     new platform, never a mix, and concurrent writers never lose
//     updates.
//   - Ids are issued per kind from counters and never reused: co-1,
//     ch-1, ro-1, mb-1, msg-1, dm-1. A role assignment's id is
//     "MEMBER:ROLE".
//   - Channel and role names may repeat, as on Discord; community names
//     are unique in the workspace.
//   - Read pages by keyset (DefaultPageSize, 50), in position order for
//     channels and roles. Deleting or updating what does not exist is
//     platform.ErrNotFound. Deletes cascade.
//   - Limits are Discord's: names of 100 characters, topics of 1024,
//     messages of 2000, 50 pins per channel, mutes of at most 28 days,
//     a fixed list of permissions (Permissions).
//   - Perform records each idempotency key with the action's effect in
//     one write, so an action is done at most once per key, across
//     processes and restarts.
//   - Opened read-only (platform.OpenRequest.ReadOnly, as hearth plan,
//     drift and local show open it) it writes nothing: a missing file
//     reads as an empty platform, and the first apply creates it.
//   - Members act through Join, Leave, Post, React, Pin and WriteToApp,
//     which record events; Stream delivers them with stable ids
//     ("WORKSPACE.ev-N") and resumable cursors.
//
// Adapter's fields add what tests need: a page size, a rate limit that
// answers platform.RateLimitError, a clock, and a fault hook.
package local

import (
	"slices"

	"github.com/hearth-community/hearth/engine/config"
)

// Type is the platform type name used in `platform "local" "NAME"`.
const Type = "local"

// Spec describes the settings of a local platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		Moderation: config.ModerationLimits{
			Mute: config.DurationLimit{Max: MaxMute, Why: "local mutes last at most 28 days, as Discord's timeouts; for longer, ban"},
		},
		Type: Type,
		Doc:  "The built-in platform: channels, roles, members, role assignments, messages and direct messages kept in a local JSON file. Needs no account; use it to try hearth and in tests. It can move a member from one of its communities into another, as hearth run does to fill a capacity family's sub-communities.",
		Example: `platform "local" "main" {
  path = ".hearth/local-platform.json"
}`,
		// Members can be moved between communities, as hearth run does
		// to fill a capacity family's sub-communities in order.
		MovesMembers: true,
		// Any name in any script, within the file's length limit.
		ChannelNames: &config.ChannelNames{Max: MaxNameLen},
		Permissions:  slices.Clone(Permissions),
		Attrs: []config.Attr{
			{Name: "path", Kind: config.KindSetting, Doc: "File holding the emulated platform, relative to the configuration directory. hearth apply (or hearth run) creates it; a plan reads a missing one as an empty platform and writes nothing.", Default: ".hearth/local-platform.json"},
			{Name: "workspace", Kind: config.KindString, Doc: "Name of the emulated workspace or server.", Default: "the platform block's name"},
		},
	}
}
