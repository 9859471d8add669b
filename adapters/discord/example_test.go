package discord_test

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord"
	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/engine/platform"
)

// Open a bot against a Discord API (here the in-process fake), make a
// channel in a category, and send a message once per idempotency key.
func Example() {
	f := discordfake.New("bot-token")
	defer f.Close()
	guild := f.AddGuild("Makers Guild")

	ctx := context.Background()
	conn, err := discord.New().Open(ctx, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token":   cty.StringVal("bot-token"),
		"api_url": cty.StringVal(f.APIURL()), // Discord's own by default
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	ch, err := conn.(platform.Applier).Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: guild,
		Attrs: platform.Attrs{"name": "showcase", "topic": "Show what you built", "category": "Build"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Object.Attrs["category"], "/", ch.Object.Attrs["name"], "-", ch.Object.Attrs["topic"])

	send := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "welcome-1", Community: guild, Channel: ch.Object.ID, Text: "Hello!"}
	for range 2 {
		resp, err := conn.(platform.Performer).Perform(ctx, send)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("duplicate:", resp.Duplicate)
	}
	fmt.Println("messages:", len(f.Messages(ch.Object.ID)))
	// Output:
	// Build / showcase - Show what you built
	// duplicate: false
	// duplicate: true
	// messages: 1
}
