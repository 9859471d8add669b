package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// guardedConfig has a campaign with quiet hours 21:00–09:00 in the
// member's zone and sends expiring after two days, one whose sends never
// expire, and a campaign with no quiet hours and the default expiry.
func guardedConfig() *config.Config {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	return &config.Config{
		Settings: config.Settings{Timezone: time.UTC},
		Campaigns: []*config.Campaign{
			{Name: "welcome", ExpireAfter: 2 * durations.Day, QuietHours: &config.QuietHours{From: 21 * 60, To: 9 * 60}},
			{Name: "forever", ExpireAfter: 0},
			{Name: "plain", ExpireAfter: config.DefaultExpireAfter},
			{Name: "tokyo", ExpireAfter: config.DefaultExpireAfter, QuietHours: &config.QuietHours{From: 21 * 60, To: 9 * 60, Timezone: tokyo}},
		},
	}
}

// A campaign's send that goes out late is decided again at its
// delivery: expired past its campaign's expire_after (the default for a
// campaign no longer configured), held until the end of the quiet hours
// in the member's zone (or the campaign's) when it would go out inside
// them, and sent otherwise. A transactional send expires but is never
// held; an action that is no campaign's send goes as before; so does
// everything without a configuration.
func TestRulesDecideAtDelivery(t *testing.T) {
	rules := outbox.NewRules(guardedConfig())
	due := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	send := func(campaign string) state.Action {
		return state.Action{Key: "k", Kind: "send.dm", Member: "ann", Campaign: campaign, Step: "hello", At: due}
	}
	transactional := func(campaign string) state.Action {
		a := send(campaign)
		a.Kind, a.Transactional = "send.email", true
		return a
	}
	utc := map[string]state.Recipient{"ann": {}}
	welcome := state.Action{Key: state.WelcomeKeyPrefix + "club/e1", Kind: "send.channel", Member: "ann", Community: "club", Target: "general", Text: "Hi", At: due}
	paris := map[string]state.Recipient{"ann": {Timezone: "Europe/Paris"}}
	night := time.Date(2026, 11, 11, 23, 30, 0, 0, time.UTC) // a day and a half late, in the quiet hours
	for _, c := range []struct {
		name       string
		a          state.Action
		recipients map[string]state.Recipient
		at         time.Time
		skip, hold string
		until      time.Time
	}{
		{"on time", send("welcome"), utc, due, "", "", time.Time{}},
		{"late, in the quiet hours", send("welcome"), utc, night, "", "held by quiet hours (21:00–09:00 in the member's time zone) when it was to go out", time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)},
		{"late, in the member's zone", send("welcome"), paris, time.Date(2026, 11, 11, 20, 30, 0, 0, time.UTC), "", "held by quiet hours (21:00–09:00 in the member's time zone) when it was to go out", time.Date(2026, 11, 12, 8, 0, 0, 0, time.UTC)},
		{"late, out of the quiet hours", send("welcome"), utc, time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC), "", "", time.Time{}},
		{"in the campaign's zone", send("tokyo"), utc, time.Date(2026, 11, 11, 13, 0, 0, 0, time.UTC), "", "held by quiet hours (21:00–09:00 in Asia/Tokyo) when it was to go out", time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)},
		{"expired", send("welcome"), utc, due.Add(2*durations.Day + time.Second), "expired: not sent within 2d of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		{"at its expiry", send("welcome"), utc, due.Add(2 * durations.Day), "", "", time.Time{}},
		{"never expires", send("forever"), utc, due.Add(400 * durations.Day), "", "", time.Time{}},
		{"default expiry", send("plain"), utc, due.Add(8 * durations.Day), "expired: not sent within 1w of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		{"removed campaign", send("gone"), utc, due.Add(8 * durations.Day), "expired: not sent within 1w of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		// A transactional send is not held by quiet hours, but expires
		// as the campaign's other sends do: a confirmation from history
		// replayed months later is sent to no one.
		{"transactional, in the quiet hours", transactional("welcome"), utc, night, "", "", time.Time{}},
		{"transactional, expired", transactional("welcome"), utc, night.Add(5 * durations.Day), "expired: not sent within 2d of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		{"transactional, default expiry", transactional("plain"), utc, due.Add(8 * durations.Day), "expired: not sent within 1w of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		{"transactional, never", transactional("forever"), utc, due.Add(400 * durations.Day), "", "", time.Time{}},
		{"not a campaign's", state.Action{Key: "w", Kind: "send.dm", Member: "ann", At: due}, utc, night.Add(5 * durations.Day), "", "", time.Time{}},
		{"member left first", send("welcome"), map[string]state.Recipient{"ann": {Left: true}}, night, outbox.SkippedLeft, "", time.Time{}},
		// A community's welcome expires as a campaign's sends do by
		// default: a join replayed from last year posts none today.
		{"welcome, a day late", welcome, utc, due.Add(durations.Day), "", "", time.Time{}},
		{"welcome, expired", welcome, utc, due.Add(8 * durations.Day), "expired: not sent within 1w of its time (2026-11-10 12:00 UTC)", "", time.Time{}},
		{"a channel message of no welcome", state.Action{Key: "alert/x", Kind: "send.channel", At: due}, utc, due.Add(30 * durations.Day), "", "", time.Time{}},
		// A send the runtime held (quiet hours) and queued at their end
		// counts its expire_after from when its step came due.
		{"held by the runtime, expired from its due time", func() state.Action { a := send("welcome"); a.Due = due.Add(-2 * durations.Day); return a }(), utc, due.Add(time.Hour), "expired: not sent within 2d of its time (2026-11-08 12:00 UTC)", "", time.Time{}},
		{"held by the runtime, within its expiry", func() state.Action { a := send("welcome"); a.Due = due.Add(-time.Hour); return a }(), utc, due.Add(time.Hour), "", "", time.Time{}},
		// not_after: dropped once past it, and at once when the quiet
		// hours would hold it past it.
		{"before its not_after", func() state.Action { a := send("welcome"); a.NotAfter = due.Add(time.Hour); return a }(), utc, due, "", "", time.Time{}},
		{"past its not_after", func() state.Action { a := send("welcome"); a.NotAfter = due.Add(time.Hour); return a }(), utc, due.Add(2 * time.Hour), "expired: not sent before its not_after (2026-11-10 13:00 UTC)", "", time.Time{}},
		{"held past its not_after", func() state.Action { a := send("welcome"); a.NotAfter = night.Add(time.Hour); return a }(), utc, night, "expired: not sent before its not_after (2026-11-12 00:30 UTC)", "", time.Time{}},
	} {
		dec := rules.Decide(c.a, c.recipients, c.at)
		if dec.Skip != c.skip || dec.Hold != c.hold || !dec.Until.Equal(c.until) || dec.Expired != strings.HasPrefix(c.skip, "expired") {
			t.Errorf("%s: %+v; want skip %q, hold %q until %s", c.name, dec, c.skip, c.hold, c.until)
		}
	}
	var none *outbox.Rules
	if dec := none.Decide(send("welcome"), utc, night.Add(30*durations.Day)); dec != (outbox.Delivery{}) {
		t.Errorf("without rules: %+v; want it sent", dec)
	}
	// With no configuration, a welcome still expires: it needs none.
	if dec := outbox.NewRules(nil).Decide(welcome, utc, due.Add(8*durations.Day)); !dec.Expired {
		t.Errorf("welcome without a configuration: %+v; want it expired", dec)
	}
}

// The dispatcher applies them: an expired send is skipped (result
// expired), a send held by quiet hours stays pending with its tries,
// due at their end with the reason stored, and goes then; a reload that
// changes the configuration changes the rules.
func TestDispatcherHoldsAndExpiresLateSends(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			due := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
			act := func(key, campaign string, at time.Time) state.Action {
				return state.Action{Key: key, Kind: "send.dm", Member: "ann", Campaign: campaign, Step: "hello", At: at, Text: "hi", Target: "ann"}
			}
			saveAndEnqueue(t, s, []*state.Member{{ID: "ann"}}, []state.Action{act("old", "welcome", due), act("late", "welcome", due.Add(durations.Day)), act("tokyo", "tokyo", due.Add(durations.Day))})
			now := time.Date(2026, 11, 12, 23, 0, 0, 0, time.UTC) // 08:00 in Tokyo
			cfg := guardedConfig()
			r := &recorder{}
			var observed []string
			d := outbox.New(s, r, outbox.Options{Now: func() time.Time { return now }, Config: func() *config.Config { return cfg },
				Recipients: recipientsIn(s),
				Observe:    func(e outbox.Entry, result string) { observed = append(observed, e.Key+" "+result) }})
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Skipped != 1 || rep.Expired != 1 || rep.Held != 2 || rep.Sent != 0 {
				t.Errorf("round: %+v; want 1 expired, 2 held", rep)
			}
			slices.Sort(observed)
			if want := []string{"late held", "old expired", "tokyo held"}; !slices.Equal(observed, want) {
				t.Errorf("observed %q; want %q", observed, want)
			}
			pending, err := s.ListOutbox(ctx, outbox.Pending, 10)
			if err != nil {
				t.Fatal(err)
			}
			morning := time.Date(2026, 11, 13, 9, 0, 0, 0, time.UTC)
			for _, e := range pending {
				want := morning
				if e.Key == "tokyo" {
					want = time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
				}
				if _, _, ok := state.OutboxHeldQuiet(e.LastError); !ok || !e.NextAt.Equal(want) || e.Attempts != 0 {
					t.Errorf("%s: next %s, %d tries, %q; want held until %s with no try used", e.Key, e.NextAt, e.Attempts, e.LastError, want)
				}
			}
			if len(pending) != 2 {
				t.Fatalf("%d pending; want the two held", len(pending))
			}
			skipped, _ := s.ListOutbox(ctx, outbox.Skipped, 10)
			if len(skipped) != 1 || skipped[0].Key != "old" || !state.IsOutboxExpired(skipped[0].LastError) {
				t.Errorf("skipped %+v; want old, expired", skipped)
			}
			// At midnight UTC Tokyo's window is over; the UTC one is not.
			now = time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
			if rep, err = d.RunOnce(ctx); err != nil || rep.Sent != 1 || !slices.Equal(r.keys, []string{"tokyo"}) {
				t.Errorf("at midnight: %+v, %v, sent %q; want tokyo's sent", rep, err, r.keys)
			}
			// A reload that takes the quiet hours away lets late go
			// when it is due again, at 09:00.
			cfg = guardedConfig()
			cfg.Campaigns[0].QuietHours = nil
			now = morning
			if rep, err = d.RunOnce(ctx); err != nil || rep.Sent != 1 || !slices.Equal(r.keys, []string{"tokyo", "late"}) {
				t.Errorf("in the morning: %+v, %v, sent %q; want late sent", rep, err, r.keys)
			}
			// Gone out, both keep the hold they went out after, so what
			// was held is still known (hearth campaign show).
			sent, err := s.ListOutbox(ctx, outbox.Sent, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range sent {
				if _, _, ok := state.OutboxHeldQuiet(e.LastError); !ok {
					t.Errorf("%s: sent with reason %q; want the hold kept", e.Key, e.LastError)
				}
			}
			if len(sent) != 2 {
				t.Errorf("%d sent; want late and tokyo", len(sent))
			}
		})
	}
}

