package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

type fakeState struct {
	loc      *time.Location // nil: UTC
	now      time.Time
	counts   map[string]int
	segments map[string]bool
	badges   map[string]int
	rank     int
}

func (f *fakeState) Now() time.Time                   { return f.now }
func (f *fakeState) Count(t string, days int) int     { return f.counts[t] * days / 30 }
func (f *fakeState) Total(t string) int               { return f.counts[t] }
func (f *fakeState) ActiveDays(days int) int          { return min(days, 12) }
func (f *fakeState) PointsIn(days int) int            { return days * 10 }
func (f *fakeState) InSegment(n string) bool          { return f.segments[n] }
func (f *fakeState) HasBadge(n string) bool           { return f.badges[n] > 0 }
func (f *fakeState) BadgeCount(n string) int          { return f.badges[n] }
func (f *fakeState) TierRank() int                    { return f.rank }
func (f *fakeState) RankOf(t string) int              { return map[string]int{"regular": 1, "core": 2}[t] }
func (f *fakeState) Streak(t string) int              { return 3 }
func (f *fakeState) EventDays(t string, days int) int { return min(f.counts[t], days) }
func (f *fakeState) Location() *time.Location {
	if f.loc == nil {
		return time.UTC
	}
	return f.loc
}

var testScope = Scope{
	What:       "segment rule",
	EventTypes: map[string]bool{"message.posted": true, "checkin": true},
	Segments:   map[string]bool{"lurkers": true, "active": true},
	Badges:     map[string]bool{"first_post": true},
	Tiers:      map[string]bool{"regular": true, "core": true},
}

func TestCompileAndEval(t *testing.T) {
	c := NewCompiler()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	st := &fakeState{now: now, counts: map[string]int{"message.posted": 30}, segments: map[string]bool{"active": true}, badges: map[string]int{"first_post": 2}, rank: 2}
	m := &Member{ID: "u1", Points: 150, LastActiveAt: now.Add(-20 * 24 * time.Hour), Attrs: map[string]any{"reputation": 200}}
	ev := NewEvaluator()
	ev.Bind(m, map[string]any{"referrer": "u9", "type": "member.joined"}, nil, now, st)
	cases := []struct {
		src   string
		event bool
		want  bool
	}{
		{"member.points >= 100", false, true},
		{`count("message.posted", "30d") == 30`, false, true},
		{`count("message.posted", "3d") == 3`, false, true},
		{`days("message.posted", "7d") == 7 && days("checkin", "7d") == 0`, false, true},
		{`days_since(member.last_active_at) >= 14`, false, true},
		{`days_since(member.joined_at) == 1000000`, false, true},
		{`in_segment("active") && !in_segment("lurkers")`, false, true},
		{`has_badge("first_post") && badge_count("first_post") == 2`, false, true},
		{`tier_rank() >= rank_of("core")`, false, true},
		{`points_in("7d") == 70 && active_days("30d") == 12 && streak("checkin") == 3`, false, true},
		{`member.attrs.reputation >= 200`, false, true},
		{`event.referrer != ""`, true, true},
		{`now > member.last_active_at`, false, true},
	}
	for _, tc := range cases {
		sc := testScope
		if tc.event {
			sc.Event = map[string]AttrType{"referrer": TypeString}
		}
		p, errs := c.Compile(tc.src, sc)
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.src, errs[0])
			continue
		}
		got, err := ev.Bool(p)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.src, got, err, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	c := NewCompiler()
	cases := []struct {
		src, scope, wantMsg, wantHint, wantAt string
	}{
		{"member.pionts >= 100", "", `member has no field "pionts"`, `Did you mean "points"?`, "pionts"},
		{"memer.points > 1", "", `Unknown name "memer"`, `Did you mean "member"?`, "memer"},
		{`count("mesage.posted", "30d") > 1`, "", `no event type named "mesage.posted"`, `Did you mean "message.posted"?`, `"mesage.posted"`},
		{`count("message.posted", "30x") > 1`, "", `Invalid window: "30x"`, "", `"30x"`},
		{`count("message.posted", "12h") > 1`, "", `whole days`, "", `"12h"`},
		{`in_segment("lurker")`, "", `no segment named "lurker"`, `Did you mean "lurkers"?`, `"lurker"`},
		{`has_badge(member.name)`, "", `must be a quoted literal`, "", `member.name`},
		{`count("message.posted")`, "", `count takes 2 argument(s), got 1`, "", ""},
		{`days("mesage.posted", "30d") > 1`, "", `no event type named "mesage.posted"`, `Did you mean "message.posted"?`, `"mesage.posted"`},
		{`days("message.posted", "36h") > 1`, "", `whole days`, "", `"36h"`},
		{`days("message.posted", "500d") > 1`, "", `longer than the 400 days`, "", `"500d"`},
		{`days("message.posted") > 1`, "", `days takes 2 argument(s), got 1`, "", ""},
		{`event.referrer != ""`, "", `segment rule has no event`, "", "event"},
		{`event.refferer != ""`, "event", `event has no attribute "refferer"`, `Did you mean "referrer"?`, ""},
		// Events files write attributes under attrs; rules read them
		// directly.
		{`event.attrs.referrer != ""`, "event", `event has no attribute "attrs"`, `Event attributes are read as event.referrer in rules; attrs is only where events files (JSONL) and test files write them.`, "attrs"},
		{`event.attrs?.minutes > 3`, "event", `event has no attribute "attrs"`, `read as event.minutes in rules; attrs is only where events files (JSONL) and test files write them. The event types this rule listens to have no attribute "minutes" either; they have referrer, at, id, member, source, type.`, "attrs"},
		{`event.attrs['refferer'] != ""`, "event", `event has no attribute "attrs"`, `read as event.refferer in rules; attrs is only where events files (JSONL) and test files write them. The event types this rule listens to have no attribute "refferer" either; did you mean event.referrer?`, "attrs"},
		{`event.attrs[member.name] != ""`, "event", `event has no attribute "attrs"`, `Event attributes are read as event.NAME in rules`, "attrs"},
		// A profile attribute read like a field.
		{`member.karma > 3`, "", `member has no field "karma"`, "A profile attribute is read as member.attrs.karma; see `hearth explain member` for the fields.", "karma"},
		{`member.vip == true`, "", `member has no field "vip"`, "A profile attribute is read as member.attrs.vip", "vip"},
		// member.referrer is a field: a typo of it is told so, not sent
		// to member.attrs.
		{`member.referer != ""`, "", `member has no field "referer"`, `Did you mean "referrer"?`, "referer"},
		// A count or a name read as if it held fields.
		{`member.badges.helper != nil`, "", `member.badges is a number, which has no field "helper"`, `has_badge('helper') says whether they hold that one.`, "helper"},
		{`member.tier.core`, "", `member.tier is text, which has no field "core"`, `member.tier == 'core'`, "core"},
		// An attribute no event type has: declare it, on a standard type too.
		{`event.campaign == "spring"`, "event", `event has no attribute "campaign"`, `declare it in an event block for the type, a standard type too: event "TYPE" { attributes = { campaign = "string" } }.`, "campaign"},
		{`member.points + 1`, "", `must give a bool`, "", ""},
		{`member.points >= "x"`, "", `Invalid operation`, `compare member.points with a number, as in member.points >= 10.`, `"x"`},
		// A number in quotes, the usual slip: the error is on the quotes
		// and says to drop them.
		{`member.points >= '50'`, "", `mismatched types int and string`, `'50' is a string: write 50 without quotes to compare numbers, as in member.points >= 50.`, `'50'`},
		{`'2.5' < member.points`, "", `mismatched types string and int`, `write 2.5 without quotes to compare numbers, as in 2.5 < member.points.`, `'2.5'`},
		{`member.name > 5`, "", `mismatched types string and int`, `write '5' in quotes to compare strings, or read a number from the string with int(member.name)`, `5`},
		{`member.points != member.name`, "", `mismatched types int and string`, `convert one of them, with int(member.name) or float(member.name) to compare numbers, or string(member.points) to compare strings.`, `!=`},
		{`days_since(member.joined_at) > '3'`, "", `mismatched types int and string`, `'3' is a string: write 3 without quotes`, `'3'`},
		{`member.points >=`, "", `Unexpected token`, "", ""},
		{`   `, "", `empty`, "", ""},
		{`tier_rank() >= rank_of("cor")`, "", `no tier named "cor"`, `Did you mean "core"?`, ""},
		// A computed argument is checked like the rest of the rule.
		{`days_since(member.joined) > 3`, "", `member has no field "joined"`, `Did you mean "joined_at"?`, "joined"},
		{`days_since(member.last_active) > 3`, "", `member has no field "last_active"`, `Did you mean "last_active_at"?`, "last_active"},
		{`days_since(event.whn) > 3`, "event", `event has no attribute "whn"`, "", "whn"},
		{`days_since(member.points) > 3`, "", `Cannot use int as argument`, "", ""},
		// Names compared with a value that holds one are checked: a typo
		// would make the rule never hold.
		{`member.tier == "regulr"`, "", `no tier named "regulr"`, `Did you mean "regular"?`, `"regulr"`},
		{`"cor" != member.tier`, "", `no tier named "cor"`, `Did you mean "core"?`, `"cor"`},
		{`event.segment == "lurker"`, "segment.entered", `no segment named "lurker"`, `Did you mean "lurkers"?`, `"lurker"`},
		{`event.segment in ["active", "lurker"]`, "segment.entered", `no segment named "lurker"`, "", `"lurker"`},
		{`event.to == "regular" && event.from == "cor"`, "tier.changed", `no tier named "cor"`, "", `"cor"`},
		{`event.badge == "first_pst"`, "badge.awarded", `no badge named "first_pst"`, `Did you mean "first_post"?`, `"first_pst"`},
		// So are values from a fixed set hearth sets.
		{`event.direction == "promoted"`, "tier.changed", `event.direction is never "promoted"`, `hearth sets it to one of "down", "up".`, `"promoted"`},
		{`"Up" != event.direction`, "tier.changed", `event.direction is never "Up"`, `Did you mean "up"?`, `"Up"`},
		{`event.action in ["mute", "timeout"]`, "moderation.violated", `event.action is never "timeout"`, `"ban", "flag", "kick", "mute", "remove", "warn"`, `"timeout"`},
	}
	for _, tc := range cases {
		sc := testScope
		switch tc.scope {
		case "event":
			sc.Event = map[string]AttrType{"referrer": TypeString}
		case "":
		default:
			sc.Event = map[string]AttrType{"segment": TypeString, "from": TypeString, "to": TypeString, "badge": TypeString, "direction": TypeString, "action": TypeString}
			sc.EventNames = EventNames([]string{tc.scope})
			sc.EventChoices = EventChoices([]string{tc.scope})
		}
		_, errs := c.Compile(tc.src, sc)
		if len(errs) == 0 {
			t.Errorf("%s: compiled; want error %q", tc.src, tc.wantMsg)
			continue
		}
		e := errs[0]
		if !strings.Contains(e.Message, tc.wantMsg) {
			t.Errorf("%s: message %q; want %q", tc.src, e.Message, tc.wantMsg)
		}
		if !strings.Contains(e.Hint, tc.wantHint) {
			t.Errorf("%s: hint %q; want %q", tc.src, e.Hint, tc.wantHint)
		}
		if tc.wantAt != "" && (e.From < 0 || e.To > len(tc.src) || tc.src[e.From:e.To] != tc.wantAt) {
			t.Errorf("%s: range %d-%d = %q; want %q", tc.src, e.From, e.To, tc.src[max(0, e.From):min(len(tc.src), e.To)], tc.wantAt)
		}
	}
}

