package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hearth-community/hearth/adapters/discord/discordfake"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
)

// fakeToken is the bot token of the scripts' fake Discord; scripts check
// it never shows.
const fakeToken = "fake-discord-bot-token-5ecret"

// fakeTelegramToken is the bot token of the scripts' fake Telegram.
const fakeTelegramToken = "4242:fake-telegram-5ecret"

// The fakes of each running script; scripts run in parallel.
var (
	fakesMu sync.Mutex
	fakes   = map[*testscript.TestScript]*discordfake.Server{}
	tgFakes = map[*testscript.TestScript]*telegramfake.Server{}
)

// cmdDiscordFake drives an in-process fake Discord API for a script:
//
//	discordfake start       start it with one server; set HEARTH_VAR_discord_token,
//	                        HEARTH_VAR_discord_api_url and HEARTH_VAR_guild_id
//	discordfake join NAME   a person joins the server
//	discordfake show        print the server's categories, channels, roles and pins
func cmdDiscordFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: discordfake start|join NAME|show")
	}
	fakesMu.Lock()
	f := fakes[ts]
	fakesMu.Unlock()
	if args[0] != "start" && f == nil {
		ts.Fatalf("discordfake: start it first")
	}
	switch args[0] {
	case "start":
		f = discordfake.New(fakeToken)
		fakesMu.Lock()
		fakes[ts] = f
		fakesMu.Unlock()
		ts.Defer(func() {
			f.Close()
			fakesMu.Lock()
			delete(fakes, ts)
			fakesMu.Unlock()
		})
		g := f.AddGuild("My server")
		ts.Setenv("GUILD", g)
		ts.Setenv("HEARTH_VAR_guild_id", g)
		ts.Setenv("HEARTH_VAR_discord_token", fakeToken)
		ts.Setenv("HEARTH_VAR_discord_api_url", f.APIURL())
	case "join":
		if len(args) != 2 {
			ts.Fatalf("usage: discordfake join NAME")
		}
		ts.Setenv("MEMBER_"+strings.ToUpper(args[1]), f.AddMember(ts.Getenv("GUILD"), args[1]))
	case "activity":
		// activity NAME FILE: JSON lines of the member posting 15
		// messages a day for the last 4 days, as Discord would report.
		if len(args) != 3 {
			ts.Fatalf("usage: discordfake activity NAME FILE")
		}
		id := ts.Getenv("MEMBER_" + strings.ToUpper(args[1]))
		var b strings.Builder
		now := time.Now().UTC()
		for day := range 4 {
			for i := range 15 {
				at := now.Add(-time.Duration(4-day)*24*time.Hour + time.Duration(i)*time.Minute)
				ev := map[string]any{"id": fmt.Sprintf("act-%s-%d-%d", id, day, i), "type": "message.posted", "at": at.Format(time.RFC3339),
					"member": map[string]any{"id": id, "name": args[1], "identities": map[string]string{"discord": id}},
					"attrs":  map[string]any{"channel": "help", "text": "a useful answer", "length": 15}}
				line, _ := json.Marshal(ev)
				b.Write(line)
				b.WriteByte('\n')
			}
		}
		if err := os.WriteFile(ts.MkAbs(args[2]), []byte(b.String()), 0o644); err != nil {
			ts.Fatalf("discordfake activity: %v", err)
		}
	case "roles":
		// roles NAME: the names of the roles the member holds.
		if len(args) != 2 {
			ts.Fatalf("usage: discordfake roles NAME")
		}
		g := ts.Getenv("GUILD")
		names := map[string]string{}
		for _, r := range f.Roles(g) {
			names[r.ID] = r.Name
		}
		var held []string
		for _, id := range f.MemberRoles(g, ts.Getenv("MEMBER_"+strings.ToUpper(args[1]))) {
			held = append(held, names[id])
		}
		slices.Sort(held)
		fmt.Fprintf(ts.Stdout(), "%s holds %v\n", args[1], held)
	case "show":
		g := ts.Getenv("GUILD")
		name, desc := f.Guild(g)
		fmt.Fprintf(ts.Stdout(), "server %q %q\n", name, desc)
		chans := f.Channels(g)
		slices.SortFunc(chans, func(a, b discordfake.Channel) int { return a.Position - b.Position })
		cats := map[string]string{}
		for _, c := range chans {
			if c.Type == discordfake.TypeCategory {
				cats[c.ID] = c.Name
			}
		}
		for _, c := range chans {
			if c.Type == discordfake.TypeCategory {
				continue
			}
			topic, parent := "", ""
			if c.Topic != nil {
				topic = *c.Topic
			}
			if c.ParentID != nil {
				parent = cats[*c.ParentID]
			}
			var ows []string
			for _, o := range c.Overwrites {
				who := o.ID
				if o.ID == g {
					who = "@everyone"
				}
				ows = append(ows, fmt.Sprintf("%s allow=%s deny=%s", who, o.Allow, o.Deny))
			}
			fmt.Fprintf(ts.Stdout(), "channel %d %s/#%s %q %v\n", c.Position, parent, c.Name, topic, ows)
			for _, m := range f.Messages(c.ID) {
				if m.Pinned {
					fmt.Fprintf(ts.Stdout(), "  pinned %q\n", strings.SplitN(m.Content, "\n", 2)[0])
				}
			}
		}
		for _, r := range f.Roles(g) {
			fmt.Fprintf(ts.Stdout(), "role %d %s color=%06x hoist=%v mentionable=%v permissions=%s\n", r.Position, r.Name, r.Color, r.Hoist, r.Mentionable, r.Permissions)
		}
	default:
		ts.Fatalf("discordfake: unknown subcommand %q", args[0])
	}
}

// cmdTelegramFake drives an in-process fake Telegram Bot API:
//
//	telegramfake start       start it with one group; set HEARTH_VAR_telegram_token,
//	                         HEARTH_VAR_telegram_api_url and HEARTH_VAR_chat_id
//	telegramfake show        print the group's title, description, pin and administrators
func cmdTelegramFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: telegramfake start|show")
	}
	fakesMu.Lock()
	f := tgFakes[ts]
	fakesMu.Unlock()
	switch args[0] {
	case "start":
		f = telegramfake.New(fakeTelegramToken)
		fakesMu.Lock()
		tgFakes[ts] = f
		fakesMu.Unlock()
		ts.Defer(func() {
			f.Close()
			fakesMu.Lock()
			delete(tgFakes, ts)
			fakesMu.Unlock()
		})
		chat := f.AddChat("My group")
		ts.Setenv("CHAT", fmt.Sprint(chat))
		ts.Setenv("HEARTH_VAR_chat_id", fmt.Sprint(chat))
		ts.Setenv("HEARTH_VAR_telegram_token", fakeTelegramToken)
		ts.Setenv("HEARTH_VAR_telegram_api_url", f.APIURL())
	case "show":
		if f == nil {
			ts.Fatalf("telegramfake: start it first")
		}
		var chat int64
		fmt.Sscan(ts.Getenv("CHAT"), &chat)
		title, desc := f.Chat(chat)
		fmt.Fprintf(ts.Stdout(), "group %q %q\n", title, desc)
		for _, m := range f.Messages(chat) {
			fmt.Fprintf(ts.Stdout(), "message %d %q\n", m.MessageID, strings.SplitN(m.Text, "\n", 2)[0])
		}
	default:
		ts.Fatalf("telegramfake: unknown subcommand %q", args[0])
	}
}