// A send delivered with no hold before keeps no reason, as before.
func TestDispatcherSendsUnheldWithNoReason(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			due := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
			saveAndEnqueue(t, s, []*state.Member{{ID: "ann"}}, []state.Action{{Key: "noon", Kind: "send.dm", Member: "ann", Campaign: "welcome", Step: "hello", At: due, Text: "hi", Target: "ann"}})
			cfg := guardedConfig()
			d := outbox.New(s, &recorder{}, outbox.Options{Now: func() time.Time { return due }, Config: func() *config.Config { return cfg }, Recipients: recipientsIn(s)})
			if rep, err := d.RunOnce(ctx); err != nil || rep.Sent != 1 {
				t.Fatalf("round: %+v, %v; want noon sent", rep, err)
			}
			sent, err := s.ListOutbox(ctx, outbox.Sent, 10)
			if err != nil || len(sent) != 1 || sent[0].LastError != "" {
				t.Errorf("sent %+v, %v; want noon with no reason", sent, err)
			}
		})
	}
}

// A backfill expires many messages in one round: the first is logged
// with a constant message and its reason as an attribute, the others
// are counted in one summary line once a round has none, not logged one
// by one.
func TestExpiredMessagesLoggedInSummary(t *testing.T) {
	ctx := context.Background()
	s := stores(t)["sqlite"]()
	due := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	var acts []state.Action
	for i := range 40 {
		acts = append(acts, state.Action{Key: fmt.Sprintf("k%02d", i), Kind: "send.dm", Member: "ann", Campaign: "welcome", Step: "hello", At: due, Text: "hi", Target: "ann"})
	}
	saveAndEnqueue(t, s, []*state.Member{{ID: "ann"}}, acts)
	now := due.Add(10 * durations.Day)
	var logs bytes.Buffer
	cfg := guardedConfig()
	d := outbox.New(s, &recorder{}, outbox.Options{Now: func() time.Time { return now }, Config: func() *config.Config { return cfg },
		Recipients: recipientsIn(s), Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if rep, err := d.RunOnce(ctx); err != nil || rep.Expired != 40 {
		t.Fatalf("round: %+v, %v; want 40 expired", rep, err)
	}
	// A quiet round within the minute says nothing yet; one after it
	// sums up.
	now = now.Add(time.Second)
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Fatalf("%d lines after the backfill's round; want 1:\n%s", n, logs.String())
	}
	now = now.Add(time.Minute)
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 2 {
		t.Fatalf("%d lines; want the first expiry and a summary:\n%s", len(recs), logs.String())
	}
	if reason, _ := recs[0]["reason"].(string); recs[0]["msg"] != "message skipped" || !strings.HasPrefix(reason, "expired: not sent within 2d") {
		t.Errorf("first line %v; want msg \"message skipped\" with the reason apart", recs[0])
	}
	if recs[1]["msg"] != "outbox messages not logged one by one" || recs[1]["kind"] != "expired" || recs[1]["not_logged"] != 39.0 {
		t.Errorf("summary %v; want 39 expired not logged", recs[1])
	}
}
