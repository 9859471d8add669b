package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textwidth"
	"github.com/hearth-community/hearth/engine/zones"
)

const localUsage = `Usage: hearth local join -name NAME [-referrer ID] [-timezone ZONE] [-locale LOCALE] COMMUNITY [DIR]
       hearth local join -id ID [-name NAME] COMMUNITY [DIR]
       hearth local post -member ID -channel CHANNEL [-community COMMUNITY] TEXT... [DIR]
       hearth local react -member ID -message MSG [-emoji E] [DIR]
       hearth local reply -member ID COMMUNITY TEXT... [DIR]
       hearth local role -member ID -role ROLE [-take] COMMUNITY [DIR]
       hearth local show [-json] members|messages|dms|roles COMMUNITY [DIR]
       hearth local channel create|delete -community COMMUNITY NAME [DIR]
       hearth local channel rename -community COMMUNITY NAME NEW [DIR]
       hearth local channel topic -community COMMUNITY NAME TOPIC [DIR]
       hearth local role create|delete -community COMMUNITY NAME [DIR]
       hearth local role rename -community COMMUNITY NAME NEW [DIR]
       hearth local serve [-listen ADDR] discourse|discord|slack|telegram

Acts as the people on hearth's built-in local platform, so the whole loop
can be tried with no account: apply the configuration, start the daemon,
then join and post here. The daemon reads these as events from the
platform's stream, runs the rules, and delivers its messages back, which
'hearth local show dms' lists.

COMMUNITY and CHANNEL are block names (community "explorers", channel
"welcome"), or the name of a sub-community plan made for a full community
(explorers-2), to join it by its own invitation or show who hearth run
moved there; a channel (and a role) is looked up on the platform by its
block's title, its name there (-channel announcements posts in the
channel titled "公告"), and its name there is taken too. post posts in
the channel of the community the member is in: a member hearth run moved
into a sub-community (explorers-2) posts in its copy of the channel;
-community COMMUNITY (a name, explorers-2, or a title) picks one when the
member is in several that have it. Members are the ids join prints (mb-1 ...), which -member
and join -referrer (who invited the new member) take: given a name
instead, hearth says the id of the member by that name, or lists some
ids. join -id puts a member hearth knows from events (u07) on the
platform under that id, as a join: hearth run puts such a member there
by itself the first time it acts on them (a role, a direct message, a
mute), and a role or a message for an id the platform does not have
(a member hearth has no events of) is tried a few more times over
about a quarter of an hour and then moves to the dead letters, saying
to run join -id. reply writes to
hearth directly, as a member answering a direct message: a survey's
answers are replies such as "pulse recommend 9 more_of=events". react
adds an emoji to a message (-emoji, default 👍) as a member: once per
member and emoji, as on Discord and Slack, so reacting again with the
same emoji sends no second reaction.added. role gives
a member a role by hand (-take takes it), as a moderator does outside
hearth: hearth plan and hearth run take back only the roles hearth gave,
so one given by hand stays, even of a role a tier gives, and hearth drift
reports a role hearth gave that was taken outside it. ROLE is the role
block's name. join -timezone
gives the new member an IANA time zone (Europe/Berlin), as a platform's
profile does: their quiet hours, times of day (at) and localdate() in
their messages follow it; -locale (zh-CN) picks their templates' text.
DIR is the configuration directory (default .). A last argument that
names no configuration but stands where DIR goes (one more than the
command takes, or, after a post's or reply's text, a word with a slash
or an existing directory's name) is refused as a wrong DIR, not posted
as text; to end a text with such a word, give DIR after it. With
several local platform blocks, -platform NAME (or platform.local.NAME)
picks one; without it, the one of the community the command names is
used, and otherwise (post, react, a community on none) hearth asks for
-platform, naming the choices. show -json prints {"community": ..., "members": [...]} (or
"messages", "dms"): each object's id and its attributes as the platform
keeps them (name, joined_at; channel, author, text, posted_at, pinned;
member, author, text, posted_at; member, role), empty ones left out.
show messages lists each message's id, channel (#name), author, time and
text; show roles lists who holds which role, by the role's name.
channel create and role create make a channel or role in a community by
hand, as a moderator does outside hearth, and print its new id, with
the block (its title the name given, when that is no block name) and
import block (to = community.C.channel.NAME, id = "ch-N", as it prints)
or hearth state import to adopt (hearth drift lists such objects, each
with its import block). channel rename, channel topic, channel delete,
role rename and role delete change one by hand the same way, as an
admin does in the platform's own settings, so hearth drift and hearth
plan can be seen to catch it: a rename or a new topic is an update in
place, a deletion (a channel's messages and a role's holders go with
it) makes plan create it again. NAME is the channel's or role's name on
the platform (its block's title) or its id (ch-N, ro-N),
which names that repeat need; TOPIC is one argument ("" clears it). The
local platform emits no event for these, as members' events are what
the rules read. The platform file is never to be edited by hand (an id
it did not issue makes it unreadable).

serve runs a stand-in for another platform on this machine, to try
plan, apply and drift against without a real server, until Ctrl-C:
hearth's test fake of its API on -listen (a loopback address). serve
discourse (default 127.0.0.1:4280) prints the url and a fresh API key to
put in the platform "discourse" block. serve discord (127.0.0.1:4281)
makes a server (guild) the bot is in and prints export lines for
HEARTH_VAR_discord_token, discord_api_url and guild_id, the variables
examples/discord-community reads; the server's id is the same at every
start. serve slack (127.0.0.1:4282) is a workspace the app is in and
prints export lines for HEARTH_VAR_slack_bot_token, slack_team_id,
slack_api_url and an empty slack_events_listen, as
examples/slack-community reads them. serve telegram (127.0.0.1:4283)
makes a group (supergroup) the bot administers and prints export lines
for HEARTH_VAR_telegram_token, telegram_api_url and telegram_chat_id,
for a platform "telegram" block and the import block that adopts the
group; the group's id is the same at every start. Each is a test fake, not the
platform: what hearth makes in it is kept in memory and is gone when it
stops, so a new one starts empty (hearth plan then shows it all to
create again), and nobody joins or posts in it, so hearth run gets no
member events from it.

Examples:
  hearth apply -auto-approve examples/quickstart
  hearth run examples/quickstart &
  hearth local join -name Ann explorers examples/quickstart
  hearth local join -name Bo -timezone Asia/Tokyo -locale zh-CN explorers examples/quickstart
  hearth local join -id u07 -name Gus explorers examples/quickstart
  hearth local post -member mb-1 -channel welcome "Hi, I build robots" examples/quickstart
  hearth local show dms explorers examples/quickstart
  hearth local show -json members explorers examples/quickstart
  hearth local role -member mb-2 -role regular explorers examples/quickstart
  hearth local show roles explorers examples/quickstart
  hearth local reply -member mb-1 guild pulse recommend 9 examples/health-report
  hearth local post -platform lab -member mb-1 -channel general "Hello" mycommunity   # with several local platforms
  hearth local channel create -community explorers showcase examples/quickstart
  hearth local channel topic -community explorers help "Ask us anything" examples/quickstart
  hearth local channel delete -community explorers showcase examples/quickstart
  hearth local role rename -community explorers regular Regulars examples/quickstart
  hearth local serve discourse                     # then hearth plan a forum configuration against it
  hearth local serve discord                       # then export what it prints and hearth apply examples/discord-community
  hearth local serve -listen 127.0.0.1:0 slack     # any free port
  hearth local serve telegram                      # then export what it prints and hearth apply a Telegram configuration
`

