package discord_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/engine/platform"
)

// A direct message to a member who closed their DMs to the server's
// members (403, code 50007) is ErrMemberUnreachable: the outbox skips
// it with the reason instead of keeping a dead letter nothing can fix.
// Discord answers so only when the message is posted, after the DM
// channel is made; a proxy in front of the fake answers it there.
func TestClosedDMsAreUnreachable(t *testing.T) {
	f := discordfake.New(testToken)
	t.Cleanup(f.Close)
	target, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	fake := httputil.NewSingleHostReverseProxy(target)
	var closed string // the member whose DMs the proxy closes
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v10/channels/") && strings.HasSuffix(r.URL.Path, "/messages") {
			ch := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v10/channels/"), "/messages")
			if dm := f.DMChannel(closed); dm != "" && ch == dm {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"message": "Cannot send messages to this user", "code": 50007}`))
				return
			}
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	g := f.AddGuild("Explorers")
	closed = f.AddMember(g, "ann")
	open := f.AddMember(g, "bob")
	c := openConn(t, discord.New(), f, map[string]cty.Value{"api_url": cty.StringVal(proxy.URL + "/api/v10")})

	_, err = c.Perform(bg, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm1", Community: g, Member: closed, Text: "You are warned"})
	if !errors.Is(err, platform.ErrMemberUnreachable) || !strings.Contains(err.Error(), "code 50007") {
		t.Errorf("a DM to a member with closed DMs: %v; want ErrMemberUnreachable with Discord's code", err)
	}
	if !platform.IsPermanent(err) {
		t.Errorf("unreachable is retried: %v", err)
	}
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm2", Community: g, Member: open, Text: "Welcome"}); err != nil {
		t.Errorf("a DM to a member with open DMs: %v", err)
	}
}
