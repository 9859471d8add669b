package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/state"
)

// recorder sends everything and records the keys.
type recorder struct{ keys []string }

func (r *recorder) Send(_ context.Context, a state.Action) error {
	r.keys = append(r.keys, a.Key)
	return nil
}

// Messages for a member who left before they were due are skipped, never
// sent, and listed with status skipped and the reason; role removals,
// bans and channel messages about them still go, and so do messages for
// members who did not leave or who came back.
func TestMessagesToMemberWhoLeftAreSkipped(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			act := func(key, kind, member string) state.Action {
				return state.Action{Key: key, Kind: kind, Member: member, At: at, Text: "hi", Target: member}
			}
			saveAndEnqueue(t, s, []*state.Member{{ID: "gone", Left: true}, {ID: "here"}}, []state.Action{
				act("dm-gone", "send.dm", "gone"), act("email-gone", "send.email", "gone"), act("hook-gone", "send.webhook", "gone"),
				act("role-gone", "role.remove", "gone"), act("add-gone", "role.add", "gone"), act("ban-gone", "moderation.ban", "gone"), act("chan-gone", "send.channel", "gone"),
				act("dm-here", "send.dm", "here"), act("dm-stranger", "send.dm", "stranger"),
			})
			r := &recorder{}
			var observed []string
			// Delivered a while after they were due, as after a restart.
			now := at.Add(90 * time.Minute)
			d := outbox.New(s, r, outbox.Options{Now: func() time.Time { return now },
				Recipients: recipientsIn(s),
				Observe:    func(e outbox.Entry, result string) { observed = append(observed, e.Key+" "+result) }})
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Skipped != 4 || rep.Sent != 5 {
				t.Errorf("round: %+v; want 4 skipped, 5 sent", rep)
			}
			slices.Sort(r.keys)
			if want := []string{"ban-gone", "chan-gone", "dm-here", "dm-stranger", "role-gone"}; !slices.Equal(r.keys, want) {
				t.Errorf("sent %q; want %q", r.keys, want)
			}
			skipped, err := s.ListOutbox(ctx, outbox.Skipped, 10)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range skipped {
				keys = append(keys, e.Key)
				if e.LastError != outbox.SkippedLeft || e.Attempts != 0 {
					t.Errorf("skipped %s: reason %q, %d tries; want %q and none", e.Key, e.LastError, e.Attempts, outbox.SkippedLeft)
				}
				if !e.FinishedAt.Equal(now) || !e.NextAt.Equal(at) {
					t.Errorf("skipped %s: finished at %v, due %v; want skipped at %v, due %v", e.Key, e.FinishedAt, e.NextAt, now, at)
				}
			}
			slices.Sort(keys)
			if want := []string{"add-gone", "dm-gone", "email-gone", "hook-gone"}; !slices.Equal(keys, want) {
				t.Errorf("listed as skipped: %q; want %q", keys, want)
			}
			if !slices.Contains(observed, "dm-gone skipped") {
				t.Errorf("observed %q; want dm-gone skipped", observed)
			}
			// Nothing is due any more: a skipped message is never tried.
			if rep, _ := d.RunOnce(ctx); rep != (outbox.Report{}) {
				t.Errorf("second round: %+v; want nothing", rep)
			}

			// Back in the community: a new message goes.
			saveAndEnqueue(t, s, []*state.Member{{ID: "gone"}}, []state.Action{act("dm-back", "send.dm", "gone")})
			if rep, _ := d.RunOnce(ctx); rep.Sent != 1 || !slices.Contains(r.keys, "dm-back") {
				t.Errorf("after rejoining: %+v, sent %q; want dm-back sent", rep, r.keys)
			}
		})
	}
}

// A message decided while its member was away (a win-back's email, made
// with ToLeft) goes to them while they stay away, and is skipped once
// they are back before it is due: a win-back's whole point is to reach
// members who left, and "we miss you" after they returned is wrong.
func TestMessagesForMembersWhoLeftGoWhileTheyStayAway(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			winback := func(key, kind, member string) state.Action {
				return state.Action{Key: key, Kind: kind, Member: member, At: at, Text: "we miss you", Target: member, ToLeft: true}
			}
			saveAndEnqueue(t, s, []*state.Member{{ID: "away", Left: true}, {ID: "back"}}, []state.Action{
				winback("email-away", "send.email", "away"), winback("hook-away", "send.webhook", "away"),
				winback("email-back", "send.email", "back"),
			})
			r := &recorder{}
			d := outbox.New(s, r, outbox.Options{Now: func() time.Time { return at },
				Recipients: recipientsIn(s)})
			rep, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(r.keys)
			if want := []string{"email-away", "hook-away"}; rep.Sent != 2 || rep.Skipped != 1 || !slices.Equal(r.keys, want) {
				t.Errorf("round: %+v, sent %q; want %q sent and email-back skipped", rep, r.keys, want)
			}
			skipped, err := s.ListOutbox(ctx, outbox.Skipped, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 1 || skipped[0].Key != "email-back" || skipped[0].LastError != outbox.SkippedBack {
				t.Errorf("skipped %+v; want email-back with %q", skipped, outbox.SkippedBack)
			}
		})
	}
}
