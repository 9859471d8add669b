package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// bareTime is a date and time member show prints without its zone.
var bareTime = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d([^ ]| [^U]|$)`)

// Every time member show prints says it is UTC, whatever zone the stored
// time is in and whatever the member's own zone: a member in Tokyo shown
// "joined 2026-01-01 09:00" leaves the reader guessing whose 09:00.
func TestMemberShowTimesSayUTC(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 1, day, hour, 0, 0, 0, tokyo) }
	m := &state.Member{
		ID: "kai", Name: "Kai", Locale: "ja", Timezone: "Asia/Tokyo",
		JoinedAt: at(1, 9), LastActiveAt: at(2, 9), EvaluatedAt: at(3, 9), Left: true, LeftAt: at(3, 9),
		Unsubscribed: map[string]time.Time{"email.news": at(2, 10)},
		Tier: state.TierState{Name: "core", Since: at(2, 11), History: []state.TierChange{{To: "core", At: at(2, 11), Event: "e2"}},
			Qualifying: []state.Qualification{{Tier: "gold", Since: at(2, 17)}, {Tier: "removed", Since: at(2, 18)}}},
		Segments: map[string]time.Time{"lurkers": at(2, 12)},
		Badges:   map[string]*state.BadgeHold{"first_post": {Count: 1, First: at(2, 13), Last: at(2, 13)}},
		Campaigns: map[string]*state.CampaignRun{
			"welcome": {Status: "active", StepName: "nudge", StepAt: at(2, 14), Due: at(9, 14), EnteredAt: at(1, 9), Runs: 1, Seq: 1},
			"meet":    {Status: "done", EndedAt: at(3, 8), Reason: "finished", EnteredAt: at(1, 9), Runs: 1, Key: "Go Night"},
		},
		KeysEnded:  map[string][]state.EndedKey{"meet": {{Key: "Go Night #41", At: at(2, 15), Reason: "finished"}}},
		Strikes:    1,
		Moderation: &state.Moderation{Decisions: []state.Decision{{At: at(2, 16), Rule: "community.c.moderation.ads", Action: "warn", Evidence: "x", Strikes: 1}}},
		RecheckAt:  at(4, 9),
	}
	m.Campaigns = map[string]*state.CampaignRun{"welcome": m.Campaigns["welcome"], state.RunID("meet", "Go Night"): m.Campaigns["meet"]}
	var b strings.Builder
	cfg := &config.Config{Tiers: []*config.Tier{{Name: "gold", Rank: 2, Window: 14 * 24 * time.Hour}}}
	printMember(&b, cfg, nil, m, at(3, 10))
	out := b.String()
	if bare := bareTime.FindAllString(out, -1); len(bare) > 0 {
		t.Errorf("times without their zone %q in:\n%s", bare, out)
	}
	for _, want := range []string{
		"  as of 2026-01-03 00:00 UTC, when",
		"  joined 2026-01-01 00:00 UTC, last active 2026-01-02 00:00 UTC; has left the community (2026-01-03 00:00 UTC)\n",
		"  locale ja, time zone Asia/Tokyo\n",
		"unsubscribed from email.news (2026-01-02 01:00 UTC)",
		"  tier core since 2026-01-02 02:00 UTC\n",
		"    2026-01-02 02:00 UTC  (none) -> core",
		"  qualifying for gold since 2026-01-02 08:00 UTC (window 14d: promoted from 2026-01-16 08:00 UTC if its when holds until then)\n",
		"  qualifying for removed since 2026-01-02 09:00 UTC\n",
		"lurkers (since 2026-01-02 03:00 UTC)",
		"first_post x1 (first 2026-01-02 04:00 UTC)",
		"at step nudge since 2026-01-02 05:00 UTC;",
		"ended (finished) 2026-01-02 23:00 UTC,",
		`ended (finished) 2026-01-02 06:00 UTC; member why`,
		"    2026-01-02 07:00 UTC  warn ",
		"  next recheck 2026-01-04 00:00 UTC\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("member show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "stale") {
		t.Errorf("member show calls a member stale before its recheck:\n%s", out)
	}
	// Past the recheck time, with no daemon to run it: stale.
	b.Reset()
	printMember(&b, cfg, nil, m, at(5, 9))
	for _, want := range []string{
		"  stale: rechecks due since 2026-01-04 00:00 UTC have not run (no daemon ran then)",
		"  next recheck 2026-01-04 00:00 UTC (overdue: not run)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("member show of a stale member lacks %q:\n%s", want, b.String())
		}
	}
}

// A mute or ban still running is told until when, in UTC.
func TestMemberShowModerationUntilSaysUTC(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	m := &state.Member{ID: "u1", Strikes: 2, EvaluatedAt: now, Moderation: &state.Moderation{
		MutedUntil: now.Add(time.Hour),
		Banned:     true,
		Decisions:  []state.Decision{{At: now.Add(-time.Hour), Rule: "community.c.moderation.spam", Action: "ban", Duration: "7d", Strikes: 2}},
	}}
	var b strings.Builder
	printModeration(&b, m, now)
	want := "  moderation: 2 live strikes, muted until 2026-03-02 11:00 UTC, banned until 2026-03-09 09:00 UTC\n" +
		"    2026-03-02 09:00 UTC  ban 7d     community.c.moderation.spam:  (strikes 2)\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// member show says when a finished run may still count as goal, while
// its conversion window is open as of the state.
func TestMemberShowConversionWindow(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 1, day, hour, 0, 0, 0, time.UTC) }
	c := &config.Campaign{Name: "welcome", ConversionWindow: 7 * 24 * time.Hour, Steps: []*config.Step{{Name: "hello"}}}
	for _, tc := range []struct {
		evaluated time.Time
		want      bool
	}{{at(3, 0), true}, {at(9, 0), false}} {
		m := &state.Member{ID: "u1", JoinedAt: at(1, 0), LastEventAt: tc.evaluated, EvaluatedAt: tc.evaluated,
			Campaigns: map[string]*state.CampaignRun{"welcome": {Status: "done", EnteredAt: at(1, 9), EndedAt: at(1, 9), Reason: "finished", Runs: 1, Seq: 1}}}
		var b strings.Builder
		printMember(&b, &config.Config{Campaigns: []*config.Campaign{c}}, nil, m, time.Now())
		hint := "(counts as goal if the goal holds by 2026-01-08 09:00 UTC: conversion_window 1w)"
		if got := strings.Contains(b.String(), hint); got != tc.want {
			t.Errorf("evaluated %s: hint shown %v, want %v:\n%s", tc.evaluated, got, tc.want, b.String())
		}
	}
}
