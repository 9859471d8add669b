package discord_test

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/engine/platform"
)

// A template quotes what members wrote ("Welcome, ${member.name}!"): a
// member named "@everyone" or "<@&ROLE>" must not ping the whole server
// or a role through the bot, unless the block allows it.
func TestMemberTextPingsNoCrowd(t *testing.T) {
	f, c, g := setup(t)
	ch := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "general"})
	text := "Welcome, @everyone <@&1234567890123> @here!"
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: g, Channel: ch.ID, Text: text}); err != nil {
		t.Fatal(err)
	}
	ms := f.Messages(ch.ID)
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	if ms[0].MentionEveryone || len(ms[0].MentionRoles) > 0 {
		t.Errorf("the message pinged everyone=%v roles=%v", ms[0].MentionEveryone, ms[0].MentionRoles)
	}
	// hearth template render shows the text as sent, and says why the
	// crowd mentions in it notify no one.
	for _, tc := range []struct {
		settings map[string]cty.Value
		text     string
		note     bool
	}{{nil, text, true}, {nil, "Welcome, <@123>!", false}, {map[string]cty.Value{"mass_mentions": cty.True}, text, false}} {
		res, err := discord.New().Shape(platform.ShapeRequest{Action: platform.ActionChannelMessage, Settings: tc.settings, Text: tc.text})
		if err != nil || res.Text != tc.text || (res.Note != "") != tc.note {
			t.Errorf("Shape(%q, %v) = %q, note %q, %v; want the text as it is, a note: %v", tc.text, tc.settings, res.Text, res.Note, err, tc.note)
		}
	}

	loud := openConn(t, discord.New(), f, map[string]cty.Value{"mass_mentions": cty.True})
	if _, err := loud.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k2", Community: g, Channel: ch.ID, Text: text}); err != nil {
		t.Fatal(err)
	}
	ms = f.Messages(ch.ID)
	if m := ms[len(ms)-1]; !m.MentionEveryone || len(m.MentionRoles) != 1 {
		t.Errorf("with mass_mentions = true: everyone=%v roles=%v", m.MentionEveryone, m.MentionRoles)
	}
}