// TestNameAfter: the name read after another, for the hint on
// event.attrs.x when expr's checker finds it.
func TestNameAfter(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"event.attrs.minutes > 3", "minutes"},
		{"event.attrs?.minutes > 3", "minutes"},
		{"event.attrs ['minutes'] > 3", "minutes"},
		{`event.attrs?.["minutes"] > 3`, "minutes"},
		{"event.attrs[x] > 3", ""},
		{"event.attrs", ""},
	} {
		if got := nameAfter(c.src, 0, "attrs"); got != c.want {
			t.Errorf("%s: %q, want %q", c.src, got, c.want)
		}
	}
}

// TestNamesCompared: names that exist, "" for no tier, and attributes of
// the same name on other event types compile.
func TestNamesCompared(t *testing.T) {
	c := NewCompiler()
	for _, tc := range []struct{ src, types string }{
		{`member.tier == "core" || member.tier == ""`, ""},
		{`event.segment == "lurkers"`, "segment.entered,segment.left"},
		{`event.to == "" && event.from == "core"`, "tier.changed"},
		{`event.segment == "anything"`, "segment.entered,meetup.attended"},
		{`event.to == "anyone"`, "invite.sent"},
		{`event.direction == "up"`, "tier.changed"},
		{`event.action in ["mute", "ban"]`, "moderation.violated"},
		// A custom type with an attribute of the same name holds anything.
		{`event.direction == "north"`, "tier.changed,compass.turned"},
	} {
		sc := testScope
		sc.Event = map[string]AttrType{"segment": TypeString, "from": TypeString, "to": TypeString, "direction": TypeString, "action": TypeString}
		if tc.types != "" {
			sc.EventNames = EventNames(strings.Split(tc.types, ","))
			sc.EventChoices = EventChoices(strings.Split(tc.types, ","))
		}
		if _, errs := c.Compile(tc.src, sc); errs != nil {
			t.Errorf("%s on %s: %v", tc.src, tc.types, errs[0])
		}
	}
}

