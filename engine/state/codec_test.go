package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullMember has a value in every field of Member and of everything it
// holds, so a field the binary form forgets shows in the round trip.
// TestFullMemberIsFull keeps it so when Member grows.
func fullMember() *Member {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Hour) }
	cet := time.FixedZone("", 3600)
	return &Member{
		ID: "ann", Name: "Ann Example", Platform: "discord", Locale: "de", Timezone: "Europe/Berlin",
		Identities:   map[string]string{"discord": "1234", "email": "ann@example.org"},
		Attrs:        map[string]any{"company": "Acme", "seats": 12.5, "beta": true, "tags": []any{"a", "b"}, "nested": map[string]any{"k": "v"}},
		JoinedAt:     t0,
		LastActiveAt: at(5).Add(123456789), // nanoseconds are kept
		LastEventAt:  at(6).In(cet),        // so is a fixed offset
		EvaluatedAt:  at(7),
		Left:         true,
		LeftAt:       at(8),
		Unsubscribed: map[string]time.Time{"email.news": at(9), "email.digest": at(10).In(cet)},
		Bounced:      map[string]Bounce{"email.meetups": {At: at(11), Address: "ann@example.org", Code: "550 5.1.1", Reply: "550 5.1.1 <***@example.org>: no such user"}},
		Places:       map[string]string{"oss": "oss-2", "makers": "makers"},
		Points:       -40, PointsEarned: 1 << 40, Referrals: 3, Strikes: 2,
		Moderation: &Moderation{
			Strikes:    []Strike{{Rule: "community.c.moderation.spam", At: at(1), Count: 2, Event: "e1"}},
			Recent:     []time.Time{at(2), at(3)},
			MutedUntil: at(30),
			Banned:     true,
			Decisions:  []Decision{{At: at(4), Rule: "r", Action: "mute", Duration: "1h", Strikes: 2, Evidence: "links", Event: "e2"}},
		},
		Expiring: []Lot{{Points: 10, ExpiresAt: at(100), Reason: "incentive.x", Event: "e3"}},
		Types: []TypeCount{
			{Type: "message.posted", Total: 7, Days: Series{{Day: 20500, Count: 3}, {Day: 20503, Count: 4}}},
			{Type: "checkin", Total: 1, Days: Series{{Day: 20400, Count: 1}}},
		},
		Active: Series{{Day: 20500, Count: 3}, {Day: 20503, Count: 5}},
		Earned: Series{{Day: 20501, Count: 15}},
		Badges: map[string]*BadgeHold{
			"teacher": {Count: 2, First: at(8), Last: at(9), Event: "e4"},
			"gone":    nil,
		},
		Tier: TierState{
			Name: "core", Rank: 2, Since: at(10), FailingSince: at(12),
			Qualifying: []Qualification{{Tier: "partner", Since: at(11)}, {Tier: "patron", Since: at(9).In(cet)}},
			History:    []TierChange{{From: "member", To: "core", At: at(10), Event: "e5", Reason: "imported"}},
		},
		Segments: map[string]time.Time{"active": at(13), "loyal": at(14)},
		Grants: []IncentiveLog{
			{Incentive: "welcome", Count: 1, Last: at(15), Recent: []time.Time{at(15)}, Points: Series{{Day: 20501, Count: 5}}, Keys: []string{"cat", "dan"}},
			{Incentive: "answer", Count: 4, Last: at(16), Recent: []time.Time{at(16)}, Points: Series{{Day: 20502, Count: 40}}},
		},
		Referrer: "bob",
		Referees: []string{"cat", "dan", "eve"},
		Campaigns: map[string]*CampaignRun{
			"onboarding": {
				Status: "active", Step: 2, StepName: "nudge", WaitMet: true, StepAt: at(17), Due: at(18), Deadline: at(19), Variant: "b",
				EnteredAt: at(1), EndedAt: at(20), Reason: "goal", Runs: 2, Seq: 3,
				Sends: []time.Time{at(17)}, Event: map[string]any{"id": "e6", "type": "member.joined"},
				Hold: &RunHold{Reason: HoldQuietHours, Until: at(18), QuietHours: "22:00–08:00", TimeZone: "member"},
			},
			"stale": nil,
			// A campaign with run_key: one run per key.
			"rsvp[Go Night #43]": {
				Status: "active", Step: 1, StepName: "reminder", WaitMet: true, StepAt: at(17), Due: at(18), Deadline: at(19), Variant: "a",
				EnteredAt: at(1), EndedAt: at(2), Reason: "stopped", Runs: 2, Seq: 1, Sends: []time.Time{at(3)},
				Event: map[string]any{"meetup": "Go Night #43"}, Key: "Go Night #43", LastSent: at(3),
				// Every field of a hold, so the round trip covers each.
				Hold: &RunHold{Reason: HoldFrequencyCap, Until: at(18), QuietHours: "23:00–07:00", TimeZone: "Europe/Berlin",
					Caps: []HoldCap{{Scope: "campaign", Rate: "2/1d"}, {Scope: "global", Rate: "5/1w"}}, Since: at(17)},
			},
		},
		RunsDropped: map[string]int{"rsvp": 3},
		KeysEnded: map[string][]EndedKey{"rsvp": {
			{Key: "Go Night #40", At: at(22).In(cet), Reason: "goal"},
			{Key: "Go Night #41", At: at(23), Reason: "a reason of a later hearth"},
		}},
		Sends:     []time.Time{at(17), at(18)},
		RecheckAt: at(48),
		Rules:     0x9e3779b97f4a7c15,
		Tally: Tally{
			Cohort: 20500, Counted: true, Left: 20600, Weeks: 0b1011, Months: 1 << 63, Contributed: true,
			MaxRank: 2, Tier: "core", Referred: true, Paid: true, Revenue: -5_000_000,
			Answers: map[string]*Answer{
				"nps/score": {Score: 9, Choice: "yes", At: at(21), Keys: []string{"survey.nps.9"}},
				"nps/none":  nil,
			},
		},
	}
}

