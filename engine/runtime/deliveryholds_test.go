package runtime_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// member why tells of the sends the outbox holds at delivery: pending,
// with its quiet-hours reason, until a time still to come; one whose
// hold is over, another campaign's, another run's and a sent one are
// not. A send skipped as expired is a skip with its reason.
func TestDeliveryHoldsAndExpiredSkips(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	m := &state.Member{ID: "ann", Campaigns: map[string]*state.CampaignRun{
		"welcome": {Status: "done", Reason: "finished", EnteredAt: t0, EndedAt: t0, Runs: 1},
	}}
	morning := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	held := state.OutboxHeldQuietHours("21:00–09:00", "member")
	entry := func(key, campaign, status, reason string, next time.Time) state.OutboxEntry {
		return state.OutboxEntry{Action: state.Action{Key: key, Kind: "send.dm", Member: "ann", Campaign: campaign, Step: "hello", At: t0},
			Status: status, LastError: reason, NextAt: next}
	}
	outbox := []state.OutboxEntry{
		entry("a", "welcome", state.OutboxPending, held, morning),
		entry("b", "welcome", state.OutboxPending, "503 Service Unavailable", morning),
		entry("c", "other", state.OutboxPending, held, morning),
		entry("d", "welcome", state.OutboxSent, held, morning),
	}
	at := time.Date(2026, 11, 25, 0, 15, 0, 0, time.UTC)
	want := []runtime.Hold{{Run: "welcome", Reason: state.HoldQuietHours, QuietHours: "21:00–09:00", TimeZone: "member", Until: morning, AtDelivery: true, Step: "hello"}}
	if got := runtime.DeliveryHolds(m, "campaign.welcome", outbox, at); !reflect.DeepEqual(got, want) {
		t.Errorf("holds %+v; want %+v", got, want)
	}
	if got := runtime.DeliveryHolds(m, "campaign.welcome", outbox, morning); got != nil {
		t.Errorf("at the end of the quiet hours: %+v; want none", got)
	}
	if window, zone, ok := state.OutboxHeldQuiet(state.OutboxHeldQuietHours("22:00–08:00", "Asia/Tokyo")); !ok || window != "22:00–08:00" || zone != "Asia/Tokyo" {
		t.Errorf("read back %q %q %v", window, zone, ok)
	}

	expired := state.OutboxExpired("1w", t0)
	skipped := entry("a", "welcome", state.OutboxSkipped, expired, t0)
	skipped.FinishedAt = at
	got := runtime.New(loadEmail(t, backCampaigns), nil).Skips(m, "campaign.welcome", nil, []state.OutboxEntry{skipped})
	w := runtime.Skip{Run: "welcome", Step: "hello", Reason: runtime.SkipExpired, Detail: expired, At: at, Queued: true}
	if len(got) != 1 || got[0] != w {
		t.Errorf("skips %+v; want %+v", got, w)
	}
	if runtime.DeliverySkip(expired) != runtime.SkipExpired {
		t.Errorf("DeliverySkip(%q) = %q", expired, runtime.DeliverySkip(expired))
	}
}