func TestReads(t *testing.T) {
	c := NewCompiler()
	p, errs := c.Compile(`member.points >= 10 && count("message.posted", "7d") > 0 && in_segment("active")`, testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	r := p.Reads
	if strings.Join(r.Member, ",") != "points" || strings.Join(r.EventTypes, ",") != "message.posted" ||
		strings.Join(r.Segments, ",") != "active" || !r.TimeDependent || r.Event {
		t.Errorf("reads = %+v", r)
	}
	// days reads its event type's per-day counts and, like count, changes
	// when its oldest day leaves the window.
	p, errs = c.Compile(`days("checkin", "100d") >= 50`, testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	if r := p.Reads; strings.Join(r.EventTypes, ",") != "checkin" || !r.TimeDependent || r.Daily || !slices.Equal(r.Windows, []int{100}) ||
		len(r.Calls) != 1 || r.Calls[0].String() != "days('checkin', '100d')" {
		t.Errorf("days reads = %+v", r)
	}
	p, _ = c.Compile(`member.points >= 10`, testScope)
	if p.Reads.TimeDependent {
		t.Errorf("points rule marked time dependent")
	}
}

func TestStringAndNumberRules(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Event = map[string]AttrType{"referrer": TypeString, "amount": TypeFloat}
	sc.Result = String
	p, errs := c.Compile(`event.referrer`, sc)
	if errs != nil {
		t.Fatal(errs[0])
	}
	ev := NewEvaluator()
	ev.Bind(&Member{}, map[string]any{"referrer": "u7", "amount": 2.5}, nil, time.Now(), &fakeState{})
	if s, err := ev.String(p); err != nil || s != "u7" {
		t.Errorf("String = %q, %v", s, err)
	}
	sc.Result = Number
	p, errs = c.Compile(`event.amount * 10`, sc)
	if errs != nil {
		t.Fatal(errs[0])
	}
	if f, err := ev.Number(p); err != nil || f != 25 {
		t.Errorf("Number = %v, %v", f, err)
	}
}

func TestDidYouMean(t *testing.T) {
	cands := []string{"a", "points", "message.posted", "welcome"}
	for _, tc := range []struct{ name, want string }{
		{"pionts", `Did you mean "points"?`},
		{"mesage.posted", `Did you mean "message.posted"?`},
		{"welcom", `Did you mean "welcome"?`},
		{"zz", ""}, // every letter differs from "a"
		{"b", ""},
		{"points", ""}, // an exact match needs no hint
		{"xylophone", ""},
	} {
		if got := DidYouMean(tc.name, cands); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q; want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"member.points >= 100", `count("message.posted", "30d") > 1`, `in_segment("x")`, "((", `days_since(now)`} {
		f.Add(s)
	}
	f.Add(`event.score > 2 && event.kind in ["a"] && member.attrs.bio != nil`)
	f.Add(`days_since(member.joined_at) / count("checkin", "7d")`)
	f.Add(`!member.attrs['vip'] || (member.points > 1 ? member.attrs.a : not member.attrs.b)`)
	// Predicates, ?. and ??, whose untyped values are looked for.
	f.Add(`any(member.attrs.l, {# > 3}) || all(member.attrs.x ?? [], {.y ?? #?.z}) && none(event.tags, {!#['k']})`)
	f.Add(`(member.attrs?.a ?? member.attrs?.['b'] ?? nil) > 1 || member.attrs.l | any(any(#, {#}))`)
	f.Add(`member.attrs.level ?? 0 > 2 && member.attrs.b ?? 0 > 3`)
	f.Add(`any(map(member.attrs.l ?? [], {let v = .x; {a: v}}), {.a ? #index : #})`)
	// Several mistakes, each reported.
	f.Add(`count('mesage.posted', '3x') == 0 && member.pointz > 1 || memer.x && event['refferer'] > community.membrs`)
	f.Add(`let n = member.messagez; days_since(member.joined) > n && karma(q) && $env.member.y`)
	c := NewCompiler()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	st := &fakeState{now: now, counts: map[string]int{"message.posted": 30}, segments: map[string]bool{"active": true}, badges: map[string]int{"first_post": 2}, rank: 2}
	m := &Member{ID: "u1", Points: 150, JoinedAt: now.Add(-48 * time.Hour), Attrs: map[string]any{"bio": "x", "n": 3, "l": []any{1, "a"}}}
	withEvent := testScope
	withEvent.Event = map[string]AttrType{"score": TypeInt, "kind": TypeString, "at2": TypeTime, "tags": TypeList, "ratio": TypeFloat, "ok": TypeBool}
	ev := NewEvaluator()
	ev.Bind(m, map[string]any{"score": 3, "kind": "a", "at2": now, "tags": []any{"x"}, "ratio": 0.5, "ok": true, "type": "checkin", "id": "e1", "at": now, "member": "u1", "source": "http"}, &Community{}, now, st)
	f.Fuzz(func(t *testing.T, src string) {
		for _, sc := range []Scope{testScope, withEvent} {
			for _, res := range []Result{Bool, Number, String, Any} {
				sc.Result = res
				p, errs, warnings, pc := c.compile(src, sc)
				for _, e := range errs {
					if e.From < 0 || e.To > len(src)+1 || e.From > e.To {
						t.Fatalf("bad range %d-%d for %q", e.From, e.To, src)
					}
				}
				for _, w := range warnings {
					if w.From < 0 || w.To > len(src) || w.From >= w.To {
						t.Fatalf("bad warning range %d-%d for %q", w.From, w.To, src)
					}
				}
				// expr's checker knows every name hearth's walk does.
				if pc != nil && len(pc.spurious) > 0 {
					t.Fatalf("%q compiles, but the walk says: %v", src, pc.spurious[0])
				}
				if p == nil {
					continue
				}
				// A rule that compiles may fail at run time (x % 0), but
				// not with another Go panic the VM caught: that is a bug
				// in a function of the library.
				var err error
				switch res {
				case Bool:
					_, err = ev.Bool(p)
				case Number:
					_, err = ev.Number(p)
				case String:
					_, err = ev.String(p)
				default:
					_, err = ev.Value(p)
				}
				if err != nil && strings.Contains(err.Error(), "runtime error") && !strings.Contains(err.Error(), "integer divide by zero") {
					t.Fatalf("%q: %v", src, err)
				}
			}
		}
	})
}

// The runtime copies only the event fields rules read by name; a rule
// that reaches the event any other way must get all of them.
func TestReadsEventFields(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Event = map[string]AttrType{"kind": TypeString, "score": TypeInt, "referrer": TypeString}
	cases := []struct {
		src    string
		fields string
		whole  bool
	}{
		{`event.kind == "answer" && event.score >= 10`, "kind,score", false},
		{`event["kind"] == "answer"`, "kind", false},
		{`member.points > 1`, "", false},
		{`event.kind == "answer" && len(event) > 2`, "kind", true},
		{`event[event.kind] != nil`, "kind", true},
	}
	for _, tc := range cases {
		p, errs := c.Compile(tc.src, sc)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", tc.src, errs[0])
		}
		if got := strings.Join(p.Reads.EventFields, ","); got != tc.fields || p.Reads.EventWhole != tc.whole {
			t.Errorf("%s: fields %q whole %v; want %q %v", tc.src, got, p.Reads.EventWhole, tc.fields, tc.whole)
		}
	}
}

// TestNowFollowsBind: now is written into the environment lazily, before
// a rule that reads it; rules between binds that do not read it must not
// leave it behind.
func TestNowFollowsBind(t *testing.T) {
	c := NewCompiler()
	readsNow, errs := c.Compile(`now > member.joined_at + duration("24h")`, testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	other, errs := c.Compile(`member.points > 0`, testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	joined := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &Member{JoinedAt: joined, Points: 1}
	ev := NewEvaluator()
	for i, tc := range []struct {
		now  time.Time
		want bool
	}{
		{joined.Add(time.Hour), false},
		{joined.Add(48 * time.Hour), true},
		{joined.Add(2 * time.Hour), false},
	} {
		ev.Bind(m, nil, nil, tc.now, &fakeState{now: tc.now})
		if ok, err := ev.Bool(other); err != nil || !ok {
			t.Fatalf("bind %d: other rule = %v, %v", i, ok, err)
		}
		ev.Bind(m, nil, nil, tc.now, &fakeState{now: tc.now})
		if got, err := ev.Bool(readsNow); err != nil || got != tc.want {
			t.Errorf("bind %d (now %s): rule reading now = %v, %v; want %v", i, tc.now, got, err, tc.want)
		}
	}
}

// An ordering or arithmetic on member.attrs.x fails at run time for a
// member without the attribute; the compiler warns, and its suggestion
// runs for that member.
func TestUntypedWarnings(t *testing.T) {
	c := NewCompiler()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	bare := &Member{ID: "u1"}
	ev := NewEvaluator()
	ev.Bind(bare, nil, nil, now, &fakeState{now: now})
	for _, tc := range []struct{ src, suggestion, at string }{
		{"member.attrs.reputation > 10", "(member.attrs.reputation ?? 0) > 10", "member.attrs.reputation"},
		{"10 <= member.attrs['reputation']", "10 <= (member.attrs['reputation'] ?? 0)", "member.attrs['reputation']"},
		{"member.points > 1 || member.attrs.country < 'M'", "(member.attrs.country ?? '') < 'M'", "member.attrs.country"},
	} {
		p, errs := c.Compile(tc.src, testScope)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", tc.src, errs[0])
		}
		if len(p.Warnings) != 1 {
			t.Errorf("%s: warnings %v; want one", tc.src, p.Warnings)
			continue
		}
		w := p.Warnings[0]
		if !strings.Contains(w.Hint, "Give it a default: "+tc.suggestion+".") || tc.src[w.From:w.To] != tc.at {
			t.Errorf("%s: warning %q at %q; want %q at %q", tc.src, w.Hint, tc.src[w.From:w.To], tc.suggestion, tc.at)
		}
		if _, err := ev.Bool(p); err == nil {
			t.Errorf("%s: ran for a member without the attribute; the warning would be needless", tc.src)
		}
		fixed, errs := c.Compile(tc.suggestion, testScope)
		if len(errs) > 0 || len(fixed.Warnings) > 0 {
			t.Fatalf("%s: %v %v", tc.suggestion, errs, fixed.Warnings)
		}
		if _, err := ev.Bool(fixed); err != nil {
			t.Errorf("%s: %v", tc.suggestion, err)
		}
	}
	for _, src := range []string{
		"member.attrs.karma != nil && member.attrs.karma > 3",
		"'stars' in member.attrs && member.attrs.stars > 1",
		"member.attrs.role == 'admin'",
		"member.points > 3",
	} {
		p, errs := c.Compile(src, testScope)
		if len(errs) > 0 || len(p.Warnings) > 0 {
			t.Errorf("%s: %v %v; want no warning", src, errs, p.Warnings)
		}
	}
}

// A rule with Result Time gives a time; duration takes hearth's units
// (days and weeks too, which expr's own does not), and a bad literal is
// a compile error, as is a rule giving something else.
func TestTimeRulesAndDurations(t *testing.T) {
	c := NewCompiler()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	starts := time.Date(2026, 3, 12, 18, 0, 0, 0, time.UTC)
	sc := testScope
	sc.What, sc.Result, sc.Event = "step rule", Time, map[string]AttrType{"starts_at": TypeTime, "seats": TypeInt, "extra": TypeAny}
	ev := NewEvaluator()
	ev.Bind(&Member{}, map[string]any{"starts_at": starts, "seats": 3, "extra": "soon"}, nil, now, &fakeState{now: now})
	for src, want := range map[string]time.Time{
		"event.starts_at - duration('1d')":        starts.Add(-24 * time.Hour),
		"event.starts_at - duration('24h')":       starts.Add(-24 * time.Hour),
		"now + duration('1w1d12h')":               now.Add(8*24*time.Hour + 12*time.Hour),
		"event.starts_at + duration('90m')":       starts.Add(90 * time.Minute),
		"event.starts_at + duration('1.5h')":      starts.Add(90 * time.Minute), // Go's form, as expr's own duration() took
		"event.seats > 2 ? event.starts_at : now": starts,
	} {
		p, errs := c.Compile(src, sc)
		if len(errs) > 0 {
			t.Errorf("%s: %v", src, errs[0])
			continue
		}
		got, err := ev.Time(p)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
	// An attribute of no declared type is checked when the rule runs.
	p, errs := c.Compile("event.extra", sc)
	if len(errs) > 0 {
		t.Fatalf("event.extra: %v", errs[0])
	}
	if _, err := ev.Time(p); err == nil || !strings.Contains(err.Error(), "not a time") {
		t.Errorf("event.extra ran with err %v; want not a time", err)
	}
	for src, want := range map[string]string{
		"event.seats":                       "The step rule must give a time, but this one gives a number.",
		"duration('2d')":                    "gives a duration.",
		"event.starts_at < now":             "gives a bool.",
		"event.starts_at - duration('2 d')": `Invalid duration "2 d"`,
		"event.starts_at - duration('5x')":  `Invalid duration "5x"`,
	} {
		_, errs := c.Compile(src, sc)
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: errors %v; want one with %q", src, errs, want)
		}
	}
	// The same duration in a bool rule.
	bsc := sc
	bsc.Result = Bool
	p, errs = c.Compile("event.starts_at - now < duration('3d')", bsc)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if ok, err := ev.Bool(p); err != nil || !ok {
		t.Errorf("two days and six hours < 3d: %v, %v", ok, err)
	}
}

// add_days moves a time by calendar days on the member's clock: the day
// before a meetup on the Monday after the clocks go forward is 23 hours
// before it, where duration('24h') lands an hour early on the clock.
func TestAddDaysIsCalendarDays(t *testing.T) {
	c := NewCompiler()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	sc := testScope
	sc.What, sc.Result, sc.Event = "step rule", Time, map[string]AttrType{"starts_at": TypeTime, "seats": TypeInt}
	// 18:00 EDT on Monday 9 March 2026; the clocks went forward on the 8th.
	starts := time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ev := NewEvaluator()
	ev.Bind(&Member{}, map[string]any{"starts_at": starts, "seats": 2}, nil, now, &fakeState{now: now, loc: ny})
	for src, want := range map[string]time.Time{
		"add_days(event.starts_at, -1)":           time.Date(2026, 3, 8, 18, 0, 0, 0, ny), // 22:00 UTC, 18:00 EDT
		"add_days(event.starts_at, -2)":           time.Date(2026, 3, 7, 18, 0, 0, 0, ny), // 23:00 UTC, 18:00 EST
		"add_days(event.starts_at, -event.seats)": time.Date(2026, 3, 7, 18, 0, 0, 0, ny),
		"add_days(event.starts_at, 0)":            starts,
		"event.starts_at - duration('48h')":       time.Date(2026, 3, 7, 17, 0, 0, 0, ny), // an hour off on the clock
	} {
		p, errs := c.Compile(src, sc)
		if len(errs) > 0 {
			t.Errorf("%s: %v", src, errs[0])
			continue
		}
		got, err := ev.Time(p)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
	for src, want := range map[string]string{
		"add_days(event.starts_at, 'one')": "add_days",
		"add_days(event.seats, 1)":         "add_days",
		"add_days(event.startsat, 1)":      `Did you mean "starts_at"?`,
	} {
		if _, errs := c.Compile(src, sc); len(errs) == 0 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: errors %v; want one with %q", src, errs, want)
		}
	}
}

// A value where a condition or a key goes is refused with what to write
// instead, not only the type it got.
func TestResultTypeHint(t *testing.T) {
	c := NewCompiler()
	for _, tc := range []struct {
		src    string
		result Result
		hint   string
	}{
		{"member.points", Bool, "compare the value"},
		{"member.points", String, "string(event.seats)"},
	} {
		sc := testScope
		sc.Result = tc.result
		_, errs := c.Compile(tc.src, sc)
		if len(errs) != 1 || !strings.Contains(errs[0].Message, "must give a") || !strings.Contains(errs[0].Hint, tc.hint) {
			t.Errorf("%s as %v: errors %v; want a must-give error with a hint naming %q", tc.src, tc.result, errs, tc.hint)
		}
	}
}

// conditionOn is a compiler, the test scope for a condition, and an
// evaluator bound to m with no event, at a fixed time.
func conditionOn(m *Member) (*Compiler, Scope, *Evaluator) {
	sc := testScope
	sc.Result = Bool
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ev := NewEvaluator()
	ev.Bind(m, nil, nil, now, &fakeState{now: now})
	return NewCompiler(), sc, ev
}

// wantOneLineErrors runs each condition on ev, wanting a run error of one
// line that holds the text it maps to.
func wantOneLineErrors(t *testing.T, c *Compiler, sc Scope, ev *Evaluator, want map[string]string) {
	t.Helper()
	for src, text := range want {
		p, errs := c.Compile(src, sc)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", src, errs[0])
		}
		_, err := ev.Bool(p)
		if err == nil || !strings.Contains(err.Error(), text) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q; want one line with %q", src, err, text)
		}
	}
}

