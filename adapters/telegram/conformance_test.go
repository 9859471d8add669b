package telegram_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/platform/platformtest"
)

const testToken = "123456789:AAtest-secret-token"

func settings(f *telegramfake.Server, extra map[string]cty.Value) map[string]cty.Value {
	s := map[string]cty.Value{
		"token":   cty.StringVal(testToken).Mark(config.Sensitive),
		"api_url": cty.StringVal(f.APIURL()),
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func open(t *testing.T, a *telegram.Adapter, f *telegramfake.Server, extra map[string]cty.Value) *telegram.Conn {
	t.Helper()
	c, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: settings(f, extra)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*telegram.Conn)
}

// The suite runs what Telegram has; channels and roles, which bots
// cannot create there, are skipped with the adapter's ErrUnsupported.
func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Platform {
		f := telegramfake.New(testToken)
		t.Cleanup(f.Close)
		a := telegram.New()
		// The group is made first: the chats setting names it.
		chat := strconv.FormatInt(f.AddChat("Test group"), 10)
		chats := map[string]cty.Value{"chats": cty.ListVal([]cty.Value{cty.StringVal(chat)})}
		return platformtest.Platform{
			Open: func(t *testing.T) platform.Conn {
				c, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: settings(f, chats)})
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return c
			},
			Community: func(*testing.T, platform.Conn) string { return chat },
			AddMember: func(t *testing.T, _ platform.Conn, community, name string) string {
				chat, _ := strconv.ParseInt(community, 10, 64)
				id := f.AddMember(chat, name)
				f.StartBot(id) // so the bot may DM them
				return strconv.FormatInt(id, 10)
			},
			Post: func(t *testing.T, _ platform.Conn, channel, member, text string) string {
				c, _ := strconv.ParseInt(channel, 10, 64)
				m, _ := strconv.ParseInt(member, 10, 64)
				return strconv.Itoa(f.Post(c, m, text))
			},
		}
	})
}