// Every field of fullMember holds a value, down through pointers, lists
// and maps: a field added to Member must be added to it (and so to the
// binary form, or the round trip below fails).
func TestFullMemberIsFull(t *testing.T) {
	var empty []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() && v.Kind() != reflect.Bool {
			empty = append(empty, path)
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			walk(path, v.Elem())
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				fv := v.Field(i)
				if f.Type.Kind() == reflect.Bool {
					if !fv.Bool() {
						empty = append(empty, path+"."+f.Name)
					}
					continue
				}
				walk(path+"."+f.Name, fv)
			}
		case reflect.Slice:
			walk(path+"[0]", v.Index(0))
		case reflect.Map:
			// A map of pointers holds a nil on purpose; one value set is
			// enough: the fullest (a run without a key has no Key).
			var best []string
			found := false
			for _, k := range v.MapKeys() {
				if e := v.MapIndex(k); !e.IsZero() {
					outer := empty
					empty = nil
					walk(path+"["+k.String()+"]", e)
					if !found || len(empty) < len(best) {
						best = empty
					}
					found, empty = true, outer
				}
			}
			if !found {
				best = []string{path + "[*]"}
			}
			empty = append(empty, best...)
		}
	}
	walk("Member", reflect.ValueOf(fullMember()))
	if len(empty) > 0 {
		t.Fatalf("fullMember leaves these empty; give them a value (and check AppendBinary writes them):\n  %s", strings.Join(empty, "\n  "))
	}
}

func TestMemberBinaryRoundTrip(t *testing.T) {
	for name, m := range map[string]*Member{
		"full":  fullMember(),
		"new":   NewMember("bob", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		"empty": {},
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := m.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			var got Member
			if err := DecodeMember(doc, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, m) {
				t.Fatalf("round trip changed the member:\n got %+v\nwant %+v", &got, m)
			}
			// The same member encodes to the same bytes.
			again, _ := got.AppendBinary(nil)
			if string(again) != string(doc) {
				t.Fatalf("second encoding differs")
			}
		})
	}
}

