package runtime_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/state"
)

// A member who leaves goes out of every segment but those written for
// members who left (a rule reading member.left), at the time they leave,
// with a segment.left outcome, and comes back into them on returning:
// the simulate summary (stored segments), the outcomes' moves and the
// lists that leave out members who left then agree.
func TestLeavingEmptiesSegments(t *testing.T) {
	cfg := load(t, templates+lurkers+`
segment "quiet_lurkers" {
  when = "in_segment('lurkers') && member.reactions == 0"
}
segment "lapsed" {
  when = "member.left && member.days_since_left >= 3"
}
segment "lapsed_lurkers" {
  when = "in_segment('lapsed') && member.messages == 0"
}
`)
	// ann leaves on day 8, cy on day 9 and comes back on day 20.
	stream := annAndBob(ev("l1", "member.left", "ann", 8, 9, "") +
		ev("j3", "member.joined", "cy", 0, 9, "") +
		ev("l3", "member.left", "cy", 9, 9, "") +
		ev("r3", "member.joined", "cy", 20, 9, ""))
	sum, outs, m := run(t, cfg, stream)
	moves := func(who string) string {
		return trail(outs, who, state.KindSegment, func(o state.Outcome) string { return o.At.Format("01-02") + " " + o.Change + " " + o.Name })
	}
	for who, want := range map[string]string{
		"ann": "01-06 enter lurkers|01-06 enter quiet_lurkers|01-09 leave lurkers|01-09 leave quiet_lurkers|01-12 enter lapsed|01-12 enter lapsed_lurkers",
		"bob": "01-06 enter lurkers|01-06 enter quiet_lurkers",
		"cy":  "01-06 enter lurkers|01-06 enter quiet_lurkers|01-10 leave lurkers|01-10 leave quiet_lurkers|01-13 enter lapsed|01-13 enter lapsed_lurkers|01-21 enter lurkers|01-21 enter quiet_lurkers|01-21 leave lapsed|01-21 leave lapsed_lurkers",
	} {
		if got := moves(who); got != want {
			t.Errorf("%s's segment moves:\n %s\nwant\n %s", who, got, want)
		}
	}
	if got := m["ann"].Segments; len(got) != 2 || got["lapsed"].IsZero() || got["lapsed_lurkers"].IsZero() {
		t.Errorf("ann, who left, is in %v; want lapsed and lapsed_lurkers only", got)
	}
	for seg, want := range map[string]int{"lurkers": 2, "quiet_lurkers": 2, "lapsed": 1, "lapsed_lurkers": 1} {
		if got := sum.Segments[seg]; got != want {
			t.Errorf("summary: %s has %d members, want %d", seg, got, want)
		}
	}
}

// lurkers is a segment of members five days in who never posted.
const lurkers = `
segment "lurkers" {
  when = "member.days_since_joined >= 5 && member.messages == 0"
}
`

// annAndBob is a stream in which ann and bob join on day 0, then the
// events of away (their leaving and coming back), then a check-in on
// day 30 that runs every recheck due before it.
func annAndBob(away string) string {
	return ev("j1", "member.joined", "ann", 0, 9, "") +
		ev("j2", "member.joined", "bob", 0, 9, "") +
		away +
		ev("x", "checkin", "zed", 30, 9, "")
}

// trail is who's outcomes of kind, oldest first, each as line says it,
// joined by |.
func trail(outs []state.Outcome, who, kind string, line func(state.Outcome) string) string {
	var got []string
	for _, o := range outs {
		if o.Member == who && o.Kind == kind {
			got = append(got, line(o))
		}
	}
	return strings.Join(got, "|")
}
