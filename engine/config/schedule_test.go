package config_test

import (
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
)

func TestScheduleNext(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ten, _ := durations.ParseClock("10:00")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name   string
		s      config.Schedule
		from   string
		member *time.Location
		want   []string // the next occurrences, in UTC
		keys   []string
	}{
		{"monthly on the 1st in Berlin, winter and summer", config.Schedule{Every: "month", Day: 1, At: ten, Zone: berlin},
			"2026-01-01T09:00:00Z", nil, []string{"2026-02-01T09:00:00Z", "2026-03-01T09:00:00Z", "2026-04-01T08:00:00Z"}, []string{"2026-02-01", "2026-03-01", "2026-04-01"}},
		{"the last day of the month", config.Schedule{Every: "month", Day: config.LastDay, At: ten, Zone: time.UTC},
			"2026-01-15T00:00:00Z", nil, []string{"2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"}, nil},
		{"weekly on monday", config.Schedule{Every: "week", Weekday: time.Monday, At: ten, Zone: time.UTC},
			"2026-01-05T10:00:00Z", nil, []string{"2026-01-12T10:00:00Z", "2026-01-19T10:00:00Z"}, nil},
		{"daily across the spring change in Berlin", config.Schedule{Every: "day", At: ten, Zone: berlin},
			"2026-03-28T09:00:00Z", nil, []string{"2026-03-29T08:00:00Z", "2026-03-30T08:00:00Z"}, nil},
		{"each member's zone", config.Schedule{Every: "month", Day: 1, At: ten, Member: true},
			"2026-01-01T00:00:00Z", tokyo, []string{"2026-01-01T01:00:00Z", "2026-02-01T01:00:00Z"}, []string{"2026-01-01", "2026-02-01"}},
		{"starts and ends bound it", config.Schedule{Every: "month", Day: 1, At: ten, Zone: time.UTC, Starts: utc("2026-03-01T00:00:00Z"), Ends: utc("2026-04-01T10:00:00Z")},
			"2026-01-01T00:00:00Z", nil, []string{"2026-03-01T10:00:00Z", "2026-04-01T10:00:00Z"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.s.Upcoming(utc(c.from), c.member, 3)
			want := c.want
			if len(want) < 3 && c.s.Ends.IsZero() {
				got = got[:len(want)]
			}
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range want {
				if !got[i].Equal(utc(want[i])) {
					t.Errorf("occurrence %d: got %s, want %s", i, got[i], want[i])
				}
				if !c.s.Is(got[i], c.member) || c.s.Is(got[i].Add(time.Minute), c.member) {
					t.Errorf("Is(%s) is not an occurrence, or a minute later is", got[i])
				}
				if i < len(c.keys) && c.s.Key(got[i], c.member) != c.keys[i] {
					t.Errorf("key %d: got %s, want %s", i, c.s.Key(got[i], c.member), c.keys[i])
				}
			}
		})
	}
}

// A schedule decodes into the campaign: without time_zone, the hearth
// block's zone; late_by is the campaign's expire_after (a day unless
// set); a date in starts is the start of that day in the zone.
func TestScheduleDecoded(t *testing.T) {
	cfg, diags := loadSrc(t, `
hearth {
  timezone = "Asia/Tokyo"
}
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
template "hi" {
  text = { en = "Hi" }
}
segment "all" {
  when = "true"
}
campaign "weekly" {
  audience = segment.all
  schedule {
    every  = "week"
    day    = "Friday"
    at     = "18:30"
    starts = "2026-03-01"
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
campaign "daily" {
  audience = segment.all
  schedule {
    every     = "day"
    at        = "07:00"
    time_zone = "member"
    late_by   = "2h"
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`, testOptions(nil))
	if diags.HasErrors() || len(diags) > 0 {
		t.Fatalf("diagnostics:%s", describe(diags))
	}
	weekly, daily := cfg.Campaigns[0].Schedule, cfg.Campaigns[1].Schedule
	if weekly == nil || daily == nil {
		t.Fatal("no schedule decoded")
	}
	if weekly.Weekday != time.Friday || weekly.At.String() != "18:30" || weekly.ZoneName() != "Asia/Tokyo" || weekly.Member {
		t.Errorf("weekly: %+v", weekly)
	}
	if want := time.Date(2026, 2, 28, 15, 0, 0, 0, time.UTC); !weekly.Starts.Equal(want) {
		t.Errorf("starts %v; want the start of 2026-03-01 in Tokyo, %v", weekly.Starts, want)
	}
	if cfg.Campaigns[0].ExpireAfter != config.DefaultLateBy || cfg.Campaigns[1].ExpireAfter != 2*time.Hour {
		t.Errorf("expire_after %v and %v; want late_by's, 1d and 2h", cfg.Campaigns[0].ExpireAfter, cfg.Campaigns[1].ExpireAfter)
	}
	if !daily.Member || daily.ZoneName() != "member" || !cfg.Campaigns[1].Keyed() {
		t.Errorf("daily: %+v", daily)
	}
	if got := weekly.String(); got != "every week on friday at 18:30 Asia/Tokyo, from 2026-02-28T15:00:00Z" {
		t.Errorf("String() = %q", got)
	}
}
