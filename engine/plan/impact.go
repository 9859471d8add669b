package plan

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// SampleSize is how many member names a MemberMove keeps per direction.
const SampleSize = 5

// Impact is how the configuration's rules would move the stored members:
// per segment and tier, how many would enter and leave; per badge how
// many an incentive on the moves would award it to (Enter) and how many
// would have it revoked (Leave); per campaign how many would start a run
// (Enter: an audience campaign's, one entering on tier.changed) and how
// many runs would end (Leave), by its rules (stop_when, exit_when), its
// members setting, leaving its audience or a removal.
type Impact struct {
	Members int          `json:"members"`
	Moves   []MemberMove `json:"moves"`
	// Current counts the members already evaluated under these rules
	// (runtime.MemberRules): nothing in this configuration moves them,
	// and what time alone does to them is their own rechecks' business.
	Current int `json:"current"`
	// Stale counts the other members last evaluated more than a day
	// before now, such as a replayed history: their moves include what
	// time alone would do since.
	Stale int `json:"stale"`
}

// staleAfter is how old a member's evaluation may be before the impact
// says its moves include time passing.
const staleAfter = 24 * time.Hour

// MemberMove is one segment's or tier's change.
type MemberMove struct {
	Kind  string `json:"kind"` // segment, tier, badge or campaign
	Name  string `json:"name"`
	Enter int    `json:"enter"`
	Leave int    `json:"leave"`
	// EnterSample and LeaveSample name a few of the members (display
	// names, else ids), in id order.
	EnterSample []string `json:"enter_sample,omitempty"`
	LeaveSample []string `json:"leave_sample,omitempty"`
	// Removed marks a campaign the configuration no longer has: Leave
	// counts its runs under way, which stop with nothing more sent.
	Removed bool `json:"removed,omitempty"`
	// Exited is how many of a campaign's Leave are members whose run
	// its stop_when ends (as exited, no goal): a stop_when added to a
	// running campaign takes out everyone it already holds for.
	Exited int `json:"exited,omitempty"`
	// Goal is how many of a campaign's Leave are members whose run its
	// exit_when ends as goal (a win-back's: the member is back): a goal
	// added or loosened counts everyone it already holds for as
	// converted at their next event or recheck.
	Goal int `json:"goal,omitempty"`
	// Back is how many of Goal are members in the community whose run
	// of a win-back (members = "left") ends as goal: a campaign switched
	// to "left" counts everyone still in the community as back.
	Back int `json:"back,omitempty"`
	// Left is how many of a campaign's Leave are members who left the
	// community, whose runs a campaign for current members (members =
	// "current") ends as left: a campaign switched from "all" to
	// "current" ends the runs of everyone who left.
	Left int `json:"left,omitempty"`
}

// HasMemberRules reports whether cfg has rules the member impact
// evaluates: segments, tiers, a badge's revoke_when, or a campaign with
// an audience, exit_when, stop_when or members = "left". hearth plan
// shows the impact for such a configuration, and for any other only when
// something moves: what a configuration that lost its last segment or
// campaign ends.
func HasMemberRules(cfg *config.Config) bool {
	if len(cfg.Segments) > 0 || len(cfg.Tiers) > 0 {
		return true
	}
	for _, b := range cfg.Badges {
		if b.RevokeWhen != nil {
			return true
		}
	}
	for _, c := range cfg.Campaigns {
		if c.Audience != nil || c.ExitWhen != nil || c.StopWhen != nil || c.Members == config.MembersLeft {
			return true
		}
	}
	return false
}

// Members visits every stored member; state.Store's Members is one.
type Members func(ctx context.Context, fn func(*state.Member) error) error

