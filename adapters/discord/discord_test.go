package discord_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/engine/platform"
)

var bg = context.Background()

func setup(t *testing.T) (*discordfake.Server, *discord.Conn, string) {
	t.Helper()
	f := discordfake.New(testToken)
	t.Cleanup(f.Close)
	c := openConn(t, discord.New(), f, nil)
	return f, c, f.AddGuild("Explorers")
}

func create(t *testing.T, c *discord.Conn, k platform.Kind, guild string, attrs platform.Attrs) platform.Object {
	t.Helper()
	resp, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: k, Community: guild, Attrs: attrs})
	if err != nil {
		t.Fatalf("create %s: %v", k, err)
	}
	return resp.Object
}

func TestOpenRefusesABadToken(t *testing.T) {
	f := discordfake.New(testToken)
	defer f.Close()
	_, err := discord.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token": cty.StringVal("wrong-secret-token"), "api_url": cty.StringVal(f.APIURL()),
	}})
	if err == nil || !platform.IsPermanent(err) {
		t.Fatalf("open with a bad token: %v; want a permanent error", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-token") {
		t.Errorf("the error shows the token: %v", err)
	}
	// Discord's "401: Unauthorized" is said once, with what to do.
	if msg := err.Error(); !strings.Contains(msg, "401 Unauthorized (code 0); Discord refuses the bot token") || strings.Contains(msg, "401 401") {
		t.Errorf("open with a bad token: %v; want Discord's answer once and a hint", err)
	}
	_, err = discord.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{"api_url": cty.StringVal(f.APIURL())}})
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("open without a token: %v; want ErrInvalid", err)
	}
}

// A request that fails before an answer names the address it went to,
// api_url's, not the one discordgo built it on.
func TestUnreachableNamesAPIURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: the connection is refused
	_, err = discord.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token": cty.StringVal(testToken), "api_url": cty.StringVal("http://" + addr + "/api/v10"),
	}})
	if err == nil {
		t.Fatal("open against a closed port succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "http://"+addr+"/api/v10/users/@me") || strings.Contains(msg, "discord.com") {
		t.Errorf("open against a closed port: %v; want the error to name http://%s/api/v10/users/@me", err, addr)
	}
}

// A 429 on a route comes back as a RateLimitError with Discord's
// retry_after, and a retry with the same key sends the message once.
func TestRouteRateLimit(t *testing.T) {
	f, c, g := setup(t)
	ch := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "general"})
	f.RateLimitNext("POST /channels/", 2.5, false)
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: g, Channel: ch.ID, Text: "hello"}
	_, err := c.Perform(bg, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("after a 429: %v; want a RateLimitError", err)
	}
	if rl.After != 2500*time.Millisecond || rl.Global {
		t.Errorf("rate limit %+v; want 2.5s on the route", rl)
	}
	if cl, d := platform.Classify(err); cl != platform.ClassTemporary || d != 2500*time.Millisecond {
		t.Errorf("classified %v after %s; want temporary after 2.5s", cl, d)
	}
	if n := len(f.Messages(ch.ID)); n != 0 {
		t.Fatalf("%d messages after a 429", n)
	}
	// The bucket is spent until Discord's reset: an early retry is
	// answered without calling.
	n := len(f.Requests())
	if _, err := c.Perform(bg, req); !errors.As(err, &rl) || rl.After > 2500*time.Millisecond {
		t.Fatalf("an early retry: %v; want a RateLimitError", err)
	}
	for _, r := range f.Requests()[n:] {
		if strings.HasPrefix(r, "POST ") {
			t.Errorf("an early retry was sent: %s", r)
		}
	}

	// A short limit is waited out in place (below max_wait); the
	// message is then sent once.
	ch2 := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "help"})
	f.RateLimitNext("POST /channels/", 0.02, false)
	req.Key, req.Channel = "k2", ch2.ID
	if _, err := c.Perform(bg, req); !errors.As(err, &rl) {
		t.Fatalf("after a 429: %v", err)
	}
	resp, err := c.Perform(bg, req)
	if err != nil || resp.Duplicate {
		t.Fatalf("retry: %+v, %v", resp, err)
	}
	again, err := c.Perform(bg, req)
	if err != nil || !again.Duplicate || again.ID != resp.ID {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	if n := len(f.Messages(ch2.ID)); n != 1 {
		t.Errorf("%d messages; want 1", n)
	}
}

func TestGlobalRateLimit(t *testing.T) {
	f, c, g := setup(t)
	f.RateLimitNext("GET /guilds/", 7, true)
	_, err := c.Read(bg, platform.ReadRequest{Kind: platform.KindChannel, Community: g})
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || !rl.Global || rl.After != 7*time.Second {
		t.Fatalf("after a global 429: %v (%+v); want a global RateLimitError of 7s", err, rl)
	}
	if !strings.Contains(err.Error(), "globally rate limited") {
		t.Errorf("message %q does not say the limit is global", err)
	}
}