// A condition over an untyped value (a profile attribute) that turns out
// not to be true or false says so in words, with what to write instead.
func TestBoolRunErrorSaysWhatItGave(t *testing.T) {
	c, sc, ev := conditionOn(&Member{ID: "u1", Attrs: map[string]any{"email": "opted_out", "n": 3.0, "tags": []any{"a"}}})
	wantOneLineErrors(t, c, sc, ev, map[string]string{
		"member.attrs.email": "gave a string, not true or false: compare it",
		"member.attrs.n":     "gave a number, not true or false",
		"member.attrs.tags":  "gave a list, not true or false",
	})
	// A missing attribute is no error: false.
	p, _ := c.Compile("member.attrs.nope", sc)
	if ok, err := ev.Bool(p); ok || err != nil {
		t.Errorf("member.attrs.nope = %v, %v; want false, nil", ok, err)
	}
}

// wantOneWarning compiles src, wanting one warning, at the part at,
// saying says, its hint ending with hint; and fix, wanting no warning.
// It returns both programs, and false where src had no single warning.
func wantOneWarning(t *testing.T, c *Compiler, sc Scope, src, at, says, hint, fix string) (p, fixed *Program, ok bool) {
	t.Helper()
	p, errs := c.Compile(src, sc)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", src, errs[0])
	}
	if len(p.Warnings) != 1 {
		t.Errorf("%s: warnings %v; want one", src, p.Warnings)
		return p, nil, false
	}
	w := p.Warnings[0]
	if got := src[w.From:w.To]; got != at || !strings.HasSuffix(w.Hint, ": "+hint+".") || !strings.Contains(w.Message, says) {
		t.Errorf("%s: warning at %q: %s %s; want it at %q, saying %q and ending %q", src, got, w.Message, w.Hint, at, says, hint)
	}
	fixed, errs = c.Compile(fix, sc)
	if len(errs) > 0 || len(fixed.Warnings) > 0 {
		t.Fatalf("%s: %v %v", fix, errs, fixed.Warnings)
	}
	return p, fixed, true
}