// MemberImpact evaluates cfg's segment, tier and badge rules against
// every stored member at now and counts who would move, as the daemon's
// re-evaluation after the reload moves them (runtime.PreviewEnds): with
// what the moves set off, the incentives, campaigns and rules on the
// tier.changed and segment events they send, and the rechecks come due
// that it runs first. Grace periods and qualification windows are not
// applied, so the figures are what the rules say, before time-based
// delays. Members already evaluated under these very rules are left out
// of those: the configuration changes nothing for them. Campaign runs
// are counted for every member: those of removed campaigns, and those
// whose stop_when or exit_when holds now, or that the campaign's members
// setting ends (runtime.Ends), the rules reading the member as each pass
// of the settling leaves them: in its segments, on its tier and without
// the badges it revokes.
//
// It reads members and writes nothing, to the store or anywhere else.
func MemberImpact(ctx context.Context, cfg *config.Config, members Members, now time.Time) (*Impact, error) {
	rt := runtime.New(cfg, slog.New(slog.DiscardHandler))
	moves := map[[2]string]*MemberMove{}
	move := func(kind, name string) *MemberMove {
		k := [2]string{kind, name}
		if moves[k] == nil {
			moves[k] = &MemberMove{Kind: kind, Name: name}
		}
		return moves[k]
	}
	out := &Impact{}
	fingerprint := rt.MemberRules()
	kept := map[string]bool{}
	for _, c := range cfg.Campaigns {
		kept[c.Name] = true
	}
	var ends []runtime.RunEnd // reused: most members have none
	err := members(ctx, func(m *state.Member) error {
		out.Members++
		// Runs of a removed campaign stop whatever rules the member was
		// evaluated under: the fingerprint does not cover campaigns.
		var gone []string // a member with several runs (run_key) leaves once
		for id, run := range m.Campaigns {
			if name := state.RunCampaign(id); run.Active() && !kept[name] && !slices.Contains(gone, name) {
				gone = append(gone, name)
				mv := move("campaign", name)
				mv.Removed = true
				mv.Leave++
				if len(mv.LeaveSample) < SampleSize {
					mv.LeaveSample = append(mv.LeaveSample, cmp.Or(m.Name, m.ID))
				}
			}
		}
		// So do runs their campaign's stop_when, exit_when or members
		// setting ends: campaign rules are not in the fingerprint
		// either, and a run still active is what the configuration in
		// force left running. The rules read the member where these
		// rules put them: as stored when evaluated under them already,
		// else as settled (the runtime settles segments, tier and
		// badges before it advances a run). A member leaves a campaign
		// once, however many reasons it has.
		current := m.Rules == fingerprint
		var st runtime.Standing
		if current {
			ends = rt.Ends(m, now, ends[:0])
		} else {
			var err error
			if st, ends, err = rt.PreviewEnds(m, now, ends[:0]); err != nil {
				return err
			}
		}
		for _, e := range ends {
			mv := move("campaign", e.Campaign)
			mv.Leave++
			if e.Exited {
				mv.Exited++
			}
			if e.Goal {
				mv.Goal++
			}
			if e.Back {
				mv.Back++
			}
			if e.Left {
				mv.Left++
			}
			if len(mv.LeaveSample) < SampleSize {
				mv.LeaveSample = append(mv.LeaveSample, cmp.Or(m.Name, m.ID))
			}
		}
		if current {
			out.Current++
			return nil
		}
		if !m.EvaluatedAt.IsZero() && now.Sub(m.EvaluatedAt) > staleAfter {
			out.Stale++
		}
		who := cmp.Or(m.Name, m.ID)
		enter := func(kind, name string) {
			mv := move(kind, name)
			mv.Enter++
			if len(mv.EnterSample) < SampleSize {
				mv.EnterSample = append(mv.EnterSample, who)
			}
		}
		leave := func(kind, name string) {
			mv := move(kind, name)
			mv.Leave++
			if len(mv.LeaveSample) < SampleSize {
				mv.LeaveSample = append(mv.LeaveSample, who)
			}
		}
		segs, tier := st.Segments, st.Tier
		for _, b := range st.Awarded {
			enter("badge", b)
		}
		for _, b := range st.Revoked {
			leave("badge", b)
		}
		for _, s := range segs {
			if _, was := m.Segments[s]; !was {
				enter("segment", s)
			}
		}
		for s := range m.Segments {
			if !slices.Contains(segs, s) {
				leave("segment", s)
			}
		}
		// The runs started: an audience campaign's on a segment entered,
		// one entering on an event the moves sent. Those ended on
		// leaving the audience are among the ends above.
		for _, c := range st.Entered {
			enter("campaign", c)
		}
		if tier != m.Tier.Name {
			if tier != "" {
				enter("tier", tier)
			}
			if m.Tier.Name != "" {
				leave("tier", m.Tier.Name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	out.Moves = []MemberMove{}
	for _, mv := range moves {
		out.Moves = append(out.Moves, *mv)
	}
	slices.SortFunc(out.Moves, func(a, b MemberMove) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// sample lists the names of a sample of n members, saying how many more
// there are when it is not all of them.
func sample(names []string, n int) string {
	s := strings.Join(names, ", ")
	if more := n - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// WriteText writes the impact as "segment lurkers: +7 -1 (+ann, bob,
// cy, dee, ed and 2 more; -flo)". With color, for a terminal, the
// heading is bold and the counts that are not zero are green (+) and
// red (-), as the plan's symbols are.
func (im *Impact) WriteText(w io.Writer, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	count := func(c, sign string, n int) string {
		if n == 0 {
			return sign + "0"
		}
		return paint(c, sign+strconv.Itoa(n))
	}
	var b strings.Builder
	switch {
	case im.Members == 0:
		b.WriteString("Member impact: none; no members are stored yet (hearth replay or hearth run stores them).\n")
	case im.Current == im.Members && len(im.Moves) == 0:
		verb := "were"
		if im.Members == 1 {
			verb = "was"
		}
		fmt.Fprintf(&b, "Member impact: none; %s %s evaluated under these rules already.\n", storedMembers(im.Members), verb)
	case len(im.Moves) == 0:
		fmt.Fprintf(&b, "Member impact: none of %s would change segment, tier, badge or campaign.\n", storedMembers(im.Members))
	default:
		fmt.Fprintf(&b, "%s (the rules evaluated against %s", paint(bold, "Member impact"), storedMembers(im.Members))
		if im.Current > 0 {
			fmt.Fprintf(&b, "; %d under these rules already", im.Current)
		}
		b.WriteString("):\n")
		for _, mv := range im.Moves {
			fmt.Fprintf(&b, "  %s %s: %s %s", mv.Kind, mv.Name, count(green, "+", mv.Enter), count(red, "-", mv.Leave))
			var parts []string
			if len(mv.EnterSample) > 0 {
				parts = append(parts, "+"+sample(mv.EnterSample, mv.Enter))
			}
			if len(mv.LeaveSample) > 0 {
				parts = append(parts, "-"+sample(mv.LeaveSample, mv.Leave))
			}
			if len(parts) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
			}
			if mv.Removed {
				b.WriteString(": removed from the configuration, these runs stop with nothing more sent")
			}
			var ends []string
			if mv.Left > 0 {
				ends = append(ends, fmt.Sprintf("it is for current members (members = \"current\") and %d left the community, whose runs end as left", mv.Left))
			}
			if mv.Exited > 0 {
				ends = append(ends, fmt.Sprintf("stop_when holds for %d, whose runs end as exited", mv.Exited))
			}
			if mv.Back > 0 {
				are := "are"
				if mv.Back == 1 {
					are = "is"
				}
				ends = append(ends, fmt.Sprintf("it is for members who left (members = \"left\") and %d %s in the community, whose runs end as goal", mv.Back, are))
			}
			if n := mv.Goal - mv.Back; n > 0 {
				ends = append(ends, fmt.Sprintf("the goal (exit_when) holds for %d, whose runs end as goal", n))
			}
			if len(ends) > 0 {
				fmt.Fprintf(&b, ": %s with nothing more sent", strings.Join(ends, "; "))
			}
			b.WriteString("\n")
		}
		if im.Stale > 0 {
			who := fmt.Sprintf("%d of these members were", im.Stale)
			if im.Stale == 1 {
				who = "1 of these members was"
			}
			fmt.Fprintf(&b, "  (%s last evaluated over a day ago, as after a replay of history: the moves include what time alone does since)\n", who)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// storedMembers is "the 1 stored member" or "the n stored members".
func storedMembers(n int) string {
	if n == 1 {
		return "the 1 stored member"
	}
	return fmt.Sprintf("the %d stored members", n)
}
