package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/adapters/discourse/discoursetest"
	"github.com/hearth-community/hearth/adapters/slack/slacktest"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
	"github.com/hearth-community/hearth/engine/config"
)

// standIn is one platform type `hearth local serve` can stand in for:
// hearth's test fake of its API, which follows the platform's API
// closely enough for plan, apply and drift.
type standIn struct {
	// title is the platform's name as people write it; real says what
	// the stand-in is not, and noun what it holds.
	title, real, noun string
	// addr is where it listens by default: a fixed port per type, so
	// the url written in a configuration stays right from one run to
	// the next, and the stand-ins can run side by side.
	addr string
	// start makes the fake, served at url, and writes what to put in a
	// configuration and the shell to w.
	start func(w io.Writer, url string) http.Handler
}

// standIns are the platform types `hearth local serve` can stand in
// for. Discord's, Slack's and Telegram's stand-ins make the server
// (guild), workspace or group a bot cannot make, and print its id for
// the import block or team_id.
func standIns() map[string]standIn {
	return map[string]standIn{
		"discourse": {title: "Discourse", real: "a Discourse forum", noun: "forum", addr: "127.0.0.1:4280", start: startDiscourse},
		"discord":   {title: "Discord", real: "Discord", noun: "server", addr: "127.0.0.1:4281", start: startDiscord},
		"slack":     {title: "Slack", real: "Slack", noun: "workspace", addr: "127.0.0.1:4282", start: startSlack},
		"telegram":  {title: "Telegram", real: "Telegram", noun: "group", addr: "127.0.0.1:4283", start: startTelegram},
	}
}

// standInKey is a fresh secret for a stand-in's key or token: it is
// printed on the terminal, and keeps other programs on this machine
// from using the stand-in without it.
func standInKey(prefix string) string {
	key := make([]byte, 16)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + hex.EncodeToString(key)
}

