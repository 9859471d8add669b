package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

const laddered = `
tier "level5" {
  rank        = 1
  title       = "Level 5"
  description = "Trusted regular"
  when        = "member.messages >= 50"
}
tier "level6" {
  rank = 2
  when = "member.messages >= 100"
}
badge "helper" {
  title = "Helper"
  class = "gold"
}
`

// A level-up announcement reads the tier's title and description by the
// name the event carries, and a tier with no title gives its name; the
// badges likewise.
func TestTemplatesReadTierAndBadgeTitles(t *testing.T) {
	cfg, tpl := loadTemplate(t, laddered+`
template "t" {
  text = {
    en = "${member.name} reached ${tiers[event.to].title} (${tiers[event.to].description}, rank ${tiers[event.to].rank}); next: ${tiers.level6.title}; badge ${badges.helper.title} (${badges.helper.class})."
  }
}`)
	msg, err := New(cfg).Render(tpl, &rules.Member{Name: "Ann"}, map[string]any{"to": "level5"}, nil, time.Time{}, Plain)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Ann reached Level 5 (Trusted regular, rank 1); next: level6; badge Helper (gold)."; msg.Text != want {
		t.Errorf("got %q\nwant %q", msg.Text, want)
	}
}

// member.mention is the platform's mention, as it is even where what
// members wrote is quoted (a word joiner after each @), so it notifies;
// without one it is the member's name, quoted as the name is.
func TestMemberMention(t *testing.T) {
	cfg, tpl := loadTemplate(t, `
template "t" {
  text = { en = "Welcome ${member.mention}!" }
  html = { en = "<p>Welcome ${member.mention}!</p>" }
}`)
	r := New(cfg)
	m := &rules.Member{Name: "@ann<b>"}
	for _, tc := range []struct {
		to         Target
		text, html string
	}{
		{Target{Markup: Plain, Mention: "<@81234>"}, "Welcome <@81234>!", "<p>Welcome &lt;@81234&gt;!</p>"},
		{Target{Markup: AtMentions | Markdown, Mention: "@ann_b"}, "Welcome @ann_b!", "<p>Welcome @ann_b!</p>"},
		{Target{Markup: Plain}, "Welcome @ann<b>!", "<p>Welcome @ann&lt;b&gt;!</p>"},
		{Target{Markup: AtMentions}, "Welcome @\u2060ann<b>!", "<p>Welcome @ann&lt;b&gt;!</p>"},
	} {
		msg, err := r.RenderTo(tpl, m, nil, nil, time.Time{}, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Text != tc.text || msg.HTML != tc.html {
			t.Errorf("%+v: got %q, %q; want %q, %q", tc.to, msg.Text, msg.HTML, tc.text, tc.html)
		}
	}
}

// Validate knows tiers, badges and member.mention: a tier name none has
// is an error at its line, as a misspelt member field is.
func TestValidateTiersInTemplates(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`${tiers[event.to].title} ${member.mention} ${badges.helper.description}`, ""},
		{`${tiers.levl5.title}`, "levl5"},
		{`${badges.helper.colour}`, "colour"},
		{`${member.mentions}`, `member has no field "mentions"`},
	} {
		dir := t.TempDir()
		src := laddered + "template \"t\" {\n  text = { en = \"" + strings.ReplaceAll(tc.text, `"`, `\"`) + "\" }\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
		var errs []string
		for _, d := range diags.Errs() {
			errs = append(errs, d.Error())
		}
		got := strings.Join(errs, "\n")
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: %s", tc.text, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: %q, want an error naming %q", tc.text, got, tc.want)
		case tc.want != "" && !strings.Contains(got, "main.hcl:"):
			t.Errorf("%s: %q has no position", tc.text, got)
		}
	}
}

// The member's own tier, with a default for a member on none, as the
// README writes it.
func TestMembersTierTitleWithDefault(t *testing.T) {
	cfg, tpl := loadTemplate(t, laddered+`
template "t" {
  text = { en = "You are ${lookup(tiers, member.tier, {title = "newcomer"}).title}." }
}`)
	for tier, want := range map[string]string{"": "You are newcomer.", "level5": "You are Level 5.", "level6": "You are level6."} {
		msg, err := New(cfg).Render(tpl, &rules.Member{Tier: tier}, nil, nil, time.Time{}, Plain)
		if err != nil {
			t.Fatalf("tier %q: %v", tier, err)
		}
		if msg.Text != want {
			t.Errorf("tier %q: %q; want %q", tier, msg.Text, want)
		}
	}
}