// The binary form and JSON say the same thing, and is much smaller.
func TestMemberBinaryAgreesWithJSON(t *testing.T) {
	m := fullMember()
	js, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromBinary Member
	if err := DecodeMember(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := DecodeMember(bin, &fromBinary); err != nil {
		t.Fatal(err)
	}
	// JSON orders counts and grants by name; the binary form keeps memory order.
	slices.SortFunc(fromBinary.Types, func(a, b TypeCount) int { return strings.Compare(a.Type, b.Type) })
	slices.SortFunc(fromBinary.Grants, func(a, b IncentiveLog) int { return strings.Compare(a.Incentive, b.Incentive) })
	if !reflect.DeepEqual(fromJSON, fromBinary) {
		t.Fatalf("forms disagree:\n json %+v\n binary %+v", fromJSON, fromBinary)
	}
	if len(bin)*2 > len(js) {
		t.Errorf("binary %d bytes against JSON %d: expected less than half", len(bin), len(js))
	}
}

// Documents written before Member.Rules (version 1), before the step
// names of campaign runs (version 2) and before the time of leaving
// (version 3) still read: as members no rules have evaluated as a whole,
// with runs known by their step's index only, who never left.
func TestMemberBinaryOlderVersions(t *testing.T) {
	m := fullMember()
	delete(m.Campaigns, "rsvp[Go Night #43]") // a version 5 thing
	m.RunsDropped = nil                       // a version 6 thing
	m.Campaigns["onboarding"].Hold = nil      // a version 7 thing
	m.KeysEnded = nil                         // a version 8 thing
	m.Unsubscribed = nil                      // a version 9 thing
	m.Tier.Qualifying = m.Tier.Qualifying[:1] // more than one is a version 10 thing
	m.Places = nil                            // a version 11 thing
	m.Tier.History[0].Reason = ""             // a version 13 thing
	m.Bounced = nil                           // a version 14 thing
	m.Referees, m.Grants[0].Keys = nil, nil   // version 16 things
	m.Rules = 0
	m.Campaigns["onboarding"].StepName, m.Campaigns["onboarding"].WaitMet = "", false
	m.LeftAt = time.Time{}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(doc, []byte{0, 0, timeZero}) {
		t.Fatalf("version 4 should end with Rules, no step names and no time of leaving, three zero bytes: % x", doc[len(doc)-4:])
	}
	for _, old := range []struct {
		name string
		doc  []byte
	}{
		{"version 1", append([]byte{memberBinaryV1}, doc[1:len(doc)-3]...)},
		{"version 2", append([]byte{memberBinaryV2}, doc[1:len(doc)-2]...)},
		{"version 3", append([]byte{memberBinaryV3}, doc[1:len(doc)-1]...)},
	} {
		var got Member
		if err := DecodeMember(old.doc, &got); err != nil {
			t.Fatalf("%s: %v", old.name, err)
		}
		if !reflect.DeepEqual(&got, m) {
			t.Fatalf("%s read differently:\n got %+v\nwant %+v", old.name, &got, m)
		}
		if err := DecodeMember(append(old.doc, 0), &got); err == nil {
			t.Fatalf("%s with a trailing byte decoded", old.name)
		}
	}
}

// A step name for a campaign the member has no run of is corruption.
func TestMemberBinaryStepNameWithoutRun(t *testing.T) {
	m := NewMember("bob", time.Unix(0, 0).UTC())
	doc, _ := m.AppendBinary(nil)
	doc = append(doc[:len(doc)-2], 1, 1, 'x', 1, 'y', 0, timeZero)
	if err := DecodeMember(doc, m); err == nil {
		t.Fatal("a step name without its run decoded")
	}
}

// Every cut of a document fails with an error, not a panic or a member.
func TestMemberBinaryTruncated(t *testing.T) {
	doc, _ := fullMember().AppendBinary(nil)
	for n := range len(doc) {
		var m Member
		if err := DecodeMember(doc[:n], &m); err == nil {
			t.Fatalf("%d of %d bytes decoded", n, len(doc))
		}
		if m.ID != "" {
			t.Fatalf("%d bytes: a failed decode left a member behind", n)
		}
	}
	var m Member
	if err := DecodeMember(append(doc, 0), &m); err == nil {
		t.Fatal("a trailing byte decoded")
	}
}

// A member decoded into another member's variable keeps nothing of it.
func TestDecodeMemberReplaces(t *testing.T) {
	m := fullMember()
	small, _ := NewMember("bob", time.Unix(0, 0).UTC()).AppendBinary(nil)
	if err := DecodeMember(small, m); err != nil {
		t.Fatal(err)
	}
	if m.Badges != nil || m.Moderation != nil || len(m.Types) != 0 {
		t.Fatalf("left over: %+v", m)
	}
	js, _ := json.Marshal(NewMember("cat", time.Unix(0, 0).UTC()))
	m = fullMember()
	if err := DecodeMember(js, m); err != nil {
		t.Fatal(err)
	}
	if m.ID != "cat" || m.Badges != nil {
		t.Fatalf("left over after JSON: %+v", m)
	}
}

func FuzzMemberBinary(f *testing.F) {
	full, _ := fullMember().AppendBinary(nil)
	f.Add(full)
	small, _ := NewMember("bob", time.Unix(0, 0).UTC()).AppendBinary(nil)
	f.Add(small)
	f.Add([]byte{memberBinaryV1})
	f.Add([]byte{memberBinaryV2})
	f.Add([]byte{memberBinaryV3})
	f.Fuzz(func(t *testing.T, doc []byte) {
		var a Member
		if a.UnmarshalBinary(doc) != nil {
			return
		}
		first, err := a.AppendBinary(nil)
		if err != nil {
			return // attrs JSON cannot write, say
		}
		var b Member
		if err := b.UnmarshalBinary(first); err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
		second, _ := b.AppendBinary(nil)
		if string(first) != string(second) {
			t.Fatalf("round trip changed the document")
		}
	})
}

func BenchmarkMemberEncode(b *testing.B) {
	m := fullMember()
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = m.AppendBinary(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMemberDecode(b *testing.B) {
	m := fullMember()
	js, _ := m.Encode()
	bin, _ := m.AppendBinary(nil)
	for name, doc := range map[string][]byte{"json": js, "binary": bin} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var m Member
				if err := DecodeMember(doc, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A member stored as gone before the time of leaving was kept reads as
// gone since the day of their latest member.left, not since forever.
func TestLeftAtFromOlderDocuments(t *testing.T) {
	m := NewMember("ann", time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	m.Record("member.left", time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC), false)
	m.Left = true
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	v3 := append([]byte{memberBinaryV3}, doc[1:len(doc)-1]...)
	js, _ := json.Marshal(m)
	for name, data := range map[string][]byte{"version 3": v3, "json": js} {
		var got Member
		if err := DecodeMember(data, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); !got.LeftAt.Equal(want) {
			t.Errorf("%s: left at %v, want %v", name, got.LeftAt, want)
		}
	}
}

// A member with a run of a campaign with run_key is written as version
// 5, which a hearth reading up to version 4 refuses rather than taking
// its keyed runs for runs of a removed campaign; a member without one is
// written as version 4, as before, and the keys read back from the ids.
func TestMemberBinaryKeyedRuns(t *testing.T) {
	m := fullMember()
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV16 {
		t.Fatalf("a member with referees and once_per keys written as version %d, want 16", doc[0])
	}
	m.Referees, m.Grants[0].Keys = nil, nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV15 {
		t.Fatalf("a member with a hold's due time written as version %d, want 15", doc[0])
	}
	m.Campaigns["rsvp[Go Night #43]"].Hold.Since = time.Time{}
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV14 {
		t.Fatalf("a member with a hard bounce written as version %d, want 14", doc[0])
	}
	m.Bounced = nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV13 {
		t.Fatalf("a member with an imported tier written as version %d, want 13", doc[0])
	}
	m.Tier.History[0].Reason = ""
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV12 {
		t.Fatalf("a member with a run's last send written as version %d, want 12", doc[0])
	}
	m.Campaigns["rsvp[Go Night #43]"].LastSent = time.Time{}
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV11 {
		t.Fatalf("a member with places written as version %d, want 11", doc[0])
	}
	m.Places = nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV10 {
		t.Fatalf("a member qualifying for two tiers written as version %d, want 10", doc[0])
	}
	m.Tier.Qualifying = m.Tier.Qualifying[:1]
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV9 {
		t.Fatalf("a member with unsubscribes written as version %d, want 9", doc[0])
	}
	m.Unsubscribed = nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV8 {
		t.Fatalf("a member with ended keys written as version %d, want 8", doc[0])
	}
	m.KeysEnded = nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV7 {
		t.Fatalf("a member with a held run written as version %d, want 7", doc[0])
	}
	m.Campaigns["onboarding"].Hold, m.Campaigns["rsvp[Go Night #43]"].Hold = nil, nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV6 {
		t.Fatalf("a member with dropped keyed runs written as version %d, want 6", doc[0])
	}
	var dropped Member
	if err := DecodeMember(doc, &dropped); err != nil {
		t.Fatal(err)
	}
	if dropped.RunsDropped["rsvp"] != 3 || dropped.NextRun("rsvp", nil) != 4 {
		t.Fatalf("runs dropped read back as %v", dropped.RunsDropped)
	}
	m.RunsDropped = nil
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV5 {
		t.Fatalf("a member with a keyed run written as version %d, want 5", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if run := got.Campaigns["rsvp[Go Night #43]"]; run == nil || run.Key != "Go Night #43" || run.Event["meetup"] != "Go Night #43" {
		t.Fatalf("keyed run read back as %+v", run)
	}
	if run := got.Campaigns["onboarding"]; run == nil || run.Key != "" {
		t.Fatalf("run without a key read back as %+v", run)
	}

	delete(m.Campaigns, "rsvp[Go Night #43]")
	doc, _ = m.AppendBinary(nil)
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member without keyed runs written as version %d, want 4", doc[0])
	}
}

func TestRunID(t *testing.T) {
	for _, tc := range []struct{ campaign, key, id string }{
		{"rsvp", "", "rsvp"},
		{"rsvp", "Go Night #43", "rsvp[Go Night #43]"},
		{"rsvp", "a]b[c", "rsvp[a]b[c]"}, // the name ends at the first '['
		{"rsvp", "[]", "rsvp[[]]"},
	} {
		id := RunID(tc.campaign, tc.key)
		if id != tc.id {
			t.Errorf("RunID(%q, %q) = %q, want %q", tc.campaign, tc.key, id, tc.id)
		}
		c, k, keyed := SplitRunID(id)
		if c != tc.campaign || k != tc.key || keyed != (tc.key != "") {
			t.Errorf("SplitRunID(%q) = %q, %q, %v", id, c, k, keyed)
		}
	}
	m := &Member{Campaigns: map[string]*CampaignRun{
		"rsvp[b]": {Status: "active"}, "rsvp": {Status: "done"}, "rsvp[a]": {Status: "done"},
		"rsvp-late[a]": {Status: "active"}, "rsvpx": {Status: "active"},
	}}
	if got := m.RunIDs("rsvp", nil); !slices.Equal(got, []string{"rsvp", "rsvp[a]", "rsvp[b]"}) {
		t.Fatalf("RunIDs = %q", got)
	}
	if n := m.ActiveRuns("rsvp"); n != 1 {
		t.Fatalf("ActiveRuns = %d, want 1", n)
	}
	if d := RunDetail("goal", "Go Night #43"); d != `goal (key "Go Night #43")` || DetailReason(d) != "goal" || DetailKey(d) != "Go Night #43" {
		t.Fatalf("RunDetail gave %q, reason %q, key %q", d, DetailReason(d), DetailKey(d))
	}
	if d := RunDetail("", `a "quoted) key`); DetailReason(d) != "" || DetailKey(d) != `a "quoted) key` {
		t.Fatalf("RunDetail gave %q, reason %q, key %q", d, DetailReason(d), DetailKey(d))
	}
	if d := RunDetail("goal", ""); d != "goal" || DetailReason(d) != "goal" {
		t.Fatalf("RunDetail without a key gave %q", d)
	}
}

// A member with a held run is written as version 7, and its hold reads
// back on the run it was on; one without is written as before (here
// version 4), which a hearth reading up to version 6 still reads.
func TestMemberBinaryHolds(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	m.Campaigns = map[string]*CampaignRun{
		"q":    {Status: "active", StepName: "first", StepAt: t0, Due: t0.Add(9 * time.Hour), EnteredAt: t0, Runs: 1},
		"free": {Status: "active", StepName: "a", StepAt: t0, Due: t0, EnteredAt: t0, Runs: 1},
	}
	doc, _ := m.AppendBinary(nil)
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member without a held run written as version %d, want 4", doc[0])
	}
	hold := &RunHold{Reason: HoldQuietHours, Until: t0.Add(9 * time.Hour), QuietHours: "22:00–08:00", TimeZone: "member"}
	m.Campaigns["q"].Hold = hold
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV7 {
		t.Fatalf("a member with a held run written as version %d, want 7", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if h := got.Campaigns["q"].Hold; !reflect.DeepEqual(h, hold) {
		t.Fatalf("hold read back as %+v; want %+v", h, hold)
	}
	if h := got.Campaigns["free"].Hold; h != nil {
		t.Fatalf("a run not held read back with a hold %+v", h)
	}
	// The hold of a run the document does not keep is corruption.
	i := bytes.LastIndex(doc, []byte("\x01q\x0bquiet_hours"))
	if i < 0 {
		t.Fatal("no hold of run q in the document")
	}
	doc[i+1] = 'x'
	if err := DecodeMember(doc, &got); err == nil || !strings.Contains(err.Error(), "not kept") {
		t.Fatalf("a hold without its run: %v", err)
	}
}

// An ended keyed run made compact keeps its key, end and reason, and
// its number in RunsDropped; the member is written as version 8 and
// reads back with the keys in order, which a binary search needs: a
// document listing them out of order is corruption. A member with
// thousands of them is much smaller than with as many ended runs.
func TestMemberBinaryEndedKeys(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	m.Campaigns = map[string]*CampaignRun{}
	const n = 2000
	for i := range n {
		key := fmt.Sprintf("Go Night #%d", i)
		end := t0.Add(time.Duration(i) * 7 * 24 * time.Hour)
		m.Campaigns[RunID("rsvp", key)] = &CampaignRun{Status: "done", Step: 1, StepName: "remind", StepAt: end, EnteredAt: end.Add(-time.Hour),
			EndedAt: end, Reason: "finished", Runs: 1, Seq: 2, Sends: []time.Time{end.Add(-time.Hour), end}, Key: key}
	}
	m.Campaigns["rsvp[Go Night #0]"].Reason = "goal"
	whole, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	for id := range m.Campaigns {
		m.CompactRun(id)
	}
	if len(m.Campaigns) != 0 || m.RunsDropped["rsvp"] != 1 || len(m.KeysEnded["rsvp"]) != n {
		t.Fatalf("compacted: %d runs, dropped %v, %d ended keys", len(m.Campaigns), m.RunsDropped, len(m.KeysEnded["rsvp"]))
	}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV8 {
		t.Fatalf("written as version %d, want 8", doc[0])
	}
	t.Logf("%d ended runs: %d bytes as runs, %d as ended keys", n, len(whole), len(doc))
	if len(doc)*4 > len(whole) {
		t.Errorf("%d ended keys take %d bytes, the runs %d: want less than a quarter", n, len(doc), len(whole))
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.KeysEnded, m.KeysEnded) || !reflect.DeepEqual(got.RunsDropped, m.RunsDropped) || len(got.Campaigns) != 0 {
		t.Fatal("ended keys read back differently")
	}
	if e, ok := got.KeyEnded("rsvp", "Go Night #0"); !ok || e.Reason != "goal" || !e.At.Equal(t0) {
		t.Errorf("Go Night #0: %+v %v", e, ok)
	}
	if _, ok := got.KeyEnded("rsvp", "Go Night #2000"); ok {
		t.Error("a key never entered reads as ended")
	}
	if !got.RemoveEndedKey("rsvp", "Go Night #7") || got.RemoveEndedKey("rsvp", "Go Night #7") {
		t.Error("removing an ended key twice")
	}
	if _, ok := got.KeyEnded("rsvp", "Go Night #7"); ok || len(got.KeysEnded["rsvp"]) != n-1 {
		t.Error("a removed key reads as ended")
	}

	// Out of order: "Go Night #0" and "Go Night #1" swapped.
	i := bytes.Index(doc, []byte("Go Night #0"))
	j := bytes.Index(doc, []byte("Go Night #1\x01"))
	if i < 0 || j < 0 {
		t.Fatal("keys not found in the document")
	}
	bad := slices.Clone(doc)
	bad[i+len("Go Night #")], bad[j+len("Go Night #")] = '1', '0'
	if err := DecodeMember(bad, &got); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("keys out of order: %v", err)
	}

	// JSON keeps them too, sorted on reading.
	js, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Member
	if err := DecodeMember(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON.KeysEnded, m.KeysEnded) {
		t.Error("ended keys read back from JSON differently")
	}
}

// A member who unsubscribed is written as version 9, and reads back with
// the platforms and times; one who did not stays at an older version,
// readable by a hearth that knows no unsubscribes. A version 8 reader
// refuses a version 9 document rather than lose the unsubscribe.
func TestMemberBinaryUnsubscribed(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	doc, _ := m.AppendBinary(nil)
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member without an unsubscribe written as version %d, want 4", doc[0])
	}
	if !m.Unsubscribe("email.news", t0.Add(time.Hour)) || m.Unsubscribe("email.news", t0.Add(2*time.Hour)) {
		t.Fatal("unsubscribing twice changed the member twice")
	}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV9 {
		t.Fatalf("a member with an unsubscribe written as version %d, want 9", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Unsubscribed, m.Unsubscribed) || !got.Unsubscribed["email.news"].Equal(t0.Add(time.Hour)) {
		t.Fatalf("unsubscribes read back as %v; want %v (the first time kept)", got.Unsubscribed, m.Unsubscribed)
	}
	old := slices.Clone(doc)
	old[0] = memberBinaryV8
	if err := DecodeMember(old, &got); err == nil {
		t.Fatal("a version 9 document read as version 8 (losing the unsubscribe) decoded")
	}
}

// Unsubscribing from one platform, from all, and resubscribing: to one
// after all leaves the member unsubscribed from the others; a
// resubscribe older than the unsubscribe (a late event) changes nothing.
func TestUnsubscribeResubscribe(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	if _, ok := m.UnsubscribedFrom("email.news"); ok {
		t.Fatal("a new member is unsubscribed")
	}
	m.Unsubscribe("email.news", t0)
	if k, ok := m.UnsubscribedFrom("email.news"); !ok || k != "email.news" {
		t.Fatalf("after unsubscribing from email.news: %q %v", k, ok)
	}
	if _, ok := m.UnsubscribedFrom("email.digest"); ok {
		t.Fatal("unsubscribing from email.news unsubscribed from email.digest")
	}
	if m.Resubscribe("email.news", t0.Add(-time.Hour), nil) {
		t.Fatal("a resubscribe from before the unsubscribe lifted it")
	}
	if !m.Resubscribe("email.news", t0.Add(time.Hour), nil) || m.Unsubscribed != nil {
		t.Fatalf("resubscribed: %v", m.Unsubscribed)
	}

	if !m.Unsubscribe(UnsubscribedAll, t0) || m.Unsubscribe("email.news", t0) {
		t.Fatal("unsubscribing from one platform after all of them changed something")
	}
	for _, p := range []string{"email.news", "email.digest"} {
		if k, ok := m.UnsubscribedFrom(p); !ok || k != UnsubscribedAll {
			t.Errorf("unsubscribed from all, %s: %q %v", p, k, ok)
		}
	}
	if _, ok := m.UnsubscribedFrom("webhook.crm"); ok {
		t.Error("unsubscribing from email stopped a webhook")
	}
	if !m.Resubscribe("email.news", t0.Add(time.Hour), []string{"email.news", "email.digest"}) {
		t.Fatal("resubscribing to one after all changed nothing")
	}
	if want := []string{"email.digest"}; !slices.Equal(m.UnsubscribedList(), want) {
		t.Fatalf("after resubscribing to email.news: %q; want %q", m.UnsubscribedList(), want)
	}
	m.Unsubscribe(UnsubscribedAll, t0.Add(2*time.Hour))
	if want := []string{UnsubscribedAll}; !slices.Equal(m.UnsubscribedList(), want) {
		t.Fatalf("all after one: %q; want %q", m.UnsubscribedList(), want)
	}
	if !m.Resubscribe(UnsubscribedAll, t0.Add(3*time.Hour), nil) || m.Unsubscribed != nil {
		t.Fatalf("resubscribed to all: %v", m.Unsubscribed)
	}
}

// A member qualifying for one tier is written as before, the tier where
// versions 1 to 9 keep it, readable by a hearth that knows one
// qualification; one qualifying for several is written as version 10,
// which a version 9 reader refuses rather than lose all but the first.
func TestMemberBinaryQualifying(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	m.Tier.Qualifying = []Qualification{{Tier: "core", Since: t0}}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member qualifying for one tier written as version %d, want 4", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Tier.Qualifying, m.Tier.Qualifying) {
		t.Fatalf("one qualification read back as %v", got.Tier.Qualifying)
	}

	m.Tier.Qualifying = append(m.Tier.Qualifying, Qualification{Tier: "regular", Since: t0.Add(-time.Hour)}, Qualification{Tier: "gold", Since: t0.Add(time.Hour)})
	if doc, err = m.AppendBinary(nil); err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV10 {
		t.Fatalf("a member qualifying for three tiers written as version %d, want 10", doc[0])
	}
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Tier.Qualifying, m.Tier.Qualifying) {
		t.Fatalf("three qualifications read back as %v; want %v", got.Tier.Qualifying, m.Tier.Qualifying)
	}
	if since, ok := got.Tier.QualifyingSince("gold"); !ok || !since.Equal(t0.Add(time.Hour)) {
		t.Fatalf("QualifyingSince(gold) = %s, %v", since, ok)
	}
	if _, ok := got.Tier.QualifyingSince("partner"); ok {
		t.Fatal("qualifying for a tier never qualified for")
	}
	old := slices.Clone(doc)
	old[0] = memberBinaryV9
	if err := DecodeMember(old, &got); err == nil {
		t.Fatal("a version 10 document read as version 9 (losing qualifications) decoded")
	}
}

// A member with a place in a capacity family is written as version 11,
// which a version 10 reader refuses rather than give them roles and
// messages in the community they are not in; one without, as before.
func TestMemberBinaryPlaces(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member with no place written as version %d, want 4", doc[0])
	}
	m.Places = map[string]string{"oss": "oss-2", "docs": "docs"}
	if doc, err = m.AppendBinary(nil); err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV11 {
		t.Fatalf("a member with places written as version %d, want 11", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Places, m.Places) || got.Place("oss") != "oss-2" || got.Place("makers") != "makers" {
		t.Fatalf("places read back as %v", got.Places)
	}
	old := slices.Clone(doc)
	old[0] = memberBinaryV10
	if err := DecodeMember(old, &got); err == nil {
		t.Fatal("a version 11 document read as version 10 (losing places) decoded")
	}
	js, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"places":{"docs":"docs","oss":"oss-2"}`)) {
		t.Fatalf("JSON: %s", js)
	}
}

// A member with a run that kept its last send (conversion_from =
// "last_send") is written as version 12, with the time read back on the
// same run, which a version 11 reader refuses rather than count the
// run's conversion window from its entry; one without, as before.
func TestMemberBinaryLastSent(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	sent := t0.Add(49*time.Hour + 500*time.Millisecond)
	m := NewMember("ann", t0)
	m.Campaigns = map[string]*CampaignRun{
		"welcome": {Status: "done", Reason: "finished", EnteredAt: t0, EndedAt: sent, Runs: 1, Seq: 1},
		"other":   {Status: "active", EnteredAt: t0, Runs: 1},
	}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member with no last send written as version %d, want 4", doc[0])
	}
	m.Campaigns["welcome"].LastSent = sent
	if doc, err = m.AppendBinary(nil); err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV12 {
		t.Fatalf("a member with a last send written as version %d, want 12", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if w := got.Campaigns["welcome"]; w == nil || !w.LastSent.Equal(sent) {
		t.Fatalf("welcome read back as %+v; want last sent %v", w, sent)
	}
	if o := got.Campaigns["other"]; o == nil || !o.LastSent.IsZero() {
		t.Fatalf("other read back as %+v; want no last send", o)
	}
	old := slices.Clone(doc)
	old[0] = memberBinaryV11
	if err := DecodeMember(old, &got); err == nil {
		t.Fatal("a version 12 document read as version 11 (losing last sends) decoded")
	}
	js, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"last_sent":"2026-01-03T10:00:00.5Z"`)) {
		t.Fatalf("JSON: %s", js)
	}
}

// Tier state stored as JSON before each tier's qualification was kept
// apart, with one tier in qualifying_for and qualifying_since, reads as
// that tier's qualification; the current form writes neither field.
func TestTierStateOlderJSON(t *testing.T) {
	since := time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)
	older := `{"id":"ann","joined_at":"2026-01-01T09:00:00Z","points":150,"points_earned":150,` +
		`"tier":{"name":"regular","rank":1,"since":"2026-01-02T09:00:00Z","qualifying_for":"core","qualifying_since":"2026-01-03T09:00:00Z","failing_since":"2026-01-04T09:00:00Z"}}`
	var m Member
	if err := DecodeMember([]byte(older), &m); err != nil {
		t.Fatal(err)
	}
	want := []Qualification{{Tier: "core", Since: since}}
	if !reflect.DeepEqual(m.Tier.Qualifying, want) || m.Tier.Name != "regular" || m.Tier.FailingSince.IsZero() {
		t.Fatalf("older tier state read as %+v; want qualifying %v", m.Tier, want)
	}
	js, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(js, []byte("qualifying_for")) || !bytes.Contains(js, []byte(`"qualifying":[{"tier":"core","since":"2026-01-03T09:00:00Z"}]`)) {
		t.Fatalf("written as %s", js)
	}
	var again Member
	if err := DecodeMember(js, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Tier, m.Tier) {
		t.Fatalf("round trip: %+v; want %+v", again.Tier, m.Tier)
	}
	// Neither form: no qualification.
	if err := DecodeMember([]byte(`{"id":"bob","tier":{"name":"regular"}}`), &again); err != nil || again.Tier.Qualifying != nil {
		t.Fatalf("no qualification read as %v (%v)", again.Tier.Qualifying, err)
	}
}

// A tier an import set keeps its reason through the binary form, written
// as version 13 (which a version 12 reader refuses rather than take the
// tier for one the rules promoted to); a reason placed past the history's
// end is corruption.
func TestMemberBinaryTierReason(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	m.Tier = TierState{Name: "core", Rank: 2, Since: t0.Add(time.Hour), History: []TierChange{
		{From: "", To: "regular", At: t0, Event: "e1"},
		{From: "regular", To: "core", At: t0.Add(time.Hour), Event: "member.imported/ann", Reason: "imported"},
	}}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV13 {
		t.Fatalf("written as version %d, want 13", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if h := got.Tier.History; len(h) != 2 || h[0].Reason != "" || h[1].Reason != "imported" {
		t.Fatalf("history read back as %+v", h)
	}
	bad := append([]byte(nil), doc...)
	// The last bytes are the one reason's index (1) and "imported"
	// (length 8): an index of 5 is past the history.
	i := len(bad) - len("imported") - 2
	if bad[i] != 1 {
		t.Fatalf("index byte %d, want 1", bad[i])
	}
	bad[i] = 5
	if err := DecodeMember(bad, &got); err == nil || !strings.Contains(err.Error(), "reason of tier move 5") {
		t.Fatalf("a reason past the history: %v", err)
	}
}

// A hold that knows when its step came due is written as version 15, and
// reads back whole; a hold without it stays at version 7.
func TestMemberBinaryHoldSince(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC)
	m := NewMember("ann", t0)
	hold := &RunHold{Reason: HoldQuietHours, Until: t0.Add(9 * time.Hour), QuietHours: "22:00–08:00", TimeZone: "member"}
	m.Campaigns = map[string]*CampaignRun{
		"q": {Status: "active", StepName: "first", StepAt: t0, Due: t0.Add(9 * time.Hour), EnteredAt: t0, Runs: 1, Hold: hold},
	}
	doc, _ := m.AppendBinary(nil)
	if doc[0] != memberBinaryV7 {
		t.Fatalf("a hold without its due time written as version %d, want 7", doc[0])
	}
	hold.Since = t0
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV15 {
		t.Fatalf("a hold with its due time written as version %d, want 15", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if h := got.Campaigns["q"].Hold; h == nil || !h.Since.Equal(t0) || !h.Until.Equal(hold.Until) {
		t.Fatalf("hold read back as %+v; want since %s", h, t0)
	}
}

// Referees and once_per keys are written as version 16 only when a
// member has either, read back in order, and refused out of order (they
// are looked up by binary search); a version 15 document, which has
// neither, still reads.
func TestMemberBinaryReferees(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := NewMember("ray", t0)
	m.Grant("referral", t0, 20, nil, false)
	doc, _ := m.AppendBinary(nil)
	if doc[0] != memberBinaryV4 {
		t.Fatalf("a member without referees or keys written as version %d, want 4", doc[0])
	}
	if !m.AddReferee("fay") || !m.AddReferee("ann") || m.AddReferee("fay") {
		t.Fatal("AddReferee: a new referee should count once, a repeat not")
	}
	if m.Referrals != 2 || !m.HasReferee("ann") || m.HasReferee("bob") {
		t.Fatalf("referrals %d, referees %v", m.Referrals, m.Referees)
	}
	m.Log("referral").AddKey("fay")
	m.Log("referral").AddKey("ann")
	doc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0] != memberBinaryV16 {
		t.Fatalf("a member with referees written as version %d, want 16", doc[0])
	}
	var got Member
	if err := DecodeMember(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, m) {
		t.Fatalf("read back as %+v, want %+v", &got, m)
	}
	if !slices.Equal(got.Referees, []string{"ann", "fay"}) || !got.Log("referral").HasKey("ann") {
		t.Fatalf("referees %v, keys %v", got.Referees, got.Log("referral").Keys)
	}
	// Out of order: "fay" before "ann".
	bad := bytes.Replace(doc, []byte("\x03ann\x03fay"), []byte("\x03fay\x03ann"), 1)
	if bytes.Equal(bad, doc) {
		t.Fatal("test: the referees were not found in the document")
	}
	if err := DecodeMember(bad, &got); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Fatalf("referees out of order: %v", err)
	}
	// A document of version 15 reads, with neither.
	m.Referees, m.Grants[0].Keys = nil, nil
	old, _ := m.AppendBinary(nil)
	v15 := append([]byte{memberBinaryV15}, old[1:]...)
	v15 = append(v15, make([]byte, 10)...) // the counts of versions 6 to 15, all zero
	if err := DecodeMember(v15, &got); err != nil {
		t.Fatal(err)
	}
	if got.Referees != nil || got.Log("referral").Keys != nil || got.Referrals != 2 {
		t.Fatalf("version 15 read as referees %v, keys %v, referrals %d", got.Referees, got.Log("referral").Keys, got.Referrals)
	}
	// JSON sorts what a hand edit left out of order.
	js := []byte(`{"id":"ray","referrals":2,"referees":["fay","ann","fay"],"grants":{"referral":{"count":1,"last":"2026-01-01T09:00:00Z","keys":["z","a"]}}}`)
	if err := DecodeMember(js, &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Referees, []string{"ann", "fay"}) || !slices.Equal(got.Log("referral").Keys, []string{"a", "z"}) {
		t.Fatalf("from JSON: referees %v, keys %v", got.Referees, got.Log("referral").Keys)
	}
}