func runLocal(ctx context.Context, s *stdio, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, localUsage)
	}
	if verbs, ok := localObjectVerbs[args[0]]; ok && len(args) > 1 {
		if _, ok := verbs[args[1]]; ok {
			return runLocalObject(ctx, s, args[0], args[1], args[2:])
		}
	}
	if args[0] == "serve" {
		return runLocalServe(ctx, s, args[1:])
	}
	if args[0] == "channel" {
		return argError(s, "local channel", "the verbs are create, rename, delete and topic: hearth local channel VERB -community COMMUNITY NAME ... [DIR]")
	}
	// local role gives a role with flags first; a word first is a verb.
	if args[0] == "role" && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		return argError(s, "local role", fmt.Sprintf("%q: the verbs are create, rename and delete (hearth local role VERB -community COMMUNITY NAME ... [DIR]); to give a role to a member: hearth local role -member ID -role ROLE COMMUNITY", args[1]))
	}
	// channel is handled above; it is listed so a slip such as "chanel" finds it.
	if verbs := []string{"join", "post", "react", "reply", "role", "show", "channel", "serve"}; !slices.Contains(verbs, args[0]) {
		return unknownVerb(s, "local", args[0], verbs, localUsage)
	}
	verb := args[0]
	fs := newFlags(s, "local "+verb, localUsage)
	name := fs.String("name", "", "With join: the new member's display name.")
	id := fs.String("id", "", "With join: the member's `ID`, for a member hearth knows from events (u07) who is not on the platform; the name defaults to it.")
	referrer := fs.String("referrer", "", "With join: the member id (mb-N, as join printed it) of whoever invited them.")
	timezone := fs.String("timezone", "", "With join: the new member's IANA time zone, such as Europe/Berlin.")
	locale := fs.String("locale", "", "With join: the new member's locale, such as zh-CN.")
	member := fs.String("member", "", "With post, react, reply and role: the member id.")
	role := fs.String("role", "", "With role: the role block's name.")
	take := fs.Bool("take", false, "With role: take the role instead of giving it.")
	channel := fs.String("channel", "", "With post: the channel block's name (or its title), in the community the member is in: a sub-community's copy of it for a member there (oss-2).")
	inCommunity := fs.String("community", "", "With post: the community whose channel to post in, by `NAME` (a block's, or a sub-community's such as oss-2) or title, when the member is in several that have the channel.")
	message := fs.String("message", "", "With react: the message id.")
	emoji := fs.String("emoji", "👍", "With react: the emoji.")
	asJSON := fs.Bool("json", false, "With show: print JSON.")
	platName := fs.String("platform", "", "The local platform block to act on, by `NAME` (main) or address (platform.local.main), when the configuration has several.")
	vf := varFlags{quietCredentials: true} // reaches the local platform alone, which takes none
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(s.err, "hearth local %s: %v\n", verb, err)
		return 1
	}
	// The last argument is the directory when it holds a configuration.
	dir := "."
	if n := len(pos); n > 0 && isConfigDir(pos[n-1]) {
		dir, pos = pos[n-1], pos[:n-1]
	} else if msg := localDirProblem(verb, pos); msg != "" {
		// A misspelt directory would otherwise be posted as text, or
		// reported as a missing argument.
		fmt.Fprintf(s.err, "hearth local %s: %s\n", verb, msg)
		return 1
	}
	// Arguments are checked before the configuration is read: a missing
	// one is the problem to report, wherever the command runs.
	if *id != "" && verb != "join" {
		return argError(s, "local "+verb, "-id is for join; post, react, reply and role take -member")
	}
	if msg := localArgsProblem(verb, pos, *name, *id, *member, *channel, *message, *role); msg != "" {
		return argError(s, "local "+verb, msg)
	}
	if *inCommunity != "" && verb != "post" {
		return argError(s, "local "+verb, "-community is for post; join, role and show take the community as their last argument")
	}
	if *asJSON && verb != "show" {
		return argError(s, "local "+verb, "-json is for show")
	}
	if (*timezone != "" || *locale != "") && verb != "join" {
		return argError(s, "local "+verb, "-timezone and -locale are for join")
	}
	if *timezone != "" && !zones.Valid(*timezone) {
		// hearth run would drop the zone, and quiet hours would run in
		// the configuration's: say so now, not after the join.
		hint := ""
		if near := zones.Closest(*timezone); near != "" {
			hint = fmt.Sprintf(" Did you mean %q?", near)
		}
		return argError(s, "local "+verb, fmt.Sprintf("-timezone %q is not an IANA time zone name, such as Europe/Berlin.%s", *timezone, hint))
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	// The community the command names, which picks the platform when
	// there are several and -platform does not.
	named := ""
	switch verb {
	case "join", "role", "show":
		named = pos[len(pos)-1]
	case "reply":
		named = pos[0]
	}
	plat, err := localPlatform(cfg, dir, *platName, named)
	if err != nil {
		return fail(err)
	}
	// show only reads: before the first apply it finds nothing, and
	// leaves no platform file behind.
	reg := registry()
	open := reg.Open
	if verb == "show" {
		open = reg.OpenReadOnly
	}
	conn, err := open(ctx, plat, cfg.PathsDir(), nil)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	lc := conn.(*local.Conn)
	// names gathers what find saw, so a name it misses can be told
	// apart: a typo of one there ("Did you mean"), or nothing there yet
	// (apply has not run).
	names := map[platform.Kind][]string{}
	find := func(req platform.ReadRequest, name string) (string, error) {
		objs, err := platform.ReadAll(ctx, lc, req)
		if err != nil {
			return "", err
		}
		for _, o := range objs {
			if o.Attrs["name"] == name {
				return o.ID, nil
			}
			if !slices.Contains(names[req.Kind], o.Attrs["name"]) {
				names[req.Kind] = append(names[req.Kind], o.Attrs["name"])
			}
		}
		return "", notOnLocal(req.Kind, name, names[req.Kind], inConfig(cfg, req.Kind, name))
	}
	community := func() (string, error) {
		return find(platform.ReadRequest{Kind: platform.KindCommunity}, pos[len(pos)-1])
	}
	switch verb {
	case "join":
		co, err := community()
		if err != nil {
			return fail(err)
		}
		m, err := lc.Join(ctx, local.JoinRequest{Community: co, ID: *id, Name: *name, Referrer: *referrer, Timezone: *timezone, Locale: *locale})
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-referrer", *referrer, err))
		}
		fmt.Fprintf(s.out, "%s joined as %s\n", cmp.Or(m.Attrs["name"], *name), m.ID)
	case "post":
		chID, err := postChannel(ctx, lc, cfg, *inCommunity, *channel, *member, names)
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-member", *member, err))
		}
		msg, err := lc.Post(ctx, local.PostRequest{Channel: chID, Member: *member, Text: strings.Join(pos, " ")})
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-member", *member, err))
		}
		fmt.Fprintf(s.out, "posted %s\n", msg.ID)
	case "react":
		added, err := lc.React(ctx, local.ReactRequest{Message: *message, Member: *member, Emoji: *emoji})
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-member", *member, err))
		}
		if !added {
			// As on Discord and Slack: one of each emoji per member.
			fmt.Fprintf(s.out, "%s has reacted to %s with %s already: nothing new (a member adds an emoji to a message once)\n", *member, *message, *emoji)
			break
		}
		fmt.Fprintln(s.out, "reacted")
	case "reply":
		co, err := find(platform.ReadRequest{Kind: platform.KindCommunity}, pos[0])
		if err != nil {
			return fail(err)
		}
		dm, err := lc.WriteToApp(ctx, co, *member, strings.Join(pos[1:], " "))
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-member", *member, err))
		}
		fmt.Fprintf(s.out, "replied %s\n", dm.ID)
	case "role":
		co, err := community()
		if err != nil {
			return fail(err)
		}
		ro, err := find(platform.ReadRequest{Kind: platform.KindRole, Community: co}, shownName(familyOf(cfg, pos[len(pos)-1]), platform.KindRole, *role))
		if err != nil {
			return fail(err)
		}
		changed, err := lc.SetRole(ctx, co, *member, ro, !*take)
		if err != nil {
			return fail(memberNotFound(ctx, lc, plat.Name, "-member", *member, err))
		}
		switch {
		case *take && changed:
			fmt.Fprintf(s.out, "took %s from %s by hand\n", *role, *member)
		case *take:
			fmt.Fprintf(s.out, "%s did not hold %s\n", *member, *role)
		case changed:
			fmt.Fprintf(s.out, "gave %s to %s by hand\n", *role, *member)
		default:
			fmt.Fprintf(s.out, "%s holds %s already\n", *member, *role)
		}
	case "show":
		kind := localShowKinds[pos[0]]
		co, err := community()
		if err != nil {
			return fail(err)
		}
		objs, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: kind, Community: co})
		if err != nil {
			return fail(err)
		}
		if kind == platform.KindRoleAssignment {
			// By role name, as the configuration calls them.
			roles, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindRole, Community: co})
			if err != nil {
				return fail(err)
			}
			names := map[string]string{}
			for _, r := range roles {
				names[r.ID] = r.Attrs["name"]
			}
			for i := range objs {
				objs[i].Attrs = maps.Clone(objs[i].Attrs)
				if n, ok := names[objs[i].Attrs["role"]]; ok {
					objs[i].Attrs["role"] = n
				}
			}
		}
		if *asJSON {
			return writeJSON(s, map[string]any{"community": pos[len(pos)-1], pos[0]: localObjectsJSON(objs)})
		}
		// A message's channel by its name, as -channel takes it.
		channels := map[string]string{}
		if kind == platform.KindMessage {
			chs, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindChannel, Community: co})
			if err != nil {
				return fail(err)
			}
			for _, c := range chs {
				channels[c.ID] = "#" + c.Attrs["name"]
			}
		}
		rows := make([][]string, len(objs))
		for i, o := range objs {
			who := o.Attrs["name"] + o.Attrs["author"]
			if kind == platform.KindDirectMessage {
				// A conversation with a member: hearth writes to them, or
				// they write to hearth (a survey reply).
				who = "to " + o.Attrs["member"]
				if a := o.Attrs["author"]; a != "" {
					who = "from " + a
				}
			}
			rows[i] = []string{o.ID, who, o.Attrs["posted_at"] + o.Attrs["joined_at"], o.Attrs["text"]}
			switch kind {
			case platform.KindRoleAssignment:
				rows[i] = []string{o.Attrs["member"], o.Attrs["role"]}
			case platform.KindMessage:
				ch := cmp.Or(channels[o.Attrs["channel"]], o.Attrs["channel"])
				rows[i] = []string{o.ID, ch, who, o.Attrs["posted_at"], o.Attrs["text"]}
			}
		}
		writeTextRows(s.out, rows)
		if len(objs) == 0 {
			fmt.Fprintln(s.out, "(none)")
		}
	}
	return 0
}

