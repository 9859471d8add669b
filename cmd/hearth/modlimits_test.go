package main

import (
	"strings"
	"testing"
	"time"
)

// TestModerationLimits checks each adapter's declared moderation limits
// against what its Perform refuses, so validate refuses the same ladder
// rungs and rules the platform would.
func TestModerationLimits(t *testing.T) {
	const day = 24 * time.Hour
	specs := platformSpecs()
	for _, tc := range []struct {
		platform, action string
		d                time.Duration
		refused          string // "": allowed
	}{
		{"discord", "mute", 28 * day, ""},
		{"discord", "mute", 29 * day, "at most 28 days"},
		{"discord", "ban", 0, ""},
		{"discord", "ban", 7 * day, "no end date"},
		{"discord", "kick", 0, ""},
		{"discord", "remove", 0, ""},
		{"telegram", "mute", 10 * time.Second, "from 30 seconds to 366 days"},
		{"telegram", "mute", time.Hour, ""},
		{"telegram", "mute", 400 * day, "from 30 seconds to 366 days"},
		{"telegram", "ban", 0, ""},
		{"telegram", "ban", 7 * day, ""},
		{"telegram", "ban", 400 * day, "366 days"},
		{"matrix", "ban", day, "do not expire"},
		{"matrix", "ban", 0, ""},
		{"matrix", "mute", 60 * day, ""},
		{"slack", "mute", time.Hour, "no mute"},
		{"slack", "ban", 0, "no ban"},
		{"slack", "kick", 0, ""},
		{"slack", "remove", 0, ""},
		{"discourse", "kick", 0, "no kick"},
		{"discourse", "ban", 7 * day, ""},
		{"discourse", "mute", 90 * day, ""},
		{"local", "mute", 29 * day, "at most 28 days"},
		{"local", "ban", 365 * day, ""},
		{"wecom", "warn", 0, ""},
		{"wecom", "mute", time.Hour, "only send messages"},
		{"feishu", "warn", 0, "only posts in its group"},
		{"dingtalk", "remove", 0, "only posts in its group"},
		{"email", "ban", 0, "only sends mail"},
		{"webhook", "ban", 7 * day, ""},
		{"webhook", "mute", 90 * day, ""},
	} {
		spec, ok := specs[tc.platform]
		if !ok {
			t.Fatalf("no platform %q", tc.platform)
		}
		why, _ := spec.Moderation.Check(tc.action, tc.d)
		switch {
		case tc.refused == "" && why != "":
			t.Errorf("%s %s %s: refused (%s), want allowed", tc.platform, tc.action, tc.d, why)
		case tc.refused != "" && !strings.Contains(why, tc.refused):
			t.Errorf("%s %s %s: %q, want refused with %q", tc.platform, tc.action, tc.d, why, tc.refused)
		}
	}
}
