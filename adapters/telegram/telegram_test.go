package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/internal/mentiontest"
	"github.com/hearth-community/hearth/adapters/telegram"
	"github.com/hearth-community/hearth/adapters/telegram/telegramfake"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

var bg = context.Background()

func setup(t *testing.T) (*telegramfake.Server, *telegram.Conn, int64, string) {
	t.Helper()
	f := telegramfake.New(testToken)
	t.Cleanup(f.Close)
	chat := f.AddChat("Makers")
	id := strconv.FormatInt(chat, 10)
	c := open(t, telegram.New(), f, map[string]cty.Value{"chats": cty.ListVal([]cty.Value{cty.StringVal(id)})})
	return f, c, chat, id
}

func str(n int64) string { return strconv.FormatInt(n, 10) }

func TestOpenKeepsTheTokenSecret(t *testing.T) {
	f := telegramfake.New(testToken)
	defer f.Close()
	_, err := telegram.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token": cty.StringVal("999:wrong-secret"), "api_url": cty.StringVal(f.APIURL())}})
	if err == nil || !platform.IsPermanent(err) || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("a wrong token: %v; want a permanent error without the token", err)
	}
	if err == nil || !strings.Contains(err.Error(), "Unauthorized; Telegram does not know this token: copy it again from @BotFather") {
		t.Errorf("a wrong token: %v; want Telegram's answer and where to get the token", err)
	}
	// Nothing listens on port 1: a network error, which must not show
	// the URL (it holds the token).
	_, err = telegram.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token": cty.StringVal(testToken), "api_url": cty.StringVal("http://127.0.0.1:1")}})
	if err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("unreachable API: %v; want an error without the token", err)
	}
	_, err = telegram.New().Open(bg, platform.OpenRequest{Name: "main", Settings: map[string]cty.Value{
		"token": cty.StringVal(testToken), "api_url": cty.StringVal(f.APIURL()), "webhook_listen": cty.StringVal("127.0.0.1:0")}})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "webhook_secret") {
		t.Errorf("a webhook without a secret: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	f, c, _, chat := setup(t)
	f.RateLimitNext("sendMessage", 17)
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k", Community: chat, Channel: chat, Text: "hi"}
	_, err := c.Perform(bg, req)
	var rl *platform.RateLimitError
	if !errors.As(err, &rl) || rl.After != 17*time.Second {
		t.Fatalf("after a 429: %v; want a RateLimitError of 17s", err)
	}
	if cl, d := platform.Classify(err); cl != platform.ClassTemporary || d != 17*time.Second {
		t.Errorf("classified %v, %s", cl, d)
	}
	if _, err := c.Perform(bg, req); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if again, err := c.Perform(bg, req); err != nil || !again.Duplicate {
		t.Errorf("repeat: %+v, %v", again, err)
	}
	if n := len(f.Messages(mustInt(chat))); n != 1 {
		t.Errorf("%d messages; want 1", n)
	}
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func TestCommunityTitleAndDescription(t *testing.T) {
	f, c, chatN, chat := setup(t)
	all, err := platform.ReadAll(bg, c, platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil || len(all) != 1 || all[0].ID != chat || all[0].Attrs["title"] != "Makers" {
		t.Fatalf("communities: %+v, %v", all, err)
	}
	_, err = c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: chat, Attrs: platform.Attrs{"title": "Makers Guild", "description": "Build things"}})
	if err != nil {
		t.Fatal(err)
	}
	if title, desc := f.Chat(chatN); title != "Makers Guild" || desc != "Build things" {
		t.Errorf("chat %q %q", title, desc)
	}
	// Setting what is there already is success (Telegram says "not
	// modified").
	if _, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: chat, Attrs: platform.Attrs{"title": "Makers Guild"}}); err != nil {
		t.Errorf("the same title again: %v", err)
	}
	_, err = c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "x"}})
	if !errors.Is(err, platform.ErrUnsupported) || !strings.Contains(err.Error(), "import") {
		t.Errorf("creating a group: %v", err)
	}
}

