package local_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/platform"
)

// The engine's view of a platform: open it, apply changes one at a time,
// read back what is there, perform an action once per key.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "hearth-example")
	defer os.RemoveAll(dir)

	reg, _ := platform.NewRegistry(local.New())
	adapter, _ := reg.Lookup("local")
	conn, err := adapter.Open(ctx, platform.OpenRequest{Name: "main", Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	ap := conn.(platform.Applier)

	co, _ := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity,
		Address: "community.explorers", Attrs: platform.Attrs{"name": "explorers", "title": "Future Tech Explorers"}})
	id := co.Object.ID
	ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: id,
		Address: "community.explorers.channel.showcase", Attrs: platform.Attrs{"name": "showcase", "position": "2"}})
	ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: id,
		Address: "community.explorers.channel.welcome", Attrs: platform.Attrs{"name": "welcome", "topic": "Say hi", "position": "1"}})

	channels, _ := platform.ReadAll(ctx, conn.(platform.Reader), platform.ReadRequest{Kind: platform.KindChannel, Community: id})
	for _, ch := range channels {
		fmt.Printf("%s #%s position %s topic %q\n", ch.ID, ch.Attrs["name"], ch.Attrs["position"], ch.Attrs["topic"])
	}

	pf := conn.(platform.Performer)
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "outbox-17", Community: id,
		Channel: channels[0].ID, Text: "Welcome, everyone!"}
	first, _ := pf.Perform(ctx, req)
	again, _ := pf.Perform(ctx, req)
	fmt.Println(first.ID, first.Duplicate, again.ID, again.Duplicate)

	// Output:
	// ch-2 #welcome position 1 topic "Say hi"
	// ch-1 #showcase position 2 topic ""
	// msg-1 false msg-1 true
}