// runLocalServe is `hearth local serve TYPE`: a platform's test fake on
// loopback, until Ctrl-C.
func runLocalServe(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "local serve", localUsage)
	listen := fs.String("listen", "", "Serve on `ADDR`, a loopback address and port (127.0.0.1:0 picks a free port); default 127.0.0.1:4280 for discourse, :4281 for discord, :4282 for slack, :4283 for telegram.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	all := standIns()
	types := slices.Sorted(maps.Keys(all))
	if len(pos) != 1 {
		return argError(s, "local serve", "give the platform type to stand in for: "+strings.Join(types, ", "))
	}
	si, known := all[pos[0]]
	if !known {
		msg := fmt.Sprintf("there is no stand-in for %q; the types are: %s", pos[0], strings.Join(types, ", "))
		if pos[0] == "local" {
			msg = "the local platform is built in and needs no server: write platform \"local\" \"NAME\" {}"
		}
		return argError(s, "local serve", msg)
	}
	addr := *listen
	if addr == "" {
		addr = si.addr
	}
	// A stand-in's key is printed on the terminal and it checks nothing
	// else, so it must not be reachable from the network.
	if !loopback(addr) {
		return argError(s, "local serve", fmt.Sprintf("-listen %q is not a loopback HOST:PORT; a stand-in serves this machine only, such as %s or [::1]:4280", addr, si.addr))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
		return 1
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(s.out, "hearth local serve: a LOCAL STAND-IN for %s, not %s.\n", si.title, si.real)
	h := si.start(s.out, url)
	fmt.Fprintln(s.out, "\nServing; press Ctrl-C to stop.")
	srv := &http.Server{Handler: marked(pos[0], h), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
	}
	fmt.Fprintf(s.out, "Stopped; the stand-in %s and everything in it are gone.\n", si.noun)
	return 0
}

func startDiscourse(w io.Writer, url string) http.Handler {
	forum := discoursetest.NewForum()
	forum.APIKey = standInKey("standin-")
	fmt.Fprintf(w, `It is hearth's test fake of the Discourse API, on this machine only. What
hearth makes in it is kept in memory and lost when it stops (Ctrl-C).

  url       %s
  api key   %s
  username  %s (api_username's default)

In the platform block:

  platform "discourse" "forum" {
    url     = %q
    api_key = var.discourse_api_key
  }

and in the shell that runs hearth plan and apply:

  export %sdiscourse_api_key=%s
`, url, forum.APIKey, forum.APIUsername, url, config.EnvVarPrefix, forum.APIKey)
	return forum
}

func startDiscord(w io.Writer, url string) http.Handler {
	// The first snowflakes are made from a fixed time, so the bot and
	// the server have the same ids at every start and the id exported
	// as HEARTH_VAR_guild_id stays right.
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	api := discordfake.NewAPI(standInKey("standin-"), func() time.Time { return epoch })
	guild := api.AddGuild("Stand-in server")
	api.SetClock(time.Now)
	apiURL := url + "/api/v10"
	fmt.Fprintf(w, `It is hearth's test fake of Discord's HTTP API and gateway, on this machine
only, with one server (guild) the bot is in. What hearth makes in it is
kept in memory and lost when it stops (Ctrl-C). It sends no events of its
own: nobody joins or posts in it.

  api url   %s
  token     %s
  server    %q, id %s

In the configuration (examples/discord-community has these variables; a
bot cannot make a server, so the community adopts this one):

  platform "discord" "main" {
    token   = var.discord_token
    api_url = var.discord_api_url
    guilds  = [var.guild_id]
  }

  import {
    to = "community.NAME" # your community block's name
    id = var.guild_id
  }

and in the shell that runs hearth plan and apply:

  export %sdiscord_token=%s
  export %sdiscord_api_url=%s
  export %sguild_id=%s
`, apiURL, api.Token, "Stand-in server", guild,
		config.EnvVarPrefix, api.Token, config.EnvVarPrefix, apiURL, config.EnvVarPrefix, guild)
	return api
}

func startSlack(w io.Writer, url string) http.Handler {
	ws := slacktest.NewWorkspace()
	ws.Token = standInKey("xoxb-standin-")
	// No admin token: as in a workspace outside Enterprise Grid, the
	// admin.* methods refuse every token.
	ws.AdminToken = ""
	ws.TeamName = "Stand-in workspace"
	apiURL := url + "/api/"
	fmt.Fprintf(w, `It is hearth's test fake of Slack's Web API, on this machine only, with one
workspace the app is in. What hearth makes in it is kept in memory and lost
when it stops (Ctrl-C). It sends no Events API requests: nobody joins or
posts in it, so the block serves none (events_listen empty).

  api url   %s
  token     %s
  team id   %s (%q)

In the configuration (examples/slack-community has these variables):

  platform "slack" "makers" {
    token         = var.slack_bot_token
    team_id       = var.slack_team_id
    api_url       = var.slack_api_url
    events_listen = var.slack_events_listen
  }

and in the shell that runs hearth plan and apply:

  export %sslack_bot_token=%s
  export %sslack_team_id=%s
  export %sslack_api_url=%s
  export %sslack_events_listen=
`, apiURL, ws.Token, ws.TeamID, ws.TeamName,
		config.EnvVarPrefix, ws.Token, config.EnvVarPrefix, ws.TeamID, config.EnvVarPrefix, apiURL, config.EnvVarPrefix)
	return ws
}

// standInBotID is the stand-in Telegram bot's user id, the token's
// first part: fixed, as the group's id is, so the exports stay right
// from one start to the next.
const standInBotID = "7000000001"

func startTelegram(w io.Writer, url string) http.Handler {
	api := telegramfake.NewHandler(standInBotID + ":" + standInKey("standin-"))
	chat := strconv.FormatInt(api.AddChat("Stand-in group"), 10)
	fmt.Fprintf(w, `It is hearth's test fake of the Telegram Bot API, on this machine only,
with one supergroup the bot is an administrator of. What hearth makes in
it is kept in memory and lost when it stops (Ctrl-C). It sends no updates
of its own: nobody joins, posts or reacts in it.

  api url   %s
  token     %s
  group     %q, id %s

In the configuration (a bot cannot make a group, so the community adopts
this one; the group is its one channel):

  platform "telegram" "main" {
    token   = var.telegram_token
    api_url = var.telegram_api_url
    chats   = [var.telegram_chat_id]
  }

  import {
    to = "community.NAME" # your community block's name
    id = var.telegram_chat_id
  }

and in the shell that runs hearth plan and apply:

  export %stelegram_token=%s
  export %stelegram_api_url=%s
  export %stelegram_chat_id=%s
`, url, api.Token, "Stand-in group", chat,
		config.EnvVarPrefix, api.Token, config.EnvVarPrefix, url, config.EnvVarPrefix, chat)
	return api
}

// marked marks every answer of a stand-in as one (X-Hearth-Stand-In),
// so nothing that reads them takes it for the platform.
func marked(typ string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Hearth-Stand-In", typ+"; in memory")
		h.ServeHTTP(w, r)
	})
}
