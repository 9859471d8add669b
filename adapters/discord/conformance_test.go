package discord_test

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const testToken = "test-bot-token"

// settings are a platform block pointing at a fake, with the token
// marked sensitive as a sensitive variable would give it.
func settings(f *discordfake.Server, extra map[string]cty.Value) map[string]cty.Value {
	s := map[string]cty.Value{
		"token":   cty.StringVal(testToken).Mark(config.Sensitive),
		"api_url": cty.StringVal(f.APIURL()),
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func openConn(t *testing.T, a *discord.Adapter, f *discordfake.Server, extra map[string]cty.Value) *discord.Conn {
	t.Helper()
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: settings(f, extra)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*discord.Conn)
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := discordfake.New(testToken)
		t.Cleanup(f.Close)
		a := discord.New()
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				c, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: settings(f, nil)})
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return c
			},
			PageSize:   100,
			Concurrent: true,
			// The server keeps what was done; keys live in the adapter's
			// Conns and, for messages, in Discord's nonces.
			Persistent: true,
			Community: func(t *testing.T, _ platform.Conn) string {
				return f.AddGuild("Test server")
			},
			AddMember: func(t *testing.T, _ platform.Conn, community, name string) string {
				return f.AddMember(community, name)
			},
			Post: func(t *testing.T, _ platform.Conn, channel, member, text string) string {
				return f.Post(channel, member, text)
			},
		}
	})
}