// Administrator rights: a role is a set of rights; assigning it promotes,
// deleting the assignment demotes.
func TestAdminRights(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann := f.AddMember(chatN, "Ann")
	role, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: chat, Attrs: platform.Attrs{"name": "Moderator", "permissions": "pin_messages,delete_messages,restrict_members", "position": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if role.Object.ID != "admin:delete_messages,pin_messages,restrict_members" {
		t.Fatalf("role id %q", role.Object.ID)
	}
	a, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRoleAssignment, Community: chat, Attrs: platform.Attrs{"member": str(ann), "role": role.Object.ID}})
	if err != nil {
		t.Fatal(err)
	}
	status, rights, _ := f.Status(chatN, ann)
	if status != "administrator" || strings.Join(rights, ",") != "can_delete_messages,can_manage_chat,can_pin_messages,can_restrict_members" {
		t.Errorf("after promotion: %s %v", status, rights)
	}
	list, err := platform.ReadAll(bg, c, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: chat})
	if err != nil || len(list) != 1 || list[0].ID != a.Object.ID {
		t.Errorf("assignments %+v, %v; want %s", list, err, a.Object.ID)
	}
	_, err = c.Apply(bg, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindRole, Community: chat, ID: role.Object.ID, Attrs: platform.Attrs{"permissions": "pin_messages"}})
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("changing a role's rights: %v; want ErrInvalid", err)
	}
	if _, err := c.Apply(bg, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindRoleAssignment, Community: chat, ID: a.Object.ID}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.Status(chatN, ann); status != "member" {
		t.Errorf("after demotion: %s", status)
	}
	_, err = c.Apply(bg, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: chat, Attrs: platform.Attrs{"name": "x", "permissions": "fly"}})
	if !errors.Is(err, platform.ErrInvalid) || !strings.Contains(err.Error(), "pin_messages") {
		t.Errorf("an unknown right: %v", err)
	}
}

func TestModeration(t *testing.T) {
	f, c, chatN, chat := setup(t)
	bob := f.AddMember(chatN, "Bob")
	before := time.Now()
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionMute, Key: "m", Community: chat, Member: str(bob), Duration: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	status, _, until := f.Status(chatN, bob)
	if status != "restricted" || until < before.Add(2*time.Hour).Unix()-1 || until > before.Add(2*time.Hour).Unix()+60 {
		t.Errorf("after a 2h mute: %s until %d", status, until)
	}
	m, err := c.Import(bg, platform.ImportRequest{Kind: platform.KindMember, Community: chat, ID: str(bob)})
	if err != nil || m.Object.Attrs["muted_until"] == "" {
		t.Errorf("muted member: %+v, %v", m.Object, err)
	}
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionUnmute, Key: "u", Community: chat, Member: str(bob)}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.Status(chatN, bob); status != "member" {
		t.Errorf("after unmute: %s", status)
	}
	_, err = c.Perform(bg, platform.PerformRequest{Action: platform.ActionMute, Key: "m2", Community: chat, Member: str(bob), Duration: 10 * time.Second})
	if !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("a 10s mute (Telegram would make it forever): %v; want ErrInvalid", err)
	}
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionBan, Key: "b", Community: chat, Member: str(bob), Duration: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if status, _, until := f.Status(chatN, bob); status != "kicked" || until == 0 {
		t.Errorf("after a 2-day ban: %s until %d", status, until)
	}
	// A DM to someone who never started the bot is refused for good:
	// the member is unreachable, which the outbox skips with the reason.
	carl := f.AddMember(chatN, "Carl")
	_, err = c.Perform(bg, platform.PerformRequest{Action: platform.ActionDirectMessage, Key: "dm", Community: chat, Member: str(carl), Text: "hi"})
	if err == nil || !platform.IsPermanent(err) || !strings.Contains(err.Error(), "initiate") || !errors.Is(err, platform.ErrMemberUnreachable) {
		t.Errorf("a DM before /start: %v; want a permanent ErrMemberUnreachable", err)
	}
}

