package outbox_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// A selection reads as the store's filter: platforms as actions keep
// their addresses, since back from now or at a time, never after now.
func TestSelectionFilter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		sel  outbox.Selection
		want state.OutboxFilter
		err  string // the message, the filter named "since"
	}{
		{sel: outbox.Selection{}, want: state.OutboxFilter{}},
		{sel: outbox.Selection{Status: "dead", Member: "ann", Campaign: "welcome"},
			want: state.OutboxFilter{Statuses: []string{"dead"}, Member: "ann", Campaign: "welcome"}},
		{sel: outbox.Selection{Platform: "discord.main"}, want: state.OutboxFilter{Platform: "platform.discord.main"}},
		{sel: outbox.Selection{Platform: "platform.discord.main"}, want: state.OutboxFilter{Platform: "platform.discord.main"}},
		{sel: outbox.Selection{Platform: "discord"}, want: state.OutboxFilter{Platform: "platform.discord"}},
		{sel: outbox.Selection{Since: "6h"}, want: state.OutboxFilter{Since: now.Add(-6 * time.Hour)}},
		{sel: outbox.Selection{Since: "2d"}, want: state.OutboxFilter{Since: now.Add(-48 * time.Hour)}},
		{sel: outbox.Selection{Since: "2026-02-01"}, want: state.OutboxFilter{Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{sel: outbox.Selection{Since: "2026-02-01T10:00:00Z"}, want: state.OutboxFilter{Since: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)}},
		{sel: outbox.Selection{Since: "yesterday"}, err: `since: "yesterday" is neither a duration back from now (6h, 2d) nor a time (RFC 3339, 2026-11-22T10:00:00Z, or a date, 2026-11-22)`},
		{sel: outbox.Selection{Since: "-6h"}, err: `since: "-6h" is neither a duration back from now`},
		{sel: outbox.Selection{Since: "2999-01-01"}, err: "since 2999-01-01 is after now: nothing has finished or been queued since"},
	}
	for _, c := range cases {
		got, err := c.sel.Filter(now)
		if c.err != "" {
			var bad *outbox.SelectionError
			if !errors.As(err, &bad) || bad.Field != "since" || len(err.Error()) < len(c.err) || err.Error()[:len(c.err)] != c.err {
				t.Errorf("%+v: error %v; want a *SelectionError saying %q", c.sel, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %+v, %v; want %+v", c.sel, got, err, c.want)
		}
	}
	_, err := outbox.Selection{Since: "soon"}.Filter(now)
	var bad *outbox.SelectionError
	if !errors.As(err, &bad) || bad.Named("-since") != `-since: "soon" is neither a duration back from now (6h, 2d) nor a time (RFC 3339, 2026-11-22T10:00:00Z, or a date, 2026-11-22)` {
		t.Errorf("named for a flag: %v", err)
	}
}

// A campaign or platform the configuration lacks is named with the one
// meant, or the names there are; one it has, or a type it has platforms
// of, is not.
func TestSelectionUnknownNames(t *testing.T) {
	cfg := &config.Config{
		Campaigns: []*config.Campaign{{Name: "welcome"}, {Name: "nudge"}},
		Platforms: []*config.Platform{{Type: "local", Name: "main"}, {Type: "discord", Name: "main"}},
	}
	cases := []struct {
		sel  outbox.Selection
		want []outbox.UnknownName
	}{
		{outbox.Selection{Campaign: "welcome", Platform: "discord"}, nil},
		{outbox.Selection{Platform: "local.main"}, nil},
		{outbox.Selection{Platform: "platform.discord.main"}, nil},
		{outbox.Selection{Campaign: "welcom"}, []outbox.UnknownName{{Filter: "campaign", Value: "welcom", Suggestion: "welcome",
			Warning: `there is no campaign named "welcom" in the configuration. Did you mean "welcome"?`}}},
		{outbox.Selection{Campaign: "zzz"}, []outbox.UnknownName{{Filter: "campaign", Value: "zzz",
			Warning: `there is no campaign named "zzz" in the configuration. The campaigns are: welcome, nudge.`}}},
		{outbox.Selection{Platform: "discrod"}, []outbox.UnknownName{{Filter: "platform", Value: "discrod", Suggestion: "discord",
			Warning: `there is no platform "discrod" in the configuration. Did you mean "discord"?`}}},
		{outbox.Selection{Campaign: "welcom", Platform: "slack.main"}, []outbox.UnknownName{
			{Filter: "campaign", Value: "welcom", Suggestion: "welcome", Warning: `there is no campaign named "welcom" in the configuration. Did you mean "welcome"?`},
			{Filter: "platform", Value: "slack.main", Warning: `there is no platform "slack.main" in the configuration. The platforms are: local.main, discord.main.`}}},
	}
	for _, c := range cases {
		if got := c.sel.UnknownNames(cfg); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v:\n got %+v\nwant %+v", c.sel, got, c.want)
		}
	}
	if got := (outbox.Selection{Campaign: "x"}).UnknownNames(&config.Config{}); len(got) != 1 || got[0].Warning != `there is no campaign named "x" in the configuration. There are no campaigns.` {
		t.Errorf("no campaigns: %+v", got)
	}
}
