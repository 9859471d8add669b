package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// checkPlatformBlocks checks the settings of platform blocks that name a
// block of the configuration (PlatformSpec.CommunitySetting and
// ChannelSetting) once every community knows its platform: a name that
// matches nothing would otherwise pass validate and plan, and fail at
// apply (the community cannot be created) or at every send.
func (l *loader) checkPlatformBlocks() {
	for _, p := range l.cfg.Platforms {
		spec := l.opts.Platforms[p.Type]
		if spec.CommunitySetting != "" {
			l.checkHeldCommunity(p, spec.CommunitySetting)
		}
		if spec.ChannelSetting != "" {
			l.checkBotChannel(p, spec.ChannelSetting)
		}
	}
}

// settingText is a platform setting's text and whether it is written
// with a known value (a variable with no value reads as unknown).
func settingText(p *Platform, name string) (string, bool) {
	v, ok := p.Settings[name]
	if !ok || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	v, _ = v.Unmark()
	if v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// checkHeldCommunity refuses a community setting that names none of the
// communities on p, and communities on p other than the one it names:
// the platform holds one community, which apply adopts for the block the
// setting names, and creating any other fails. A block no community is
// on yet (its example alone, a configuration being written) creates
// nothing, so it is left alone.
func (l *loader) checkHeldCommunity(p *Platform, setting string) {
	name, written := settingText(p, setting)
	if _, ok := p.SettingRanges[setting]; ok && !written {
		return // a value not known here: nothing to check it against
	}
	if !written {
		name = p.Name
	}
	var on []string // the names of the communities on p
	var named *Community
	for _, c := range l.cfg.Communities {
		if c.Platform == p {
			on = append(on, c.Name)
		}
		if c.Name == name {
			named = c
		}
	}
	if len(on) == 0 {
		return
	}
	holds := fmt.Sprintf("%s holds one community, the community block its %s setting names", p.Addr(), setting)
	rng := p.SettingRanges[setting]
	switch {
	case slices.Contains(on, name):
	case !written:
		// No setting: the block's name is the default, which the
		// writer may not know about. The community block is elsewhere,
		// so the error goes on the platform block, with the line to add.
		fix := fmt.Sprintf(" Community %q is on this block: add %s = %q to it.", on[0], setting, on[0])
		if len(on) > 1 {
			fix = fmt.Sprintf(" Communities %s are on this block: add %s = \"NAME\" naming one, and give the others platform blocks of their own.", strings.Join(quoted(on), ", "), setting)
		}
		l.errorf(&p.DeclRange, "Community not held by its platform", "%s (unset, the block's name, %q), and no community %q is on it, so apply could not create the community.%s",
			holds, name, name, fix)
		return
	case named != nil && named.Platform != nil:
		l.errorf(&rng, "Community on another platform", "%s, and community %q is on %s (%s), not on this block.%s",
			holds, name, named.Platform.Addr(), at(named.DeclRange), didYouMeanOn(name, on, setting))
		return
	default:
		hint := suggest(name, on)
		if hint == "" {
			hint = didYouMeanOn(name, on, setting)
		}
		l.errorf(&rng, "Unknown community", "%s, and there is no community %q, so apply could not create the community on it.%s",
			holds, name, hint)
		return
	}
	for _, c := range l.cfg.Communities {
		if c.Platform != p || c.Name == name {
			continue
		}
		l.errorf(&c.DeclRange, "Second community on a one-community platform", "%s, %q, so community %q cannot be on it too: apply could not create it. Give community %q a platform block of its own.",
			holds, name, c.Name, c.Name)
	}
}

// didYouMeanOn names the communities on a block, for a community setting
// naming another.
func didYouMeanOn(name string, on []string, setting string) string {
	if len(on) == 1 {
		return fmt.Sprintf(" Community %q is on this block: write %s = %q.", on[0], setting, on[0])
	}
	return fmt.Sprintf(" The communities on this block are %s.", strings.Join(quoted(on), ", "))
}

// checkBotChannel refuses a channel setting naming no channel block: the
// block would refuse every channel message, the ones to the channel
// meant included. The channels of the communities on p are the ones it
// can post for; without any there, any community's.
func (l *loader) checkBotChannel(p *Platform, setting string) {
	name, written := settingText(p, setting)
	if !written || name == "" {
		return // empty: every channel message goes to the group
	}
	var on, all []string
	titled := "" // the block name of a channel titled name
	for _, c := range l.cfg.Communities {
		if l.broken["community."+c.Name+".channel."+name] {
			return // a channel block of that name with an invalid name, reported there
		}
		for _, ch := range c.Channels {
			all = append(all, ch.Name)
			if c.Platform == p {
				on = append(on, ch.Name)
				if ch.Title == name && titled == "" {
					titled = ch.Name
				}
			}
		}
	}
	names := on
	if len(names) == 0 {
		names = all
	}
	if len(names) == 0 || slices.Contains(names, name) {
		return // no channel blocks yet (the block's example alone)
	}
	hint := suggest(name, names)
	if titled != "" {
		hint = fmt.Sprintf(" %q is the title of channel %q: the setting names the block (%s = %q).", name, titled, setting, titled)
	}
	if hint == "" {
		hint = fmt.Sprintf(" The channels are %s.", quoteList(slices.Compact(slices.Sorted(slices.Values(names)))))
	}
	where := "no community on this block"
	if len(on) == 0 {
		where = "no community"
	}
	rng := p.SettingRanges[setting]
	l.errorf(&rng, "Unknown channel", "%s posts only the messages of the channel its %s setting names, and %s has a channel %q, so it would refuse every channel message.%s",
		p.Addr(), setting, where, name, hint)
}

// quoted is each name in quotes.
func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}