// localPlatform is the local platform block a hearth local command acts
// on: the one named by -platform (name, NAME, or address,
// platform.local.NAME), else the only one, else the one of the community
// the command names (a sub-community's is its block's). Several and no
// way to choose, or a name that is none of them, is an error naming the
// choices.
func localPlatform(cfg *config.Config, dir, name, community string) (*config.Platform, error) {
	var all []*config.Platform
	var names []string
	for _, p := range cfg.Platforms {
		if p.Type == local.Type {
			all = append(all, p)
			names = append(names, p.Name)
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("the configuration in %s has no platform \"local\" block", dir)
	}
	if name != "" {
		short := strings.TrimPrefix(name, "platform."+local.Type+".")
		for _, p := range all {
			if p.Name == short {
				return p, nil
			}
		}
		return nil, fmt.Errorf("-platform %s: the configuration has no local platform of that name.%s The local platforms are: %s", name, didYouMean(short, names), strings.Join(names, ", "))
	}
	if len(all) == 1 {
		return all[0], nil
	}
	if c, _ := cfg.Family(community); c != nil && c.Platform != nil && c.Platform.Type == local.Type {
		return c.Platform, nil
	}
	return nil, fmt.Errorf("the configuration has %d local platforms (%s): choose one with -platform NAME", len(all), strings.Join(names, ", "))
}

// localObjectsJSON is what local show -json lists: each object's id and
// its attributes, empty ones (no mute) left out; [] when there is none.
func localObjectsJSON(objs []platform.Object) []map[string]string {
	out := make([]map[string]string, 0, len(objs))
	for _, o := range objs {
		m := map[string]string{"id": o.ID}
		for k, v := range o.Attrs {
			if v != "" {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// notOnLocal says that the local platform has no kind named name, and
// what it has instead: nothing of the kind before hearth apply has made
// it (or a configured one it has yet to make), else a near name or the
// names there are.
func notOnLocal(kind platform.Kind, name string, there []string, configured bool) error {
	if len(there) == 0 || configured {
		return fmt.Errorf("no %s named %q on the local platform; run hearth apply first", kind, name)
	}
	plural := string(kind) + "s"
	if kind == platform.KindCommunity {
		plural = "communities"
	}
	slices.Sort(there)
	return fmt.Errorf("no %s named %q on the local platform.%s", kind, name, suggestOrList(name, there, plural))
}

// memberNotFound explains err, a platform call's failure, when it is
// because id (given with flag) is no member id on the local platform
// plat: the flag takes the id join printed (mb-1), not a name. A name one
// of its members goes by gets the id to pass; else up to five ids are
// listed. Any other error, or an id the platform has, is err as it was.
func memberNotFound(ctx context.Context, lc *local.Conn, plat, flag, id string, err error) error {
	if id == "" || !errors.Is(err, platform.ErrNotFound) {
		return err
	}
	// Every community's members: a referrer may be of any of them.
	communities, rerr := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindCommunity})
	if rerr != nil {
		return err
	}
	type member struct{ id, name string }
	var members []member
	seen := map[string]bool{}
	for _, co := range communities {
		objs, rerr := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: co.ID})
		if rerr != nil {
			return err
		}
		for _, o := range objs {
			if !seen[o.ID] {
				seen[o.ID] = true
				members = append(members, member{o.ID, o.Attrs["name"]})
			}
		}
	}
	if seen[id] {
		return err // a member, not of that community: the error says so
	}
	var named []string
	for _, m := range members {
		if strings.EqualFold(m.name, id) {
			named = append(named, m.id)
		}
	}
	msg := fmt.Sprintf("%s %s: no member with that id is in a community on local platform %q; %s takes a member id on that platform (mb-N, as hearth local join printed it).", flag, id, plat, flag)
	switch {
	case len(named) == 1:
		msg += fmt.Sprintf(" %s is the name of %s; pass %s %s.", id, named[0], flag, named[0])
	case len(named) > 1:
		msg += fmt.Sprintf(" %s is the name of %s; pass %s with the one you mean.", id, strings.Join(named, ", "), flag)
	case len(members) == 0:
		msg += " It has no members yet: hearth local join adds one."
	default:
		slices.SortFunc(members, func(a, b member) int { return cmpMemberIDs(a.id, b.id) })
		var ids []string
		for _, m := range members[:min(len(members), 5)] {
			if m.name != "" {
				ids = append(ids, fmt.Sprintf("%s (%s)", m.id, m.name))
			} else {
				ids = append(ids, m.id)
			}
		}
		if n := len(members) - len(ids); n > 0 {
			msg += fmt.Sprintf(" Its members include %s and %d more (hearth local show members COMMUNITY lists them).", strings.Join(ids, ", "), n)
		} else {
			msg += " Its members are " + strings.Join(ids, ", ") + "."
		}
	}
	return errors.New(msg)
}

// cmpMemberIDs orders mb-2 before mb-10, and other ids as text.
func cmpMemberIDs(a, b string) int {
	na, errA := strconv.Atoi(strings.TrimPrefix(a, "mb-"))
	nb, errB := strconv.Atoi(strings.TrimPrefix(b, "mb-"))
	if errA == nil && errB == nil && strings.HasPrefix(a, "mb-") && strings.HasPrefix(b, "mb-") {
		return na - nb
	}
	return strings.Compare(a, b)
}

// inConfig reports whether the configuration has a community or channel
// named name (a channel's block name or title): one apply has yet to
// make.
func inConfig(cfg *config.Config, kind platform.Kind, name string) bool {
	for _, c := range cfg.Communities {
		if kind == platform.KindCommunity && c.Name == name {
			return true
		}
		for _, ch := range c.Channels {
			if kind == platform.KindChannel && (ch.Name == name || ch.Title == name) {
				return true
			}
		}
	}
	return false
}

// postChannel finds the channel hearth local post posts in: the one
// named (by block name or title) in a community of the local platform,
// a capacity family's sub-community included, limited to the community
// -community names (by name or title). Where several have it, the one
// the member is in: a member moved into oss-2 posts in oss-2's copy.
// Errors name communities and channels as hearth does, never by the
// platform's ids. names gathers the names seen, for suggestions.
func postChannel(ctx context.Context, lc *local.Conn, cfg *config.Config, community, channel, member string, names map[platform.Kind][]string) (string, error) {
	communities, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil {
		return "", err
	}
	type place struct{ community, name, channel string }
	var found []place
	named := false
	for _, co := range communities {
		name := co.Attrs["name"]
		names[platform.KindCommunity] = append(names[platform.KindCommunity], name)
		if community != "" && community != name && community != co.Attrs["title"] {
			continue
		}
		named = true
		label := shownName(familyOf(cfg, name), platform.KindChannel, channel)
		chans, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindChannel, Community: co.ID})
		if err != nil {
			return "", err
		}
		for _, ch := range chans {
			if n := ch.Attrs["name"]; n == label || n == channel {
				found = append(found, place{co.ID, name, ch.ID})
				break
			}
			if !slices.Contains(names[platform.KindChannel], ch.Attrs["name"]) {
				names[platform.KindChannel] = append(names[platform.KindChannel], ch.Attrs["name"])
			}
		}
	}
	switch {
	case community != "" && !named:
		return "", notOnLocal(platform.KindCommunity, community, names[platform.KindCommunity], inConfig(cfg, platform.KindCommunity, community) || familyOf(cfg, community) != nil)
	case len(found) == 0:
		return "", notOnLocal(platform.KindChannel, channel, names[platform.KindChannel], inConfig(cfg, platform.KindChannel, channel))
	case len(found) == 1:
		return found[0].channel, nil
	}
	var in []string
	for _, f := range found {
		ms, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindMember, Community: f.community})
		if err != nil {
			return "", err
		}
		if slices.ContainsFunc(ms, func(o platform.Object) bool { return o.ID == member }) {
			in = append(in, f.name)
		}
	}
	switch {
	case len(in) > 1:
		return "", fmt.Errorf("member %q is in %s, which all have channel %q: give -community with one of them", member, strings.Join(in, " and "), channel)
	case len(in) == 0:
		var where []string
		for _, f := range found {
			where = append(where, f.name)
		}
		return "", fmt.Errorf("member %q is in none of the communities with channel %q (%s): %w", member, channel, strings.Join(where, ", "), platform.ErrNotFound)
	}
	for _, f := range found {
		if f.name == in[0] {
			return f.channel, nil
		}
	}
	return "", nil
}

