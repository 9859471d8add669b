package plan_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
)

// A block renamed without a moved block plans a destroy and a create;
// the plan says after it which moved block would keep the object. A
// pin follows its channel and gets no hint of its own; among several
// renames of one kind, each pairs with the one its other attributes
// match; a destroy alone, or a moved block written, gets none.
func TestRenameHints(t *testing.T) {
	type pair struct{ from, to string }
	for _, tc := range []struct {
		name   string
		config func(string) string
		want   []pair
	}{
		{"one channel renamed", func(s string) string {
			return strings.Replace(s, `channel "general" {`, `channel "lobby" {`, 1)
		}, []pair{{"community.c.channel.general", "community.c.channel.lobby"}}},
		{"two channels renamed", func(s string) string {
			s = strings.Replace(s, `channel "random" {}`, `channel "chatter" {}`, 1)
			return strings.Replace(s, `channel "news" {`, `channel "updates" {`, 1)
		}, []pair{{"community.c.channel.random", "community.c.channel.chatter"}, {"community.c.channel.news", "community.c.channel.updates"}}},
		{"a role renamed", func(s string) string {
			return strings.Replace(s, `role "mod" {`, `role "moderator" {`, 1)
		}, []pair{{"community.c.role.mod", "community.c.role.moderator"}}},
		{"a channel removed", func(s string) string {
			return strings.Replace(s, `channel "random" {}`, ``, 1)
		}, nil},
		{"a channel removed, a role added", func(s string) string {
			return strings.Replace(s, `channel "random" {}`, `role "helper" {}`, 1)
		}, nil},
		{"renamed with a moved block", func(s string) string {
			return strings.Replace(s, `channel "general" {`, `channel "lobby" {`, 1) + `
moved {
  from = "community.c.channel.general"
  to   = "community.c.channel.lobby"
}
`
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, base)
			f.mustApply(f.mustPlan())
			f.write(tc.config(base))
			p, err := f.plan(plan.Options{AllowRemovals: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []pair
			for _, h := range p.Hints {
				if h.Kind != "moved" {
					t.Errorf("hint kind %q; want moved", h.Kind)
				}
				got = append(got, pair{h.From, h.To})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("hints %+v; want %+v\n%s", got, tc.want, actions(p))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("hint %d: %+v; want %+v", i, got[i], tc.want[i])
				}
			}
			var text bytes.Buffer
			if err := p.WriteText(&text, false); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				block := "\n  moved {\n    from = \"" + w.from + "\"\n    to   = \"" + w.to + "\"\n  }\n"
				lead := "\nNote: If " + w.from + " was renamed to " + w.to + ", add a moved block to keep "
				if !strings.Contains(text.String(), lead) || !strings.Contains(text.String(), block) {
					t.Errorf("text lacks the note for %s:\n%s", w.from, text.String())
				}
			}
			if len(tc.want) == 0 && strings.Contains(text.String(), "Note:") {
				t.Errorf("a note where none is due:\n%s", text.String())
			}
			// The note comes after the plan's summary line.
			if i, j := strings.Index(text.String(), "Plan:"), strings.Index(text.String(), "Note:"); j >= 0 && j < i {
				t.Errorf("the note comes before the summary:\n%s", text.String())
			}
			var js bytes.Buffer
			if err := p.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Hints []plan.Hint `json:"hints"`
			}
			if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Hints) != len(tc.want) || (len(tc.want) > 0 && doc.Hints[0].From != tc.want[0].from) {
				t.Errorf("-json hints %+v; want %+v", doc.Hints, tc.want)
			}
		})
	}
}
