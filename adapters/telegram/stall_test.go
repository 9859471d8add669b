package telegram_test

import (
	"context"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/internal/inbound/inboundtest"
	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
	"github.com/hearth-community/hearth/engine/platform"
)

// The webhook faces the internet: a client that sends its headers and
// then stalls its body is cut off at the read timeout, not served for
// ever (the listener uses inbound.NewServer's timeouts).
func TestWebhookCutsOffAStalledBody(t *testing.T) {
	f := telegramfake.New(testToken)
	defer f.Close()
	chat := str(f.AddChat("Makers"))
	a := telegram.New()
	a.ListenReadTimeout = 300 * time.Millisecond
	c := open(t, a, f, map[string]cty.Value{
		"chats":          cty.ListVal([]cty.Value{cty.StringVal(chat)}),
		"webhook_listen": cty.StringVal("127.0.0.1:0"),
		"webhook_secret": cty.StringVal("s3cret-Token_1"),
	})
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true, Communities: map[string]string{chat: "makers"}}, func(context.Context, platform.Delivery) error { return nil })
	}()
	for c.WebhookAddr() == "" {
		select {
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	inboundtest.RequireCutsOffStalled(t, c.WebhookAddr(), "POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: s3cret-Token_1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"upd")
}