// familyOf is the community block whose family the community named
// belongs to (explorers for explorers-2); nil for none.
func familyOf(cfg *config.Config, name string) *config.Community {
	c, _ := cfg.Family(name)
	return c
}

// shownName is the name on the platform of c's channel or role block
// labelled label, its title: commands take block names, as the
// configuration writes them. label itself when c has no such block (a
// name on the platform, such as a title, given as it is).
func shownName(c *config.Community, kind platform.Kind, label string) string {
	if c == nil {
		return label
	}
	if kind == platform.KindChannel {
		for _, ch := range c.Channels {
			if ch.Name == label {
				return ch.Title
			}
		}
	}
	if kind == platform.KindRole {
		for _, r := range c.Roles {
			if r.Name == label {
				return r.Title
			}
		}
	}
	return label
}

// localShowKinds are what hearth local show lists.
var localShowKinds = map[string]platform.Kind{"members": platform.KindMember, "messages": platform.KindMessage, "dms": platform.KindDirectMessage, "roles": platform.KindRoleAssignment}

// localDirProblem says why the last argument, which names no
// configuration directory, was meant as one, or "" when it may be what it
// stands in for: one argument more than the verb takes, or, where the
// verb ends with text, a word that looks like a path (a slash, not a
// URL's, or an existing directory).
func localDirProblem(verb string, pos []string) string {
	n := len(pos)
	if n == 0 {
		return ""
	}
	last := pos[n-1]
	takes := map[string]int{"join": 1, "role": 1, "show": 2, "react": 0}
	count, fixed := takes[verb]
	switch {
	case fixed && n == count+1:
	case (verb == "post" || verb == "reply") && looksLikeDir(last):
	default:
		return ""
	}
	why := "no *.hcl files there"
	if info, err := os.Stat(last); err != nil {
		why = "no such directory"
	} else if !info.IsDir() {
		why = "not a directory"
	}
	return fmt.Sprintf("no configuration in %s (%s): the last argument is the configuration's directory", last, why)
}

