package telegram_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
	"github.com/hearth-community/hearth/engine/platform"
)

// Open a bot against the Bot API (here the in-process fake), set the
// group's title, and read what members did from getUpdates.
func Example() {
	f := telegramfake.New("42:bot-token")
	defer f.Close()
	chat := f.AddChat("Makers")
	id := strconv.FormatInt(chat, 10)

	ctx := context.Background()
	conn, err := telegram.New().Open(ctx, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token":   cty.StringVal("42:bot-token"),
		"api_url": cty.StringVal(f.APIURL()), // Telegram's own by default
		"chats":   cty.ListVal([]cty.Value{cty.StringVal(id)}),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	if _, err := conn.(platform.Applier).Apply(ctx, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: id,
		Attrs: platform.Attrs{"title": "Makers Guild"}}); err != nil {
		fmt.Println(err)
		return
	}
	title, _ := f.Chat(chat)
	fmt.Println(title)

	ann := f.AddMember(chat, "Ann")
	f.Post(chat, ann, "Hi all")
	err = conn.(platform.Streamer).Stream(ctx, platform.StreamRequest{Communities: map[string]string{id: "makers"}}, func(_ context.Context, d platform.Delivery) error {
		fmt.Println(d.Cursor, d.Event.Type, d.Event.Member.Name, d.Event.Community)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Output:
	// Makers Guild
	// 1 member.joined Ann makers
	// 2 message.posted Ann makers
}
