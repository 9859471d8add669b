package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Desired is one object the configuration asks for.
type Desired struct {
	Address string
	Kind    platform.Kind
	// Platform is the platform block's address, platform.local.main.
	Platform string
	// Community is the address of the community the object is in; empty
	// for communities.
	Community string
	// Channel is, for a pin, the address of its channel; the pin's
	// "channel" attribute is that channel's platform id, known from state
	// or only once the channel is created.
	Channel string
	// Attrs are canonical (platform.Canonical), without the pin's channel.
	Attrs platform.Attrs
	// Ignore are platform attribute keys whose changes plan ignores
	// (lifecycle ignore_changes, in platform names).
	Ignore []string
	// Dropped are platform attribute keys the platform leaves alone
	// (config.Platform.Unheld: a Slack channel's position), left out of
	// Attrs and of the live object's attributes, so a plan neither shows
	// them nor diffs them, whatever state last recorded.
	Dropped []string
	// Adopt says that creating the object takes one the platform
	// already has (config.Platform.Adopts: a Slack workspace), which the
	// plan shows as an adoption.
	Adopt          bool
	PreventDestroy bool
}

// PinAddress is the address of a channel's pinned house rules.
func PinAddress(channel string) string { return channel + ".pin.house_rules" }

// DesiredObjects lists what cfg asks for, in dependency order: each
// community, then its channels, its roles and the pins in its channels.
// Values are canonicalized, so "#F1C40F" in a file and "#f1c40f" on the
// platform are no change.
func DesiredObjects(cfg *config.Config) ([]Desired, error) {
	var out []Desired
	for _, c := range cfg.Communities {
		if c.Platform == nil {
			return nil, fmt.Errorf("community.%s has no platform; set platform = platform.TYPE.NAME", c.Name)
		}
		caddr := "community." + c.Name
		paddr := c.Platform.Addr()
		add := func(d Desired) error {
			d.Platform = paddr
			d.Adopt = slices.Contains(c.Platform.Adopts, string(d.Kind))
			if d.Dropped = droppedAttrs(c.Platform, d.Kind); len(d.Dropped) > 0 {
				d.Attrs = d.Attrs.Clone()
				for _, k := range d.Dropped {
					delete(d.Attrs, k)
				}
			}
			for k := range d.Attrs {
				// A channel's or role's name is its title in the files, a
				// community's description its purpose: a pattern may say
				// either.
				titled := k == "name" && (d.Kind == platform.KindChannel || d.Kind == platform.KindRole)
				named := ConfigName(d.Kind, k)
				if ignored(cfg.Settings.IgnoreChanges, d.Address+"."+k) || titled && ignored(cfg.Settings.IgnoreChanges, d.Address+".title") ||
					named != k && ignored(cfg.Settings.IgnoreChanges, d.Address+"."+named) {
					d.Ignore = append(d.Ignore, k)
				}
			}
			attrs, err := canonical(d.Address, d.Kind, d.Attrs)
			if err != nil {
				return err
			}
			d.Attrs = attrs
			out = append(out, d)
			return nil
		}
		if err := add(Desired{Address: caddr, Kind: platform.KindCommunity, PreventDestroy: c.Lifecycle.PreventDestroy,
			Attrs: platform.Attrs{"name": c.Name, "title": c.Title, "description": c.Purpose}}); err != nil {
			return nil, err
		}
		var pins []Desired
		for _, ch := range c.Channels {
			addr := caddr + ".channel." + ch.Name
			if err := add(Desired{Address: addr, Kind: platform.KindChannel, Community: caddr,
				Ignore: titleIsName(ch.Lifecycle.IgnoreChanges), PreventDestroy: ch.Lifecycle.PreventDestroy,
				Attrs: platform.Attrs{
					"name": ch.Title, "topic": ch.Topic, "purpose": ch.Purpose, "color": ch.Color, "position": platform.FormatIntValue(ch.Position),
					"category": ch.Category, "private": platform.FormatBoolValue(ch.Private),
				}}); err != nil {
				return nil, err
			}
			// A pin needs text; house rules left empty pin nothing rather
			// than an empty message the platform would refuse.
			if ch.PinHouseRules && strings.TrimSpace(c.HouseRules) != "" {
				pins = append(pins, Desired{Address: PinAddress(addr), Kind: platform.KindPin, Community: caddr, Channel: addr,
					Attrs: platform.Attrs{"text": c.HouseRules}})
			}
		}
		for _, r := range c.Roles {
			perms, err := platform.FormatListValue(r.Permissions)
			if err != nil {
				return nil, fmt.Errorf("%s: permissions: %w", r.Addr(), err)
			}
			if err := add(Desired{Address: r.Addr(), Kind: platform.KindRole, Community: caddr,
				Ignore: titleIsName(r.Lifecycle.IgnoreChanges), PreventDestroy: r.Lifecycle.PreventDestroy,
				Attrs: platform.Attrs{
					"name": r.Title, "color": r.Color, "permissions": perms,
					"hoist": platform.FormatBoolValue(r.Hoist), "mentionable": platform.FormatBoolValue(r.Mentionable),
					"position": platform.FormatIntValue(r.Position),
				}}); err != nil {
				return nil, err
			}
		}
		for _, p := range pins {
			if err := add(p); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// droppedAttrs are the attribute keys of kind that platform p leaves
// alone or cannot hold (config.Platform.Unheld: "role.hoist" on Slack).
func droppedAttrs(p *config.Platform, k platform.Kind) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, key := range p.Unheld {
		block, attr, _ := strings.Cut(key, ".")
		if block != string(k) {
			continue
		}
		// The name stays: creating a channel or role needs one
		// (platform.CheckApply), even where the platform shows another
		// (a Telegram group's channel is named by the group's title).
		if attr != "title" {
			out = append(out, attr)
		}
	}
	return out
}

// withoutDropped is attrs without the keys the platform named by
// platformAddr leaves alone for kind k: what a plan shows of a live or
// recorded object there, as it leaves them out of the configured one.
func withoutDropped(cfg *config.Config, platformAddr string, k platform.Kind, attrs platform.Attrs) platform.Attrs {
	if attrs == nil {
		return nil
	}
	for _, p := range cfg.Platforms {
		if p.Addr() != platformAddr {
			continue
		}
		dropped := droppedAttrs(p, k)
		if !slices.ContainsFunc(dropped, func(key string) bool { _, ok := attrs[key]; return ok }) {
			return attrs
		}
		attrs = attrs.Clone()
		for _, key := range dropped {
			delete(attrs, key)
		}
	}
	return attrs
}

// titleIsName is a channel's or role's ignore_changes in platform
// attribute names: the configuration calls the shown name "title", the
// platform "name".
func titleIsName(ignore []string) []string {
	out := slices.Clone(ignore)
	for i, k := range out {
		if k == "title" {
			out[i] = "name"
		}
	}
	return out
}

func canonical(addr string, k platform.Kind, attrs platform.Attrs) (platform.Attrs, error) {
	spec, ok := platform.SpecOf(k)
	if !ok {
		return nil, fmt.Errorf("%s: unknown kind %q", addr, k)
	}
	out := make(platform.Attrs, len(attrs))
	for key, v := range attrs {
		a, ok := spec.Attr(key)
		if !ok {
			return nil, fmt.Errorf("%s: a %s has no attribute %q", addr, k, key)
		}
		c, err := platform.Canonical(a.Format, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", addr, key, err)
		}
		out[key] = c
	}
	return out, nil
}

// canonicalLive is o with its attributes in canonical form, as the
// configured ones are, so a value the platform spells another way
// ("#F1C40F" for "#f1c40f") is not a change or drift. Adapters should
// answer canonically already; one that does not (the local platform's
// file edited by hand) must not make a plan that never settles. A value
// that is not of its format is kept as it is: the diff shows it.
func canonicalLive(o platform.Object) platform.Object {
	spec, ok := platform.SpecOf(o.Kind)
	if !ok || len(o.Attrs) == 0 {
		return o
	}
	attrs := make(platform.Attrs, len(o.Attrs))
	for key, v := range o.Attrs {
		if a, ok := spec.Attr(key); ok {
			if c, err := platform.Canonical(a.Format, v); err == nil {
				v = c
			}
		}
		attrs[key] = v
	}
	o.Attrs = attrs
	return o
}

// ignored reports whether the hearth block's ignore_changes covers
// "ADDRESS.ATTRIBUTE".
func ignored(patterns []string, key string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, key); ok {
			return true
		}
	}
	return false
}