// looksLikeDir is whether a word at the end of a message's text was
// more likely meant as the configuration's directory.
func looksLikeDir(word string) bool {
	if strings.Contains(word, "/") && !strings.Contains(word, "://") {
		return true
	}
	info, err := os.Stat(word)
	return err == nil && info.IsDir()
}

// localArgsProblem says what is missing or extra in a hearth local
// command's arguments (DIR taken off), or "" when they are complete.
func localArgsProblem(verb string, pos []string, name, id, member, channel, message, role string) string {
	switch verb {
	case "join":
		if (name == "" && id == "") || len(pos) != 1 {
			return "give -name (or -id) and the community block's name"
		}
	case "post":
		if member == "" || channel == "" || len(pos) == 0 {
			return "give -member, -channel and the text"
		}
	case "react":
		if member == "" || message == "" || len(pos) > 0 {
			return "give -member and -message, and no other argument"
		}
	case "reply":
		if member == "" || len(pos) < 2 {
			return "give -member, the community and the text"
		}
	case "role":
		if member == "" || role == "" || len(pos) != 1 {
			return "give -member, -role and the community block's name"
		}
	case "show":
		if len(pos) != 2 {
			return "give what to show (members, messages, dms or roles) and the community"
		}
		if _, ok := localShowKinds[pos[0]]; !ok {
			return fmt.Sprintf("%q: show members, messages, dms or roles.%s", pos[0], didYouMean(pos[0], []string{"members", "messages", "dms", "roles"}))
		}
	}
	return ""
}