// A bucket Discord said is spent for longer than max_wait is not
// called: the wait goes back to the caller.
func TestSpentBucketIsNotCalled(t *testing.T) {
	f := discordfake.New(testToken)
	defer f.Close()
	c := openConn(t, discord.New(), f, map[string]cty.Value{"max_wait": cty.StringVal("1s")})
	g := f.AddGuild("Explorers")
	ch := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "general"})
	f.SetBucketLimit(1, time.Hour)
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "a", Community: g, Channel: ch.ID, Text: "one"}); err != nil {
		t.Fatal(err)
	}
	n := len(f.Requests())
	_, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "b", Community: g, Channel: ch.ID, Text: "two"})
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After < 59*time.Minute {
		t.Fatalf("second message in a spent bucket: %v; want a RateLimitError of about an hour", err)
	}
	for _, r := range f.Requests()[n:] {
		if strings.HasPrefix(r, "POST ") {
			t.Errorf("the spent bucket was called: %s", r)
		}
	}
}

// Members come in pages of at most 1000 with after=, past the first
// thousand.
func TestMembersPaging(t *testing.T) {
	f, c, g := setup(t)
	const n = 2345
	want := map[string]bool{}
	for i := range n {
		want[f.AddMember(g, fmt.Sprintf("Member %d", i))] = true
	}
	all, err := platform.ReadAll(bg, c, platform.ReadRequest{Kind: platform.KindMember, Community: g})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, o := range all {
		got[o.ID]++
	}
	for id := range want {
		if got[id] != 1 {
			t.Fatalf("member %s read %d times", id, got[id])
		}
	}
	if len(all) != n+1 { // and the bot
		t.Errorf("read %d members; want %d", len(all), n+1)
	}
	var pages []string
	for _, r := range f.Requests() {
		if strings.HasPrefix(r, "GET /guilds/"+g+"/members?") {
			pages = append(pages, r)
		}
	}
	if len(pages) != 3 || !strings.Contains(pages[0], "limit=1000") || !strings.Contains(pages[1], "after=") {
		t.Errorf("member pages %v; want 3 requests of limit=1000 with after=", pages)
	}
}

// Updates send only what changed and leave overwrites, other
// permission bits and other attributes alone; positions move with the
// bulk position route.
func TestUpdatesKeepWhatHearthDoesNotManage(t *testing.T) {
	f, c, g := setup(t)
	ch := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "general", "topic": "Say hi", "category": "Start"})
	modRole := create(t, c, platform.KindRole, g, platform.Attrs{"name": "mods"})
	f.SetOverwrite(ch.ID, discordfake.Overwrite{ID: modRole.ID, Type: 0, Allow: "8192", Deny: "0"})
	f.SetOverwrite(ch.ID, discordfake.Overwrite{ID: g, Type: 0, Allow: "0", Deny: "2048"}) // @everyone may not send
	if _, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: g, ID: ch.ID, Attrs: platform.Attrs{"private": "true"}}); err != nil {
		t.Fatal(err)
	}
	before := len(f.Requests())
	up, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: g, ID: ch.ID, Attrs: platform.Attrs{"position": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Object.Attrs["position"] != "4" || up.Object.Attrs["topic"] != "Say hi" || up.Object.Attrs["category"] != "Start" || up.Object.Attrs["private"] != "true" {
		t.Errorf("after moving: %v", up.Object.Attrs)
	}
	reqs := f.Requests()[before:]
	if !slices.Contains(reqs, "PATCH /guilds/"+g+"/channels") || slices.Contains(reqs, "PATCH /channels/"+ch.ID) {
		t.Errorf("a position change made %v; want the bulk position route only", reqs)
	}
	var got discordfake.Channel
	for _, x := range f.Channels(g) {
		if x.ID == ch.ID {
			got = x
		}
	}
	ows := map[string]discordfake.Overwrite{}
	for _, o := range got.Overwrites {
		ows[o.ID] = o
	}
	if ows[modRole.ID].Allow != "8192" {
		t.Errorf("the moderators' overwrite changed: %+v", ows[modRole.ID])
	}
	if ows[g].Deny != fmt.Sprint(2048|1024) {
		t.Errorf("@everyone overwrite deny %s; want send (2048) kept and view (1024) added", ows[g].Deny)
	}

	// A permission bit hearth has no name for survives an update.
	req, _ := http.NewRequest("PATCH", f.APIURL()+"/guilds/"+g+"/roles/"+modRole.ID, bytes.NewReader([]byte(`{"permissions":"`+fmt.Sprint(uint64(1)<<55|2048)+`"}`)))
	req.Header.Set("Authorization", "Bot "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("setting an unknown bit: %v %v", resp, err)
	}
	resp.Body.Close()
	r, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindRole, Community: g, ID: modRole.ID, Attrs: platform.Attrs{"permissions": "manage_messages"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Object.Attrs["permissions"] != "manage_messages" {
		t.Errorf("permissions %q", r.Object.Attrs["permissions"])
	}
	raw := rolePermissions(t, f, g, modRole.ID)
	if raw != fmt.Sprint(uint64(1)<<55|8192) {
		t.Errorf("bitfield %s; want bit 55 kept with manage_messages", raw)
	}
}

func rolePermissions(t *testing.T, f *discordfake.Server, g, role string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", f.APIURL()+"/guilds/"+g+"/roles", nil)
	req.Header.Set("Authorization", "Bot "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	i := strings.Index(b.String(), `"id":"`+role+`"`)
	if i < 0 {
		t.Fatalf("role %s not in %s", role, b.String())
	}
	rest := b.String()[i:]
	j := strings.Index(rest, `"permissions":"`) + len(`"permissions":"`)
	return rest[j : j+strings.Index(rest[j:], `"`)]
}

// A permission name Discord does not have is refused before any call.
func TestUnknownPermission(t *testing.T) {
	_, c, g := setup(t)
	_, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: g, Attrs: platform.Attrs{"name": "x", "permissions": "fly"}})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "send_messages") {
		t.Errorf("unknown permission: %v", err)
	}
}

