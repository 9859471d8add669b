package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/adapters/internal/inbound/inboundtest"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// The interactions endpoint faces the internet: a client that sends its
// headers and then stalls its body is cut off at the read timeout, not
// served for ever (the listener uses inbound.NewServer's timeouts).
func TestInteractionsCutOffAStalledBody(t *testing.T) {
	f := discordfake.New("tok")
	defer f.Close()
	g := f.AddGuild("Explorers")
	a := New()
	a.ListenReadTimeout = 300 * time.Millisecond
	conn, err := a.Open(context.Background(), platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token":               cty.StringVal("tok").Mark(config.Sensitive),
		"api_url":             cty.StringVal(f.APIURL()),
		"public_key":          cty.StringVal(hex.EncodeToString(testKey.Public().(ed25519.PublicKey))),
		"interactions_listen": cty.StringVal("127.0.0.1:0"),
		"poll_interval":       cty.StringVal("1h"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Conn)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true, Communities: map[string]string{g: "explorers"}}, func(context.Context, platform.Delivery) error { return nil })
	}()
	for c.InteractionsAddr() == "" {
		select {
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	inboundtest.RequireCutsOffStalled(t, c.InteractionsAddr(), "POST /interactions HTTP/1.1\r\nHost: x\r\nX-Signature-Ed25519: 00\r\nX-Signature-Timestamp: 1\r\nContent-Length: 100\r\n\r\n{\"id")
}