// writeTextRows prints rows in aligned columns, the last a text that may
// have several lines (house rules): its further lines are indented under
// its first, where a tabwriter would start them at the left margin and
// lose the alignment of the rows after.
func writeTextRows(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0])-1)
	for _, r := range rows {
		// Names and ids stay on their line and column; the last cell, a
		// message, keeps its lines, each made safe on its own.
		for i := range widths {
			r[i] = termsafe.Field(r[i])
			widths[i] = max(widths[i], textwidth.Width(r[i]))
		}
	}
	indent := 0
	for _, n := range widths {
		indent += n + 2
	}
	for _, r := range rows {
		var b strings.Builder
		for i, n := range widths {
			b.WriteString(textwidth.PadRight(r[i], n+2))
		}
		lines := strings.Split(strings.TrimRight(r[len(r)-1], "\n"), "\n")
		b.WriteString(termsafe.Field(lines[0]))
		for _, l := range lines[1:] {
			b.WriteString("\n" + strings.Repeat(" ", indent) + termsafe.Field(l))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// localObjectVerbs are what hearth local channel and hearth local role
// do to a channel or role by hand, with the arguments each takes after
// -community.
var localObjectVerbs = map[string]map[string][]string{
	"channel": {"create": {"NAME"}, "rename": {"NAME", "NEW"}, "delete": {"NAME"}, "topic": {"NAME", "TOPIC"}},
	"role":    {"create": {"NAME"}, "rename": {"NAME", "NEW"}, "delete": {"NAME"}},
}

// runLocalObject makes, renames, deletes or retopics a channel or role
// (kind) in a community on the local platform outside hearth, as a
// moderator would, so that import (for one it makes) and drift (for a
// managed one it changes) can be tried. The local platform emits no
// event for any of these: its events are members' (joins, posts), as
// the rules read them.
func runLocalObject(ctx context.Context, s *stdio, kind, verb string, args []string) int {
	name := "local " + kind + " " + verb
	want := localObjectVerbs[kind][verb]
	fs := newFlags(s, name, localUsage)
	community := fs.String("community", "", "The community's name (its block's, or a sub-community's) the "+kind+" is in.")
	platName := fs.String("platform", "", "The local platform block to act on, by `NAME` or address, when the configuration has several.")
	vf := varFlags{quietCredentials: true} // reaches the local platform alone, which takes none
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	// DIR is the argument past the ones the verb takes: a new name or a
	// topic may be any text, a directory's name included.
	dir := "."
	if len(pos) == len(want)+1 {
		dir, pos = pos[len(pos)-1], pos[:len(pos)-1]
	}
	// A missing TOPIC or NEW would take DIR's place, and change the
	// topic or name to the directory's name: ask, unless DIR is given
	// after it too.
	missing := len(want) > 1 && len(pos) == len(want) && isConfigDir(pos[len(pos)-1])
	if len(pos) != len(want) || *community == "" || missing {
		return argError(s, name, "give -community and "+strings.Join(want, " and "))
	}
	fail := func(err error) int {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	plat, err := localPlatform(cfg, dir, *platName, *community)
	if err != nil {
		return fail(err)
	}
	conn, err := registry().Open(ctx, plat, cfg.PathsDir(), nil)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	lc := conn.(*local.Conn)
	cos, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil {
		return fail(err)
	}
	coID := ""
	var there []string
	for _, o := range cos {
		if o.Attrs["name"] == *community {
			coID = o.ID
		}
		there = append(there, o.Attrs["name"])
	}
	if coID == "" {
		return fail(notOnLocal(platform.KindCommunity, *community, there, inConfig(cfg, platform.KindCommunity, *community)))
	}
	k := platform.KindChannel
	if kind == "role" {
		k = platform.KindRole
	}
	if verb == "create" {
		resp, err := lc.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: k, Community: coID, Attrs: platform.Attrs{"name": pos[0]}})
		if err != nil {
			return fail(err)
		}
		// The block and import block that adopt it, as hearth drift
		// lists them (there, clear of the addresses taken).
		label := plan.BlockLabel(pos[0], k)
		for i := 2; blockTaken(cfg, *community, kind, label); i++ {
			label = plan.BlockLabel(pos[0], k) + "_" + strconv.Itoa(i)
		}
		block := fmt.Sprintf("%s %q {}", kind, label)
		if label != pos[0] {
			block = fmt.Sprintf("%s %q { title = %q }", kind, label, pos[0])
		}
		fmt.Fprintf(s.out, "created %s %s in %s as %s\n", kind, pos[0], *community, resp.Object.ID)
		fmt.Fprintf(s.out, "adopt it with %s in community %q, and:\n%s\n", block, *community, plan.ImportBlock("community."+*community+"."+kind+"."+label, resp.Object.ID))
		return 0
	}
	objs, err := platform.ReadAll(ctx, lc, platform.ReadRequest{Kind: k, Community: coID})
	if err != nil {
		return fail(err)
	}
	o, err := pickLocal(objs, k, pos[0], *community)
	if err != nil {
		return fail(err)
	}
	req := platform.ApplyRequest{Op: platform.OpUpdate, Kind: k, Community: coID, ID: o.ID}
	switch verb {
	case "rename":
		req.Attrs = platform.Attrs{"name": pos[1]}
	case "topic":
		req.Attrs = platform.Attrs{"topic": pos[1]}
	case "delete":
		req.Op = platform.OpDelete
	}
	if _, err := lc.Apply(ctx, req); err != nil {
		return fail(err)
	}
	was := fmt.Sprintf("%s %s (%s)", kind, o.Attrs["name"], o.ID)
	switch verb {
	case "rename":
		fmt.Fprintf(s.out, "renamed %s to %s by hand\n", was, pos[1])
	case "topic":
		fmt.Fprintf(s.out, "set the topic of %s to %q by hand\n", was, pos[1])
	case "delete":
		with := "its messages"
		if kind == "role" {
			with = "who held it"
		}
		fmt.Fprintf(s.out, "deleted %s by hand, with %s\n", was, with)
	}
	fmt.Fprintln(s.out, "if hearth manages it, hearth drift reports the change and hearth plan shows how apply puts it back")
	return 0
}

// blockTaken reports whether community's block has a channel or role
// (kind) block labelled label: an import to it would adopt another
// object than the one just made.
func blockTaken(cfg *config.Config, community, kind, label string) bool {
	for _, c := range cfg.Communities {
		if c.Name != community {
			continue
		}
		for _, ch := range c.Channels {
			if kind == "channel" && ch.Name == label {
				return true
			}
		}
		for _, r := range c.Roles {
			if kind == "role" && r.Name == label {
				return true
			}
		}
	}
	return false
}

// pickLocal is the channel or role (kind) arg names among objs: by id
// (ch-3), else by name, which must be one object's only, since names
// may repeat on a platform.
func pickLocal(objs []platform.Object, kind platform.Kind, arg, community string) (platform.Object, error) {
	var named []platform.Object
	var names []string
	for _, o := range objs {
		if o.ID == arg {
			return o, nil
		}
		if o.Attrs["name"] == arg {
			named = append(named, o)
		}
		if !slices.Contains(names, o.Attrs["name"]) {
			names = append(names, o.Attrs["name"])
		}
	}
	switch len(named) {
	case 1:
		return named[0], nil
	case 0:
		slices.Sort(names)
		return platform.Object{}, fmt.Errorf("no %s named %q in %s on the local platform.%s", kind, arg, community, suggestOrList(arg, names, string(kind)+"s"))
	}
	ids := make([]string, len(named))
	for i, o := range named {
		ids[i] = o.ID
	}
	return platform.Object{}, fmt.Errorf("%d %ss in %s are named %q (%s): give the id of the one you mean", len(named), kind, community, arg, strings.Join(ids, ", "))
}