// member.attrs.x has no type, so a rule that uses it as a condition
// (alone, or beside && and !) compiles, and fails at run time where it is
// not a bool. The warning points at it and says what to write, and what
// it says to write compiles with no warning and runs for every value.
func TestUntypedConditionWarnings(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Result = Bool
	withAny := sc
	withAny.Event = map[string]AttrType{"flag": TypeAny, "ok": TypeBool}
	for _, tc := range []struct {
		src, at, fix string
		sc           Scope
		says         string
	}{
		{"member.attrs.vip", "member.attrs.vip", "member.attrs.vip == true", sc, "the segment rule gives it as its condition"},
		{"member.attrs['vip']", "member.attrs['vip']", "member.attrs['vip'] == true", sc, "a string such as \"yes\""},
		{"member.attrs.vip && member.points > 1", "member.attrs.vip", "member.attrs.vip == true && member.points > 1", sc, "missing (nil) for members without that attribute; both sides of && must be true or false"},
		{"member.points < 1 or member.attrs.vip", "member.attrs.vip", "member.points < 1 or member.attrs.vip == true", sc, "both sides of or"},
		{"!member.attrs.vip", "!member.attrs.vip", "member.attrs.vip != true", sc, "! takes true or false"},
		{"member.points > 1 && not member.attrs.vip", "not member.attrs.vip", "member.points > 1 && member.attrs.vip != true", sc, "not takes true or false"},
		{"true == !member.attrs.vip", "!member.attrs.vip", "true == (member.attrs.vip != true)", sc, "! takes"},
		{"member.attrs.vip ? member.points > 1 : false", "member.attrs.vip", "member.attrs.vip == true ? member.points > 1 : false", sc, "the condition of ?: must be"},
		{"member.points > 1 ? member.attrs.vip : false", "member.attrs.vip", "member.points > 1 ? member.attrs.vip == true : false", sc, "gives it as its condition"},
		{"member.attrs.vip != nil && member.attrs.vip", "member.attrs.vip", "member.attrs.vip != nil && member.attrs.vip == true", sc, "so where it is a string or a number"},
		{"event.ok && event.flag", "event.flag", "event.ok && event.flag == true", withAny, "events without that attribute (it is declared \"any\")"},
	} {
		p, fixed, ok := wantOneWarning(t, c, tc.sc, tc.src, tc.at, tc.says, tc.fix, tc.fix)
		if !ok {
			continue
		}
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		for _, v := range []any{nil, true, false, "yes", 1.0} {
			attrs := map[string]any{}
			if v != nil {
				attrs["vip"] = v
			}
			ev := NewEvaluator()
			ev.Bind(&Member{ID: "u1", Points: 5, Attrs: attrs}, map[string]any{"ok": true, "flag": v}, nil, now, &fakeState{now: now})
			if _, err := ev.Bool(fixed); err != nil {
				t.Errorf("%s with %v: %v", tc.fix, v, err)
			}
			if _, err := ev.Bool(p); v == "yes" && err == nil {
				t.Errorf("%s with %q ran; the warning would be needless", tc.src, v)
			}
		}
	}
	// Two in one rule: each is rewritten on its own.
	p, _ := c.Compile("member.attrs.a || member.attrs.b", sc)
	if len(p.Warnings) != 2 || !strings.HasSuffix(p.Warnings[1].Hint, "member.attrs.a || member.attrs.b == true.") {
		t.Errorf("two conditions: %v", p.Warnings)
	}
	// A long rule gets the part to change, not the whole rule again.
	long := "member.points > 100 && member.messages > 10 && member.reactions > 10 && !member.attrs.muted"
	p, _ = c.Compile(long, sc)
	if len(p.Warnings) != 1 || !strings.HasSuffix(p.Warnings[0].Hint, ": member.attrs.muted != true.") {
		t.Errorf("long rule: %v", p.Warnings)
	}
	for _, src := range []string{
		"member.attrs.vip == true",
		"member.attrs.vip != true && member.points > 1",
		"member.attrs.plan == 'pro' || member.attrs.vip == true",
		"(member.attrs.vip ?? false) || member.points > 1",
		"'vip' in member.attrs",
		"member.left && !member.unsubscribed",
	} {
		p, errs := c.Compile(src, sc)
		if len(errs) > 0 || len(p.Warnings) > 0 {
			t.Errorf("%s: %v %v; want no warning", src, errs, p.Warnings)
		}
	}
	// Only a rule giving a bool gives its condition: a string rule may
	// give an attribute as it is.
	str := sc
	str.Result = String
	if p, errs := c.Compile("member.attrs.vip", str); len(errs) > 0 || len(p.Warnings) > 0 {
		t.Errorf("string rule: %v %v; want no warning", errs, p.Warnings)
	}
	// An event attribute of a declared type is checked by expr itself.
	if p, errs := c.Compile("event.ok && member.points > 1", withAny); len(errs) > 0 || len(p.Warnings) > 0 {
		t.Errorf("typed event attribute: %v %v; want no warning", errs, p.Warnings)
	}
}

// A value of no known type used beside && or ! that is no bool at run
// time says so in words, on one line, as the rule's own result does.
func TestOperandRunErrorSaysWhatItGave(t *testing.T) {
	c, sc, ev := conditionOn(&Member{ID: "u1", Points: 5, Attrs: map[string]any{"plan": "pro"}})
	wantOneLineErrors(t, c, sc, ev, map[string]string{
		"member.attrs.vip && member.points > 1":  "used a missing value (nil) as a condition, where true or false is needed: compare it, such as member.attrs.vip == true",
		"!member.attrs.plan":                     "used a string as a condition",
		"member.attrs.plan ? true : false":       "used a string as a condition",
		"member.points < 1 || member.attrs.plan": "gave a string, not true or false",
	})
	str := sc
	str.Result = String
	p, errs := c.Compile("member.attrs.vip ? 'a' : 'b'", str)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if _, err := ev.String(p); err == nil || !strings.Contains(err.Error(), "used a missing value (nil) as a condition") {
		t.Errorf("string rule: error %v", err)
	}
}