// Messages carry a nonce with enforce_nonce, so a second process with
// the same key gets Discord's first message back, not a second one.
func TestNonceAcrossProcesses(t *testing.T) {
	f, c, g := setup(t)
	ch := create(t, c, platform.KindChannel, g, platform.Attrs{"name": "general"})
	other := openConn(t, discord.New(), f, nil) // another process: its own key memory
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "outbox-17", Community: g, Channel: ch.ID, Text: "Welcome!"}
	a, err := c.Perform(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := other.Perform(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || len(f.Messages(ch.ID)) != 1 {
		t.Errorf("two processes with one key: ids %s, %s and %d messages; want one message", a.ID, b.ID, len(f.Messages(ch.ID)))
	}
	req.Text = "Something else"
	_, err = other.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "outbox-17", Community: g, Channel: ch.ID, Text: "Something else"})
	if !errors.Is(err, platform.ErrKeyReused) {
		t.Errorf("the key for another text in another process: %v; want ErrKeyReused", err)
	}
}

// Moderation: a timeout sets communication_disabled_until, bans carry
// the audit log reason, a timed ban is refused.
func TestModeration(t *testing.T) {
	f, c, g := setup(t)
	ann := f.AddMember(g, "Ann")
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionMute, Key: "m", Community: g, Member: ann, Duration: 2 * time.Hour, Reason: "spam links"}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Import(bg, platform.ImportRequest{Kind: platform.KindMember, Community: g, ID: ann})
	if err != nil {
		t.Fatal(err)
	}
	until, _ := time.Parse(time.RFC3339, m.Object.Attrs["muted_until"])
	if d := time.Until(until); d < time.Hour || d > 3*time.Hour {
		t.Errorf("muted until %s", m.Object.Attrs["muted_until"])
	}
	_, err = c.Perform(bg, platform.PerformRequest{Action: platform.ActionMute, Key: "m2", Community: g, Member: ann, Duration: 40 * 24 * time.Hour})
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a 40-day timeout: %v; want ErrInvalid", err)
	}
	_, err = c.Perform(bg, platform.PerformRequest{Action: platform.ActionBan, Key: "b", Community: g, Member: ann, Duration: time.Hour})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Errorf("a timed ban: %v; want ErrUnsupported", err)
	}
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionBan, Key: "b2", Community: g, Member: ann, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(bg, platform.ImportRequest{Kind: platform.KindMember, Community: g, ID: ann}); !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("banned member still imported: %v", err)
	}
}

// Creating a community is refused with what to do instead.
func TestCommunityIsImported(t *testing.T) {
	_, c, g := setup(t)
	_, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "explorers"}})
	if !errors.Is(err, platform.ErrUnsupported) || !strings.Contains(err.Error(), "import") {
		t.Errorf("creating a server: %v", err)
	}
	up, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: g, Attrs: platform.Attrs{"title": "Future Tech Explorers", "description": "Builders"}})
	if err != nil || up.Object.Attrs["title"] != "Future Tech Explorers" || up.Object.Attrs["description"] != "Builders" {
		t.Errorf("updating the server: %+v, %v", up.Object, err)
	}
}

// A role for someone Discord does not have in the server (Unknown Member,
// code 10007) is ErrMemberNotFound, which the outbox tries again a few
// times: Discord may show a member who just joined only a moment later.
func TestUnknownMemberIsMemberNotFound(t *testing.T) {
	_, c, g := setup(t)
	role := create(t, c, platform.KindRole, g, platform.Attrs{"name": "core"})
	_, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: "r1", Community: g, Member: "404404404404404404", Role: role.ID})
	if !errors.Is(err, platform.ErrMemberNotFound) || !errors.Is(err, platform.ErrNotFound) {
		t.Errorf("a role for an unknown member: %v; want ErrMemberNotFound", err)
	}
}