// The webhook takes updates with the right secret only, answers after
// the event is delivered, and delivers a re-posted update once.
func TestWebhook(t *testing.T) {
	f := telegramfake.New(testToken)
	defer f.Close()
	chatN := f.AddChat("Makers")
	chat := str(chatN)
	c := open(t, telegram.New(), f, map[string]cty.Value{
		"chats":          cty.ListVal([]cty.Value{cty.StringVal(chat)}),
		"webhook_listen": cty.StringVal("127.0.0.1:0"),
		"webhook_url":    cty.StringVal("https://hooks.example.org/tg/makers"),
		"webhook_secret": cty.StringVal("s3cret-Token_1"),
	})
	got := make(chan platform.Delivery, 8)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, platform.StreamRequest{Follow: true, Communities: map[string]string{chat: "makers"}}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	for c.WebhookAddr() == "" {
		select {
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if url, secret := f.Webhook(); url != "https://hooks.example.org/tg/makers" || secret != "s3cret-Token_1" {
		t.Errorf("setWebhook got %q %q", url, secret)
	}
	update := `{"update_id":41,"message":{"message_id":7,"date":1790000000,"text":"hello https://x.org","entities":[{"type":"url","offset":6,"length":13}],
		"chat":{"id":` + chat + `,"type":"supergroup","title":"Makers"},"from":{"id":5000000001,"is_bot":false,"first_name":"Ann"}}}`
	post := func(secret, body string) int {
		req, _ := http.NewRequest("POST", "http://"+c.WebhookAddr()+"/tg/makers", bytes.NewReader([]byte(body)))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("", update); code != 401 {
		t.Errorf("no secret: %d", code)
	}
	if code := post("wrong", update); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}
	if code := post("s3cret-Token_1", "{"); code != 400 {
		t.Errorf("not JSON: %d", code)
	}
	if code := post("s3cret-Token_1", update); code != 200 {
		t.Fatalf("the update: %d", code)
	}
	d := <-got
	if d.Event.Type != "message.posted" || d.Event.Member.ID != "5000000001" || d.Event.Community != "makers" || d.Cursor != "41" ||
		d.Event.Attrs["links"] != 1 || d.Event.ID != "telegram."+chat+".msg.7" {
		t.Errorf("delivery %+v", d)
	}
	if code := post("s3cret-Token_1", update); code != 200 {
		t.Errorf("the update again: %d", code)
	}
	select {
	case d := <-got:
		t.Errorf("a re-posted update was delivered again: %+v", d)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stream returned %v", err)
	}
	// With the webhook set, getUpdates is refused by Telegram.
	c2 := open(t, telegram.New(), f, nil)
	err := c2.Stream(bg, platform.StreamRequest{}, func(context.Context, platform.Delivery) error { return nil })
	if err == nil || !platform.IsPermanent(err) || !strings.Contains(err.Error(), "webhook") {
		t.Errorf("getUpdates with a webhook set: %v", err)
	}
}

// Joins, leaves and reactions are events, from getUpdates with the
// offset as cursor.
func TestUpdatesToEvents(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann := f.AddMember(chatN, "Ann")
	msg := f.Post(chatN, ann, "hi")
	f.React(chatN, ann, msg, "🔥")
	f.Leave(chatN, ann)
	var types []string
	var last string
	err := c.Stream(bg, platform.StreamRequest{Communities: map[string]string{chat: "makers"}}, func(_ context.Context, d platform.Delivery) error {
		types = append(types, d.Event.Type)
		last = d.Cursor
		if d.Event.Type == "reaction.added" && (d.Event.Attrs["emoji"] != "🔥" || d.Event.Attrs["target"] != strconv.Itoa(msg)) {
			t.Errorf("reaction %+v", d.Event)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(types, " ") != "member.joined message.posted reaction.added member.left" {
		t.Errorf("events %v", types)
	}
	var again []string
	_ = c.Stream(bg, platform.StreamRequest{After: last}, func(_ context.Context, d platform.Delivery) error {
		again = append(again, d.Event.Type)
		return nil
	})
	if len(again) != 0 {
		t.Errorf("after the last cursor: %v", again)
	}
}

// Conns of one adapter share their keys: the same key from two Conns at
// once sends one message.
func TestKeysAcrossConns(t *testing.T) {
	f := telegramfake.New(testToken)
	defer f.Close()
	chatN := f.AddChat("Makers")
	chat := str(chatN)
	a := telegram.New()
	conns := []*telegram.Conn{open(t, a, f, nil), open(t, a, f, nil)}
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "race", Community: chat, Channel: chat, Text: "once"}
	type result struct {
		resp platform.PerformResponse
		err  error
	}
	results := make(chan result, 8)
	for i := range 8 {
		go func() {
			resp, err := conns[i%2].Perform(bg, req)
			results <- result{resp, err}
		}()
	}
	fresh := 0
	for range 8 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !r.resp.Duplicate {
			fresh++
		}
	}
	if fresh != 1 || len(f.Messages(chatN)) != 1 {
		t.Errorf("%d fresh answers and %d messages; want 1 and 1", fresh, len(f.Messages(chatN)))
	}
}

// streamAll reads every update there is, as events.
func streamAll(t *testing.T, c *telegram.Conn, chat string) []platform.Delivery {
	t.Helper()
	var out []platform.Delivery
	err := c.Stream(bg, platform.StreamRequest{Communities: map[string]string{chat: "makers"}}, func(_ context.Context, d platform.Delivery) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A reaction names the member reacted to (target_member), whom the
// message_reaction update does not name: the stream remembers who wrote
// the messages it saw, so reaction.received and "thanked" incentives
// hold. A reaction to a message it never saw has none.
func TestReactionTargetMember(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann, bo := f.AddMember(chatN, "Ann"), f.AddMember(chatN, "Bo")
	msg := f.Post(chatN, ann, "here is my robot")
	f.React(chatN, bo, msg, "👍")
	f.React(chatN, bo, 999, "👍")
	var targets []any
	for _, d := range streamAll(t, c, chat) {
		if d.Event.Type == "reaction.added" {
			targets = append(targets, d.Event.Attrs["target_member"])
		}
	}
	if len(targets) != 2 || targets[0] != str(ann) || targets[1] != nil {
		t.Errorf("target_member of the reactions %v; want [%d <nil>]", targets, ann)
	}
	// Across calls of Stream on one Conn (hearth run resumes after a
	// failure) the authors are kept.
	f.React(chatN, ann, msg, "🔥")
	later := 0
	for _, d := range streamAll(t, c, chat) {
		// A Stream without a cursor reads the unconfirmed updates again.
		if d.Event.Type == "reaction.added" && d.Event.Member.ID == str(ann) {
			later++
			if d.Event.Attrs["target_member"] != str(ann) {
				t.Errorf("a later reaction: target_member %v; want %d", d.Event.Attrs["target_member"], ann)
			}
		}
	}
	if later != 1 {
		t.Errorf("%d later reactions; want 1", later)
	}
}

// In a forum every message of a topic replies to the message that made
// the topic: that is no reply (reply_to), while a reply to a member's
// message in the topic is; thread is the topic.
func TestForumTopicReplies(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann, bo := f.AddMember(chatN, "Ann"), f.AddMember(chatN, "Bo")
	topic := f.AddTopic(chatN, ann, "Robots")
	first := f.PostWith(chatN, ann, "my robot", telegramfake.PostOptions{Topic: topic})
	reply := f.PostWith(chatN, bo, "nice", telegramfake.PostOptions{Topic: topic, ReplyTo: first})
	plain := f.PostWith(chatN, bo, "outside topics", telegramfake.PostOptions{ReplyTo: first})
	got := map[string]map[string]any{}
	for _, d := range streamAll(t, c, chat) {
		if d.Event.Type == "message.posted" {
			got[d.Event.Attrs["post_id"].(string)] = d.Event.Attrs
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d messages posted; want 3 (the topic's service message is none): %v", len(got), got)
	}
	want := []struct {
		msg           int
		replyTo, thrd any
	}{
		{first, nil, strconv.Itoa(topic)},
		{reply, strconv.Itoa(first), strconv.Itoa(topic)},
		{plain, strconv.Itoa(first), nil},
	}
	for _, w := range want {
		a := got[strconv.Itoa(w.msg)]
		if a["reply_to"] != w.replyTo || a["thread"] != w.thrd {
			t.Errorf("message %d: reply_to %v, thread %v; want %v, %v", w.msg, a["reply_to"], a["thread"], w.replyTo, w.thrd)
		}
	}
}

// The fake's posts carry the entities Telegram finds (url, mention) and
// those given (text_link), so links and mentions are counted.
func TestPostEntities(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann := f.AddMember(chatN, "Ann")
	f.Post(chatN, ann, "see https://example.org/a and http://x.org, ask @bo_b")
	text := "read the guide, and tell @ann"
	link, ok := telegramfake.EntityOn(text, "the guide", "text_link", "https://example.org/guide")
	if !ok {
		t.Fatal("EntityOn found no part")
	}
	f.PostWith(chatN, ann, text, telegramfake.PostOptions{Entities: []telegramfake.Entity{link}})
	f.Post(chatN, ann, "plain words, an e@mail")
	var got [][2]any
	for _, d := range streamAll(t, c, chat) {
		if d.Event.Type == "message.posted" {
			got = append(got, [2]any{d.Event.Attrs["links"], d.Event.Attrs["mentions"]})
		}
	}
	want := [][2]any{{2, 1}, {1, 1}, {0, 0}}
	if len(got) != len(want) {
		t.Fatalf("messages %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: links, mentions %v; want %v", i+1, got[i], want[i])
		}
	}
	// Offsets count UTF-16 code units, as Telegram's do.
	if e, _ := telegramfake.EntityOn("🔥 go", "go", "url", ""); e.Offset != 3 || e.Length != 2 {
		t.Errorf("entity after an emoji: offset %d length %d; want 3 2", e.Offset, e.Length)
	}
}

// member.mention is the member's name under a text_mention entity of
// their user id, counted in UTF-16 as Telegram counts; a name with an @
// or markup stays text, and no parse mode reads it.
func TestMentionEntities(t *testing.T) {
	f, c, chatN, chat := setup(t)
	ann := f.AddMember(chatN, "Ann")
	name := "🔥 <b>Ann</b> @boss"
	msg := mentiontest.Render(t, telegram.Spec(), nil, "channel", str(ann), name, "Hi ${member.mention}! 🎉 ${member.mention}")
	shown := "🔥 <b>Ann</b> @\u2060boss"
	if want := "Hi " + shown + "! 🎉 " + shown; msg.Text != want {
		t.Fatalf("text %q; want %q", msg.Text, want)
	}
	if _, err := c.Perform(bg, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "k1", Community: chat, Channel: chat, Text: msg.Text, Mentions: msg.Mentions}); err != nil {
		t.Fatal(err)
	}
	got := f.Messages(chatN)
	sent := got[len(got)-1]
	var mentions []telegramfake.Entity
	for _, e := range sent.Entities {
		if e.Type == "text_mention" {
			mentions = append(mentions, e)
		}
	}
	// "Hi " is 3 units; the name is 2 (the emoji) + 1 + 10 + 1 + 1 + 1 (the joiner) + 4 = 20; "! 🎉 " 5.
	if len(mentions) != 2 || mentions[0].Offset != 3 || mentions[0].Length != 20 || mentions[1].Offset != 28 || mentions[1].Length != 20 {
		t.Fatalf("entities %+v; want text_mentions at 3 and 28, 20 long", sent.Entities)
	}
	for _, e := range mentions {
		if e.User == nil || e.User.ID != ann {
			t.Errorf("text_mention of %+v; want user %d", e.User, ann)
		}
	}
	// No id Telegram knows as a user: the name, and no mention.
	if m := telegram.Mention(config.MentionOf{ID: "m1", Name: "Ann"}); m.Marked || m.Text != "" {
		t.Errorf("Mention of a hearth id: %+v; want the name unmarked", m)
	}
}
