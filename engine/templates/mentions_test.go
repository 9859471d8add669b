package templates

import (
	"reflect"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/rules"
)

// Where "@name" mentions a user (Telegram), names, attributes and event
// values members chose mention no one: a word joiner follows each of
// their @s. The template's own @mentions stay, and with Markdown too both
// quotings apply.
func TestAtMentionsQuoteMemberValues(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
locals {
  admins = "@club_admin"
}
template "t" {
  text = {
    en = "Welcome ${member.name} (${member.attrs.bio}), who said: ${event.text}. Ask @club_mod or ${local.admins}."
  }
}`)
	m := &rules.Member{Name: "@durov", Attrs: map[string]any{"bio": "friend of @ann_b and [x](u)"}}
	ev := map[string]any{"text": "hey @everyone_here, mail me at a@b.example"}
	r := New(cfg)
	for _, tc := range []struct {
		markup Markup
		want   string
	}{
		{Plain, "Welcome @durov (friend of @ann_b and [x](u)), who said: hey @everyone_here, mail me at a@b.example. Ask @club_mod or @club_admin."},
		{AtMentions, "Welcome @\u2060durov (friend of @\u2060ann_b and [x](u)), who said: hey @\u2060everyone_here, mail me at a@\u2060b.example. Ask @club_mod or @club_admin."},
		{AtMentions | Markdown, "Welcome @\u2060durov (friend of @\u2060ann_b and [x]\u2060(u)), who said: hey @\u2060everyone_here, mail me at a@\u2060b.example. Ask @club_mod or @club_admin."},
	} {
		msg, err := r.Render(tpl, m, ev, nil, time.Time{}, tc.markup)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Text != tc.want {
			t.Errorf("markup %d:\n got %q\nwant %q", tc.markup, msg.Text, tc.want)
		}
	}
}

func TestMentionText(t *testing.T) {
	for in, want := range map[string]string{
		"Ann":        "Ann",
		"@ann":       "@\u2060ann",
		"@a @b":      "@\u2060a @\u2060b",
		"你好@用户":      "你好@\u2060用户",
		"trailing @": "trailing @\u2060",
	} {
		if got := MentionText(in); got != want {
			t.Errorf("MentionText(%q) = %q; want %q", in, got, want)
		}
	}
}

// Where an <at ...> tag mentions someone (Feishu), a tag in what members
// wrote is shown as text, whoever it names; the template's own tags
// stay.
func TestAtTagsQuoteMemberValues(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
template "t" {
  text = {
    en = "<at user_id=\"ou_host\">Host</at>: ${member.name} said ${event.text}"
  }
}`)
	m := &rules.Member{Name: `Ann<at user_id="ou_boss">Boss</at>`}
	ev := map[string]any{"text": `< AT user_id='all'></at> and a<b`}
	msg, err := New(cfg).Render(tpl, m, ev, nil, time.Time{}, AtTags)
	if err != nil {
		t.Fatal(err)
	}
	want := `<at user_id="ou_host">Host</at>: Ann＜at user_id="ou_boss">Boss</at> said ＜ AT user_id='all'></at> and a<b`
	if msg.Text != want {
		t.Errorf("\n got %q\nwant %q", msg.Text, want)
	}
}

func TestAtTagText(t *testing.T) {
	for in, want := range map[string]string{
		`<at user_id="ou_1">A</at>`: `＜at user_id="ou_1">A</at>`,
		`<at>`:                      `＜at>`,
		`<atom> <a href=x> 1<2`:     `<atom> <a href=x> 1<2`,
		`x <At	email=a@b.c>`:        `x ＜At	email=a@b.c>`,
	} {
		if got := AtTagText(in); got != want {
			t.Errorf("AtTagText(%q) = %q; want %q", in, got, want)
		}
	}
}

// Where the adapter makes the mention (Target.MentionID), member.mention
// shows the name (quoted as member.name is) or the platform's text, and
// the message says where, byte for byte; a value a member set that holds
// the mark used for it while rendering places no mention.
func TestMarkedMentions(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
template "t" {
  text = { en = "Hi ${member.mention}! ${member.name} ${member.mention}" }
  html = { en = "<p>${member.mention}</p>" }
}`)
	r := New(cfg)
	m := &rules.Member{Name: "Ann @x\uFDD0é"}
	msg, err := r.RenderTo(tpl, m, nil, nil, time.Time{}, Target{Markup: AtMentions, MentionID: "42"})
	if err != nil {
		t.Fatal(err)
	}
	name := "Ann @\u2060xé"
	if want := "Hi " + name + "! " + name + " " + name; msg.Text != want {
		t.Fatalf("text %q; want %q", msg.Text, want)
	}
	at := len("Hi " + name + "! " + name + " ")
	want := []platform.Mention{{ID: "42", Start: 3, End: 3 + len(name)}, {ID: "42", Start: at, End: at + len(name)}}
	if !reflect.DeepEqual(msg.Mentions, want) {
		t.Errorf("mentions %+v; want %+v", msg.Mentions, want)
	}
	if err := platform.CheckMentions(msg.Text, msg.Mentions); err != nil {
		t.Error(err)
	}
	if msg.HTML != "<p>Ann @x\uFDD0é</p>" {
		t.Errorf("html %q: the html part shows the name as it is", msg.HTML)
	}
	// The platform's own text in the marked place (DingTalk's @userId).
	msg, err = r.RenderTo(tpl, m, nil, nil, time.Time{}, Target{Mention: "@u42", MentionID: "u42"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Text != "Hi @u42! Ann @xé @u42" || !reflect.DeepEqual(msg.Mentions, []platform.Mention{{ID: "u42", Start: 3, End: 7}, {ID: "u42", Start: 18, End: 22}}) {
		t.Errorf("got %q %+v", msg.Text, msg.Mentions)
	}
	// Without member.mention, no mentions.
	_, plain := loadTemplate(t, `
template "p" {
  text = { en = "Hi ${member.name}" }
}`)
	if msg, err := r.RenderTo(plain, m, nil, nil, time.Time{}, Target{MentionID: "42"}); err != nil || msg.Mentions != nil {
		t.Errorf("no member.mention: %+v %v", msg, err)
	}
}