// An untyped value inside a predicate (any, filter, ...), read with ?.
// or given a default (??) of no type is warned about like a bare one:
// at the value, with a fix that compiles with no warning and runs for
// every member, where the rule as written fails for some.
func TestUntypedInClosuresChainsAndDefaults(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Result = Bool
	sc.Event = map[string]AttrType{"extra": TypeAny, "ok": TypeBool, "tags": TypeList}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	// A member without the attributes, one with them all (some elements
	// lacking fields), and one with strings where bools go.
	members := []map[string]any{
		nil,
		{"tags": []any{1.0, 5.0}, "items": []any{map[string]any{"score": 4.0, "verified": true, "kind": "x"}, map[string]any{}},
			"flags": []any{true, false}, "vip": true, "beta": false, "level": 3.0, "rank": 1.0, "verified": true},
		{"flags": []any{"yes"}, "items": []any{map[string]any{"verified": "yes"}}, "vip": "yes", "verified": "yes"},
	}
	for _, tc := range []struct {
		src, at, says string
		hint          string // what the hint ends with, after ": "
		fix           string // the rule fixed; the hint when empty
	}{
		// The list of a predicate, missing for members without it.
		{"any(member.attrs.tags, {# > 3})", "member.attrs.tags", "member.attrs.tags has no type hearth can check and is missing (nil) for members without that attribute; any on a missing list fails", "any(member.attrs.tags ?? [], {# > 3})", ""},
		{"all(member.attrs.tags, # > 0)", "member.attrs.tags", "all on a missing list", "all(member.attrs.tags ?? [], # > 0)", ""},
		{"member.points > 10 || none(member.attrs.tags, {# == 2})", "member.attrs.tags", "none on a missing list", "none(member.attrs.tags ?? [], {# == 2})", "member.points > 10 || none(member.attrs.tags ?? [], {# == 2})"},
		{"len(filter(member.attrs['tags'], {# > 3})) > 1", "member.attrs['tags']", "filter on a missing list", "filter(member.attrs['tags'] ?? [], {# > 3})", "len(filter(member.attrs['tags'] ?? [], {# > 3})) > 1"},
		{"member.attrs.tags | any(# > 3)", "member.attrs.tags", "any on a missing list", "member.attrs.tags ?? [] | any(# > 3)", ""},
		{"any(member.attrs?.tags, {# > 3})", "member.attrs?.tags", "any on a missing list", "any(member.attrs?.tags ?? [], {# > 3})", ""},
		// A field of an element, missing where the element lacks it.
		{"any(member.attrs.items ?? [], {.score > 3})", ".score", ".score of an element of member.attrs.items has no type hearth can check and is missing (nil) for elements without it; > on a missing value fails", "(.score ?? 0) > 3", "any(member.attrs.items ?? [], {(.score ?? 0) > 3})"},
		{"all(member.attrs.items ?? [], {#.kind != 'bot' && #['score'] >= 0})", "#['score']", "of an element of member.attrs.items", "(#['score'] ?? 0) >= 0", "all(member.attrs.items ?? [], {#.kind != 'bot' && (#['score'] ?? 0) >= 0})"},
		{"any(member.attrs.items ?? [], {#?.score < 10})", "#?.score", "for elements without it", "(#?.score ?? 0) < 10", "any(member.attrs.items ?? [], {(#?.score ?? 0) < 10})"},
		// What a predicate gives where true or false is needed.
		{"any(member.attrs.flags ?? [], {#})", "#", "# (an element of member.attrs.flags) has no type hearth can check; the predicate of any must give true or false", "any(member.attrs.flags ?? [], {# == true})", ""},
		{"all(member.attrs.flags ?? [], {!#})", "!#", "! takes true or false", "all(member.attrs.flags ?? [], {# != true})", ""},
		{"one(member.attrs.items ?? [], .verified)", ".verified", "missing (nil) for elements without it; the predicate of one must give true or false", "one(member.attrs.items ?? [], .verified == true)", ""},
		{"any([1, 2], {member.attrs.vip})", "member.attrs.vip", "missing (nil) for members without that attribute; the predicate of any must give", "any([1, 2], {member.attrs.vip == true})", ""},
		{"any([1, 2], {# > member.attrs.level})", "member.attrs.level", "> on a missing value", "# > (member.attrs.level ?? 0)", "any([1, 2], {# > (member.attrs.level ?? 0)})"},
		// Optional chaining: ?. does not give the attribute a type.
		{"member.attrs?.verified && member.points > 1", "member.attrs?.verified", "member.attrs.verified has no type hearth can check and is missing (nil) for members without that attribute; both sides of &&", "member.attrs?.verified == true && member.points > 1", ""},
		{"!member.attrs?.['verified']", "!member.attrs?.['verified']", "! takes true or false", "member.attrs?.['verified'] != true", ""},
		{"member.attrs?.level > 2", "member.attrs?.level", "> on a missing value", "(member.attrs?.level ?? 0) > 2", ""},
		{"event?.extra > 2", "event?.extra", "events without that attribute (it is declared \"any\")", "(event?.extra ?? 0) > 2", ""},
		// A default that has no type either.
		{"(member.attrs.level ?? member.attrs.rank) > 2", "member.attrs.level ?? member.attrs.rank", "member.attrs.level ?? member.attrs.rank has no type hearth can check and is missing (nil) for members without any of them", "(member.attrs.level ?? member.attrs.rank ?? 0) > 2", ""},
		{"(member.attrs.level ?? nil) > 2", "member.attrs.level ?? nil", "member.attrs.level has no type", "(member.attrs.level ?? 0) > 2", ""},
		{"((member.attrs.level ?? nil) ?? nil) > 2", "(member.attrs.level ?? nil) ?? nil", "member.attrs.level has no type", "(member.attrs.level ?? 0) > 2", ""},
		{"(member.attrs.vip ?? member.attrs.beta) || member.points > 1", "(member.attrs.vip ?? member.attrs.beta)", "both sides of ||", "(member.attrs.vip ?? member.attrs.beta) == true || member.points > 1", ""},
		{"member.points > 1 && member.attrs.vip ?? member.attrs.beta", "member.attrs.vip ?? member.attrs.beta", "both sides of &&", "member.points > 1 && (member.attrs.vip ?? member.attrs.beta) == true", ""},
	} {
		fix := tc.fix
		if fix == "" {
			fix = tc.hint
		}
		p, fixed, ok := wantOneWarning(t, c, sc, tc.src, tc.at, tc.says, tc.hint, fix)
		if !ok {
			continue
		}
		failed := false
		for _, attrs := range members {
			ev := NewEvaluator()
			ev.Bind(&Member{ID: "u1", Points: 5, Attrs: attrs}, map[string]any{"ok": true}, nil, now, &fakeState{now: now})
			if _, err := ev.Bool(fixed); err != nil {
				t.Errorf("%s with %v: %v", fix, attrs, err)
			}
			if _, err := ev.Bool(p); err != nil {
				failed = true
			}
		}
		if !failed {
			t.Errorf("%s ran for every member; the warning would be needless", tc.src)
		}
	}
	// Guarded values, defaults of a type and typed lists: no warning.
	for _, src := range []string{
		"any(member.attrs.tags ?? [], {# > 3})",
		"member.attrs.tags != nil && any(member.attrs.tags, {# > 3})",
		"'tags' in member.attrs && all(member.attrs.tags, {# > 3})",
		"any(member.attrs.items ?? [], {(.score ?? 0) > 3})",
		"any(member.attrs.items ?? [], {.score != nil && .score > 3})",
		"any(member.attrs.items ?? [], {'score' in # && #.score > 3})",
		"any(member.attrs.flags ?? [], {# == true})",
		"len(map(member.attrs.items ?? [], {.score})) > 1",
		"any(member.unsubscribed_from, {# == 'email'})",
		"any([1, 2], {# > 1})",
		"any(event.tags, {# == 'a'}) && event.ok",
		"(member.attrs.level ?? 0) > 2",
		"(member.attrs?.level ?? 0) > 2",
		"2 < member.attrs.level ?? 0", // ?? binds tighter than <
		"member.attrs?.verified == true",
		"member.attrs?.level != nil && member.attrs.level > 2",
		"(member.attrs.vip ?? member.attrs.beta ?? false) || member.points > 1",
		"!member.attrs.vip ?? false", // !(member.attrs.vip ?? false)
	} {
		p, errs := c.Compile(src, sc)
		if len(errs) > 0 || len(p.Warnings) > 0 {
			t.Errorf("%s: %v %v; want no warning", src, errs, p.Warnings)
		}
	}
	// A predicate inside another: # is the inner list's element, whose
	// list is a field of the outer one's.
	p, errs := c.Compile("any(member.attrs.groups ?? [], {any(.tags, {# > 1})})", sc)
	if len(errs) > 0 || len(p.Warnings) != 1 || !strings.HasSuffix(p.Warnings[0].Hint, ": any(.tags ?? [], {# > 1}).") {
		t.Errorf("nested predicates: %v %v", errs, p.Warnings)
	}
	// A long rule gets the call to change, not the whole rule.
	long := "member.points > 100 && member.messages > 10 && any(member.attrs.badges_held, {# == 'helper'})"
	p, _ = c.Compile(long, sc)
	if len(p.Warnings) != 1 || !strings.HasSuffix(p.Warnings[0].Hint, ": any(member.attrs.badges_held ?? [], {# == 'helper'}).") {
		t.Errorf("long rule: %v", p.Warnings)
	}
}

