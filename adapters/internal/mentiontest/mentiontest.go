// Package mentiontest renders a template's text as a send through a
// platform renders it, member.mention included, so an adapter's tests
// can perform the message the engine would queue and check what the
// platform gets.
package mentiontest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/templates"
)

// Render renders text (an HCL template string, without quotes) for the
// member whose id on the platform is id and whose name is name, sent as
// kind ("channel" or "dm") through a block of spec with settings: the
// markup and mention the runtime gives such a send.
func Render(t *testing.T, spec config.PlatformSpec, settings map[string]cty.Value, kind, id, name, text string) templates.Message {
	t.Helper()
	dir := t.TempDir()
	src := "template \"t\" {\n  text = {\n    en = " + strconv.Quote(text) + "\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	to := templates.Target{Markup: markup(spec, settings, kind)}
	if spec.Mention != nil {
		m := spec.Mention(config.MentionOf{ID: id, Name: name, Kind: kind, Settings: settings})
		to.Mention = m.Text
		if m.Marked {
			to.MentionID = id
		}
	}
	msg, err := templates.New(cfg).RenderTo(cfg.Templates[0], &rules.Member{ID: "m1", Name: name}, nil, nil, time.Time{}, to)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func markup(spec config.PlatformSpec, settings map[string]cty.Value, kind string) templates.Markup {
	m := templates.Plain
	if (kind == "channel" && spec.ChannelMarkdown != nil && spec.ChannelMarkdown(settings)) || (kind == "dm" && spec.DirectMarkup) {
		m |= templates.Markdown
	}
	if spec.AtMentions {
		m |= templates.AtMentions
	}
	if spec.AtTags {
		m |= templates.AtTags
	}
	return m
}
