package slack_test

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/slack"
	"github.com/hearth-community/hearth/adapters/slack/slacktest"
	"github.com/hearth-community/hearth/engine/platform"
)

// A template quotes what members wrote: a member named "<!channel>"
// must not notify a whole channel or workspace through the app, unless
// the block allows it.
func TestMemberTextNotifiesNoCrowd(t *testing.T) {
	f := slacktest.New(t)
	ann := f.AddUser("Ann")
	text := "Welcome, <!channel> <!here|here> <!everyone> <!subteam^S0123|@mods> and <@" + ann + ">"
	send := func(c *slack.Conn, key string) string {
		t.Helper()
		if _, err := c.Perform(ctx, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: key, Community: f.TeamID, Member: ann, Text: text}); err != nil {
			t.Fatal(err)
		}
		msgs := f.Messages(f.DMChannel(ann))
		return msgs[len(msgs)-1]
	}
	got := send(open(t, slack.New(), f, nil), "quiet")
	for _, seq := range []string{"<!channel>", "<!here", "<!everyone>", "<!subteam"} {
		if strings.Contains(got, seq) {
			t.Errorf("sent %q: it holds %s", got, seq)
		}
	}
	if !strings.Contains(got, "<@"+ann+">") || !strings.Contains(got, "&lt;!channel&gt;") {
		t.Errorf("sent %q: want the user mention kept and <!channel> shown as text", got)
	}
	// hearth template render shows the text as it was sent.
	shape := func(s map[string]cty.Value) string {
		t.Helper()
		res, err := slack.New().Shape(platform.ShapeRequest{Action: platform.ActionDirectMessage, Settings: s, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	if shaped := shape(settings(f, nil)); shaped != got {
		t.Errorf("Shape gave %q; the message was sent as %q", shaped, got)
	}

	s := settings(f, nil)
	s["mass_mentions"] = cty.True
	loud, err := slack.New().Open(ctx, platform.OpenRequest{Name: "main", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	defer loud.Close()
	if got := send(loud.(*slack.Conn), "loud"); got != text {
		t.Errorf("with mass_mentions = true sent %q, want %q", got, text)
	}
	if shaped := shape(s); shaped != text {
		t.Errorf("with mass_mentions = true Shape gave %q, want %q", shaped, text)
	}
}