// expr refuses an operator after a ?? (member.attrs.level ?? 0 > 2):
// the error points at the operator and gives the rule with the value
// and its default in brackets, which compiles.
func TestCoalesceNeedsBrackets(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Result = Bool
	for _, tc := range []struct{ src, at, fix string }{
		{"member.attrs.level ?? 0 > 2", ">", "(member.attrs.level ?? 0) > 2"},
		{"member.points > 1 && member.attrs['level'] ?? 0 >= 2", ">=", "member.points > 1 && (member.attrs['level'] ?? 0) >= 2"},
		{"member.attrs.a ?? member.attrs.b ?? 0 > 2", ">", "(member.attrs.a ?? member.attrs.b ?? 0) > 2"},
		{"member.attrs?.level ?? 0 + 1 > 2", "+", "(member.attrs?.level ?? 0) + 1 > 2"},
		{"(member.attrs.vip ?? false == true)", "==", "((member.attrs.vip ?? false) == true)"},
	} {
		_, errs := c.Compile(tc.src, sc)
		if len(errs) != 1 {
			t.Errorf("%s: errors %v; want one", tc.src, errs)
			continue
		}
		e := errs[0]
		if got := tc.src[e.From:e.To]; got != tc.at || !strings.HasSuffix(e.Hint, ": "+tc.fix+".") || strings.Contains(e.Error(), "..") || !strings.Contains(e.Message, "cannot be followed by "+tc.at+" without brackets") {
			t.Errorf("%s: error at %q: %s; want it at %q, ending %q", tc.src, got, e, tc.at, tc.fix)
		}
		if p, errs := c.Compile(tc.fix, sc); len(errs) > 0 || len(p.Warnings) > 0 {
			t.Errorf("%s: %v %v", tc.fix, errs, p.Warnings)
		}
	}
	// With a second mistake after it, the bracketed part alone.
	_, errs := c.Compile("member.attrs.a ?? 0 > 2 && member.attrs.b ?? 0 > 3", sc)
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Hint, ": (member.attrs.a ?? 0).") {
		t.Errorf("two mistakes: %v", errs)
	}
}

// Odd shapes around untyped values compile or fail without a panic, and
// every warning lies within the rule and says what to write.
func TestUntypedOddShapes(t *testing.T) {
	c := NewCompiler()
	sc := testScope
	sc.Event = map[string]AttrType{"extra": TypeAny, "tags": TypeList}
	for _, src := range []string{
		"any(member.attrs.l, {;})",
		"any(member.attrs.l, {})",
		"filter(member.attrs.x, {let a = #; a}) != []",
		"member.attrs?.[member.attrs.k] > 1",
		"(((member.attrs.a ?? nil) ?? nil) ?? nil) > 1",
		"any(member.attrs.l, #.x?.y > #index)",
		"reduce(member.attrs.l, #acc + #, 0) > 1",
		"len(sortBy(member.attrs.l, .x, 'desc')) > 0",
		"any(member.attrs.l, {any(#, {any(#, {#})})})",
		"member.attrs.l | filter(.a) | any(.b)",
		"any(event.tags | filter(#), {.x > 1})",
		"any(member.attrs.l, {# ? .a : .b})",
		"member.attrs.a ?? 0 ??",
		"any(member.attrs.l,\n  {.x > 3 &&\n   !.y})",
		"any(member.attrs['l\\'s'], {.x > 3})",
	} {
		for _, res := range []Result{Bool, Number, String, Any} {
			sc.Result = res
			p, _ := c.Compile(src, sc)
			if p == nil {
				continue
			}
			for _, w := range p.Warnings {
				if w.From < 0 || w.To > len(src) || w.From >= w.To || w.Hint == "" {
					t.Errorf("%s as %v: warning %q at %d-%d", src, res, w, w.From, w.To)
				}
			}
		}
	}
}

// TestCompileReportsEveryError: a rule with several independent mistakes
// gets an error for each in one run, in the order they stand, each at its
// own place; a mistake inside a part already reported wrong adds none.
func TestCompileReportsEveryError(t *testing.T) {
	c := NewCompiler()
	// at is what the error is about; in, when at stands more than once,
	// the text it begins, which stands once.
	type want struct{ msg, at, in string }
	for _, tc := range []struct {
		src, scope string
		want       []want
	}{
		{`count('mesage.posted', '30d') == 0 && member.pointz > 1`, "", []want{
			{`no event type named "mesage.posted". Did you mean "message.posted"?`, `'mesage.posted'`, ""},
			{`member has no field "pointz". Did you mean "points"?`, "pointz", ""},
		}},
		{`member.pointz > 1 && community.membrs > 2 || memer.points > 3`, "", []want{
			{`member has no field "pointz"`, "pointz", ""},
			{`community has no field "membrs". Did you mean "members"?`, "membrs", ""},
			{`Unknown name "memer". Did you mean "member"?`, "memer", ""},
		}},
		// Every argument of a function, and the literals compared with
		// a tier.
		{`count('mesage.posted', '3x') > 1 || in_segment('lurker') || member.tier == 'cor'`, "", []want{
			{`no event type named "mesage.posted"`, `'mesage.posted'`, ""},
			{`Invalid window`, `'3x'`, ""},
			{`no segment named "lurker". Did you mean "lurkers"?`, `'lurker'`, ""},
			{`no tier named "cor". Did you mean "core"?`, `'cor'`, ""},
		}},
		{`event.refferer != '' && in_segment('activ') && member['strikez'] > 2`, "event", []want{
			{`event has no attribute "refferer" in this rule. Did you mean "referrer"?`, "refferer", ""},
			{`no segment named "activ". Did you mean "active"?`, `'activ'`, ""},
			{`member has no field "strikez". Did you mean "strikes"?`, `'strikez'`, ""},
		}},
		// A rule without an event: event is the mistake, not its
		// attribute.
		{`event.refferer != '' && member.pointz > 1 && event.a > 1`, "", []want{
			{`segment rule has no event`, "event", "event.refferer"},
			{`member has no field "pointz"`, "pointz", ""},
		}},
		// A misspelt name wherever it stands.
		{`memer.points > 1 && (memer.messages > 2 || member.strikez < 1)`, "", []want{
			{`Unknown name "memer"`, "memer", "memer.points"},
			{`Unknown name "memer"`, "memer", "memer.messages"},
			{`member has no field "strikez"`, "strikez", ""},
		}},
		// expr's type error, where hearth's walk found nothing wrong.
		{`member.points >= 'x' && member.pointz > 1`, "", []want{
			{`Invalid operation: >= (mismatched types int and string)`, "'x'", ""},
			{`member has no field "pointz"`, "pointz", ""},
		}},
		{`member.tier == 'regulr' ? 1 : 0`, "", []want{
			{`must give a bool, but this one got int`, `member.tier == 'regulr' ? 1 : 0`, ""},
			{`no tier named "regulr"`, `'regulr'`, ""},
		}},
		// Computed arguments, a name in a let and an unknown function.
		{`days_since(member.joined) > 3 && (let n = member.messagez; n > 1) && karma(memer) > 2`, "", []want{
			{`member has no field "joined". Did you mean "joined_at"?`, "joined", ""},
			{`member has no field "messagez". Did you mean "messages"?`, "messagez", ""},
			{`Unknown name "karma"`, "karma", ""},
			{`Unknown name "memer"`, "memer", ""},
		}},
		// Byte offsets after multibyte text.
		{`member.name == '名字' && member.strikez > 2 && community.titel != ''`, "", []want{
			{`member has no field "strikez"`, "strikez", ""},
			{`community has no field "titel". Did you mean "title"?`, "titel", ""},
		}},
		// No follow-on errors about what was already reported: a field
		// where a literal must be, in a call with too few arguments, and
		// the comparisons of an unknown field and of an unpatched call.
		{`count(member.pointz, '30d') > 1`, "", []want{{`must be a quoted literal`, "member.pointz", ""}}},
		{`count(member.pointz) > 1`, "", []want{{`count takes 2 argument(s), got 1`, "count", ""}}},
		{`member.pointz + 1 > 'x'`, "", []want{{`member has no field "pointz"`, "pointz", ""}}},
		{`in_segment('lurker') + 1 > 'x'`, "", []want{{`no segment named "lurker"`, `'lurker'`, ""}}},
		{`days_since(member.joined + 1) > 'x'`, "", []want{{`member has no field "joined"`, "joined", ""}}},
	} {
		sc := testScope
		if tc.scope == "event" {
			sc.Event = map[string]AttrType{"referrer": TypeString}
		}
		_, errs := c.Compile(tc.src, sc)
		var got []string
		for _, e := range errs {
			got = append(got, fmt.Sprintf("%d-%d %s %s", e.From, e.To, e.Message, e.Hint))
		}
		if len(errs) != len(tc.want) {
			t.Errorf("%s: %d errors; want %d:\n%s", tc.src, len(errs), len(tc.want), strings.Join(got, "\n"))
			continue
		}
		for i, w := range tc.want {
			e := errs[i]
			if !strings.Contains(e.Message+" "+e.Hint, w.msg) {
				t.Errorf("%s: error %d = %q; want %q", tc.src, i, e.Message+" "+e.Hint, w.msg)
			}
			in := w.in
			if in == "" {
				in = w.at
			}
			from := strings.Index(tc.src, in)
			if from < 0 || strings.Count(tc.src, in) != 1 || !strings.HasPrefix(in, w.at) {
				t.Fatalf("%s: %q must stand once in the rule", tc.src, in)
			}
			if e.From != from || e.To != from+len(w.at) {
				t.Errorf("%s: error %d at %d-%d (%q); want %d-%d (%q)", tc.src, i, e.From, e.To, tc.src[e.From:e.To], from, from+len(w.at), w.at)
			}
		}
	}
}

