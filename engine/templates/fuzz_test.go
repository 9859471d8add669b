package templates

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

// hclQuote writes s as an HCL quoted template, leaving ${ and %{ active:
// the fuzzer's text is template syntax on purpose.
func hclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzRender renders arbitrary template text with arbitrary member and
// event values. Rendering must never panic, must give the same answer
// twice, and values members control (their name, event attributes) must
// come out verbatim: a name containing "${...}" is text, never a
// template to evaluate.
func FuzzRender(f *testing.F) {
	f.Add("Hi ${member.name}, ${member.points} points%{ if member.tier != \"\" } as ${member.tier}%{ endif }", "Ann", "help")
	f.Add("${event.channel} ${upper(member.name)} %{ for k, v in member.attrs }${k}=${v} %{ endfor }", "${var.secret}", "%{ if true }x%{ endif }")
	f.Add("${jsonencode(event)} ${length(member.name)} ${format(\"%05d\", member.points)}", "\x00\xff", "\u202e")
	f.Add("${member.attrs.missing} ${event.nope} ${1/0}", "你好", "")
	dir := f.TempDir()
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}, LookupEnv: func(string) (string, bool) { return "", false }}
	f.Fuzz(func(t *testing.T, text, name, value string) {
		if !utf8.ValidString(text) {
			return // HCL files are UTF-8; the loader's own fuzzer covers bad bytes
		}
		src := "template \"t\" {\n  text = {\n    en = " + hclQuote(text) + "\n  }\n}\n" +
			"template \"echo\" {\n  text = {\n    en = \"<${member.name}|${event.v}>\"\n  }\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _, diags := config.Load(dir, opts)
		if cfg == nil || diags.HasErrors() {
			return
		}
		var tpl, echo *config.Template
		for _, tp := range cfg.Templates {
			switch tp.Name {
			case "t":
				tpl = tp
			case "echo":
				echo = tp
			}
		}
		r := New(cfg)
		m := &rules.Member{ID: "m1", Name: name, Points: 7, Tier: "core", Attrs: map[string]any{"bio": value, "n": 3}}
		ev := map[string]any{"channel": value, "v": value, "n": 1.5}
		first, err1 := r.Render(tpl, m, ev, nil, time.Time{}, Plain)
		second, err2 := r.Render(tpl, m, ev, nil, time.Time{}, Plain)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(first, second) {
			t.Fatalf("two renders differ: %+v %v / %+v %v", first, err1, second, err2)
		}
		got, err := r.Render(echo, m, ev, nil, time.Time{}, Plain)
		if err != nil {
			t.Fatalf("echo template: %v", err)
		}
		if want := "<" + name + "|" + value + ">"; got.Text != want && utf8.ValidString(name) && utf8.ValidString(value) {
			t.Fatalf("member-controlled values changed on the way: got %q, want %q", got.Text, want)
		}
	})
}