// TestValidateWarnsBesideErrors: the warnings of a rule that does not
// compile are given too, except about a part an error is about.
func TestValidateWarnsBesideErrors(t *testing.T) {
	c := NewCompiler()
	src := `member.pointz > 1 && member.attrs.level > 2 && count(member.attrs.n > 1, '7d') > 0`
	p, errs, warns := c.Validate(src, testScope)
	if p != nil || len(errs) != 2 {
		t.Fatalf("program %v, errors %v", p, errs)
	}
	if len(warns) != 1 || src[warns[0].From:warns[0].To] != "member.attrs.level" {
		t.Errorf("warnings %v", warns)
	}
	p, errs, warns = c.Validate(`member.attrs.level > 2`, testScope)
	if p == nil || errs != nil || len(warns) != 1 || len(p.Warnings) != 1 {
		t.Errorf("program %v, errors %v, warnings %v", p, errs, warns)
	}
}

// weekday and hour read a time on the member's clock: Saturday 23:30 in
// UTC is Sunday in Tokyo and still Saturday in New York. Of now they
// make the rule turn at the member's midnight (weekday) or hour (hour);
// of a fixed time, never. Go's now.Weekday() compared with a number is
// refused with a hint naming weekday.
func TestWeekdayAndHour(t *testing.T) {
	c := NewCompiler()
	sat := time.Date(2026, 3, 7, 23, 30, 0, 0, time.UTC) // a Saturday
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	for _, tc := range []struct {
		src  string
		loc  *time.Location
		want float64
	}{
		{"weekday(now)", nil, 6},
		{"weekday(now)", tokyo, 7},
		{"weekday(now)", ny, 6},
		{"weekday(now + duration('2d'))", tokyo, 2},
		{"hour(now)", nil, 23},
		{"hour(now)", tokyo, 8},
		{"hour(now)", ny, 18},
		{"hour(member.joined_at)", nil, 0},
	} {
		p, errs := c.Compile(tc.src, Scope{What: "segment rule", Result: Number})
		if errs != nil {
			t.Fatalf("%s: %v", tc.src, errs[0])
		}
		ev := NewEvaluator()
		ev.Bind(&Member{}, nil, nil, sat, &fakeState{now: sat, loc: tc.loc})
		if got, err := ev.Number(p); err != nil || got != tc.want {
			t.Errorf("%s in %v = %v, %v; want %v", tc.src, tc.loc, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src                string
		localDaily, hourly bool
		timeDependent      bool
	}{
		{"weekday(now) >= 6", true, false, true},
		{"hour(now) >= 18", false, true, true},
		{"weekday(member.joined_at) == 1", false, false, false},
		{"hour(member.last_active_at) < 6 && weekday(now) == 7", true, false, true},
	} {
		p, errs := c.Compile(tc.src, testScope)
		if errs != nil {
			t.Fatalf("%s: %v", tc.src, errs[0])
		}
		r := p.Reads
		if r.LocalDaily != tc.localDaily || r.Hourly != tc.hourly || r.TimeDependent != tc.timeDependent {
			t.Errorf("%s: LocalDaily %v Hourly %v TimeDependent %v; want %v %v %v", tc.src, r.LocalDaily, r.Hourly, r.TimeDependent, tc.localDaily, tc.hourly, tc.timeDependent)
		}
	}
	// Explained, weekday(now) shows its value, as count(...) does.
	p, errs := c.Compile("weekday(now) >= 6", testScope)
	if errs != nil {
		t.Fatal(errs[0])
	}
	call := p.Reads.Calls[0]
	if got := call.String(); got != "weekday(now)" {
		t.Errorf("call written %q; want weekday(now)", got)
	}
	if got := CallValue(call, &fakeState{now: sat, loc: tokyo}); got != 7 {
		t.Errorf("weekday(now) explained as %v; want 7", got)
	}
	for _, src := range []string{"now.Weekday() == 0", "now.Weekday() != 'Saturday'"} {
		_, errs := c.Compile(src, testScope)
		if len(errs) != 1 || !strings.Contains(errs[0].Hint, "weekday(now)") || !strings.Contains(errs[0].Hint, "1 (Monday) to 7 (Sunday)") {
			t.Errorf("%s: errors %v; want one hinting at weekday(now)", src, errs)
		}
	}
}

// TestChannelNames: a literal compared with event.channel that names no
// channel block is a warning, not an error (the platform may have
// channels hearth does not manage), with the name it looks like, or,
// for a number, event.channel_id.
func TestChannelNames(t *testing.T) {
	c := NewCompiler()
	for _, tc := range []struct {
		src, types, wantHint, wantAt string // wantHint "": no warning
	}{
		{`event.channel == "help"`, "message.posted", "", ""},
		{`event.channel in ["help", "general"]`, "message.posted,reaction.added", "", ""},
		{`event.channel == "hlep"`, "message.posted", `Did you mean "help"?`, `"hlep"`},
		{`"genral" != event.channel`, "reaction.added", `Did you mean "general"?`, `"genral"`},
		{`event.channel in ["help", "offtopic"]`, "message.posted", `the channels are "general", "help"`, `"offtopic"`},
		{`event.channel == "1100000000000000002"`, "message.posted", `use event.channel_id == "1100000000000000002"`, `"1100000000000000002"`},
		{`event.channel_id == "1100000000000000002"`, "message.posted", "", ""},
		// A custom type's channel is whatever it says.
		{`event.channel == "anything"`, "message.posted,meetup.attended", "", ""},
	} {
		sc := testScope
		sc.Event = map[string]AttrType{"channel": TypeString, "channel_id": TypeString}
		sc.EventNames = EventNames(strings.Split(tc.types, ","))
		sc.Channels = map[string]bool{"help": true, "general": true}
		p, errs := c.Compile(tc.src, sc)
		if errs != nil {
			t.Errorf("%s: %v; want it compiled", tc.src, errs[0])
			continue
		}
		var got *Error
		for _, w := range p.Warnings {
			if strings.Contains(w.Message, "No channel block") {
				got = w
			}
		}
		switch {
		case tc.wantHint == "" && got != nil:
			t.Errorf("%s: warning %q; want none", tc.src, got.Message)
		case tc.wantHint != "" && got == nil:
			t.Errorf("%s: no warning; want one with %q", tc.src, tc.wantHint)
		case got != nil && (!strings.Contains(got.Hint, tc.wantHint) || tc.src[got.From:got.To] != tc.wantAt):
			t.Errorf("%s: hint %q at %q; want %q at %q", tc.src, got.Hint, tc.src[got.From:got.To], tc.wantHint, tc.wantAt)
		}
	}
}
