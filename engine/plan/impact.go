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
	Members int `json:"members"`
	// Moved counts the members with at least one of Moves (those a
	// grant makes, Made, included): what the plan's summary line says
	// would move. 0 in plans saved before it was added, which may still
	// have Moves.
	Moved int          `json:"moved"`
	Moves []MemberMove `json:"moves"`
	// Current counts the members already evaluated under these rules
	// (runtime.MemberRules): nothing in this configuration moves them,
	// and what time alone does to them is their own rechecks' business.
	Current int `json:"current"`
	// Stale counts the other members last evaluated more than a day
	// before now, such as a replayed history: their moves include what
	// time alone would do since.
	Stale int `json:"stale"`
	// Made counts the members an incentive's grant.to names that no
	// member is stored for: the daemon makes them, and their moves are
	// in Moves (Members does not count them).
	Made int `json:"made,omitempty"`
	// Approximate names the rules whose effect the figures only
	// approximate, and why.
	Approximate []Approximation `json:"approximate,omitempty"`
}

// Approximation is a rule whose effect the impact only approximates.
type Approximation struct {
	Rule string `json:"rule"` // its address: incentive.referral
	Why  string `json:"why"`
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

// Members visits every stored member, in id order; state.Store's
// Members is one.
type Members func(ctx context.Context, fn func(*state.Member) error) error

// Population is what MemberImpact reads of the state.
type Population struct {
	// Members visits the stored members, maybe more than once.
	Members Members
	// Communities lists the stored community documents (a
	// state.CommunityReader's), which rules over community figures
	// (community.*) read; nil for none, as of new communities.
	Communities func() ([]*state.Community, error)
	// Suppressed reports whether an id is on the suppression list (a
	// state.Eraser's IsSuppressed): an incentive granting to such an id
	// (grant.to) makes no member of it. nil for none.
	Suppressed func(ctx context.Context, id string) (bool, error)
}

// StoredPopulation is the population of st: its members, and its
// community documents and suppression list where it keeps them.
func StoredPopulation(st state.Store) Population {
	pop := Population{Members: st.Members}
	if cr, ok := st.(state.CommunityReader); ok {
		pop.Communities = cr.Communities
	}
	if e, ok := st.(state.Eraser); ok {
		pop.Suppressed = e.IsSuppressed
	}
	return pop
}

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
// the badges it revokes. Rules over community figures read the stored
// community documents, as the daemon's do.
//
// Members an incentive on one's moves grants to another (grant.to) are
// settled together, as the daemon's re-evaluation settles them among
// the others (runtime.PreviewGroup), the members they reach in turn
// too; one not stored, whom the grant makes, is counted as Made. Where
// grants reach anyone, that takes a second reading of the members to
// count them again, and a quick one (no rules) for each step the grants
// reach further than the members' own previews showed, up to
// maxGrantRounds; past that the figures say they are approximate
// (Impact.Approximate). A configuration without grant.to pays nothing.
//
// It reads members and writes nothing, to the store or anywhere else.
func MemberImpact(ctx context.Context, cfg *config.Config, pop Population, now time.Time) (*Impact, error) {
	return memberImpact(ctx, cfg, pop, now, maxGrantRounds)
}

// memberImpact is MemberImpact following grants for up to rounds
// readings of the members.
func memberImpact(ctx context.Context, cfg *config.Config, pop Population, now time.Time, rounds int) (*Impact, error) {
	rt := runtime.New(cfg, slog.New(slog.DiscardHandler))
	if pop.Communities != nil {
		docs, err := pop.Communities()
		if err != nil {
			return nil, fmt.Errorf("reading community figures: %w", err)
		}
		rt.PreviewCommunities(docs)
	}
	t := newTally(cfg, rt, now)
	g := &grantGroup{docs: map[string][]byte{}, want: map[string]bool{}, absent: map[string]bool{}, rounds: rounds}
	err := pop.Members(ctx, func(m *state.Member) error {
		if g.want[m.ID] {
			if err := g.keep(m); err != nil {
				return err
			}
		}
		reached, err := t.member(m, nil)
		if err != nil || len(reached) == 0 {
			return err
		}
		for _, id := range reached {
			if g.docs[id] == nil {
				g.want[id] = true
			}
		}
		return g.keep(m)
	})
	if err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	if len(g.docs) == 0 {
		return t.result(), nil
	}
	// Grants reach other members: those settled alone above got nothing
	// from the others, nor gave them anything. Settle the group, then
	// count again, the group's members as settled together.
	settled, err := g.settle(ctx, rt, pop, now)
	if err != nil {
		return nil, err
	}
	var made []string
	for id, s := range settled {
		if s.Made {
			made = append(made, id)
		}
	}
	slices.Sort(made)
	t = newTally(cfg, rt, now)
	err = pop.Members(ctx, func(m *state.Member) error {
		for len(made) > 0 && made[0] < m.ID {
			t.made(made[0], settled[made[0]])
			made = made[1:]
		}
		var s *runtime.Settled
		if st, ok := settled[m.ID]; ok {
			s = &st
		}
		_, err := t.member(m, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	for _, id := range made {
		t.made(id, settled[id])
	}
	if g.missed {
		for _, in := range cfg.Incentives {
			if in.Grant.To != nil {
				t.out.Approximate = append(t.out.Approximate, Approximation{
					Rule: "incentive." + in.Name,
					Why:  fmt.Sprintf("its grants to other members (grant.to) reach further than the %d steps the plan follows: members past them are counted without what they get", rounds),
				})
			}
		}
	}
	return t.result(), nil
}

// maxGrantRounds bounds the settlings of the group of members grants
// reach (grantGroup.settle), each after a reading of the members for
// those the last reached outside it: a sponsor promoted by what the one
// before gets, who pays theirs, is followed this far. The runtime's own
// bound on derived events (four deep) leaves most chains well short.
const maxGrantRounds = 8

// grantGroup gathers the members settled together (runtime.Group): docs
// are the stored ones, encoded, want the ids reached whose member is
// still to find, absent the ids no stored member has (true: suppressed).
// missed says the group reaches further than rounds followed.
type grantGroup struct {
	docs   map[string][]byte
	want   map[string]bool
	absent map[string]bool
	rounds int
	missed bool
}

// keep adds a stored member to the group.
func (g *grantGroup) keep(m *state.Member) error {
	delete(g.want, m.ID)
	if g.docs[m.ID] != nil {
		return nil
	}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		return fmt.Errorf("copying member %s: %w", m.ID, err)
	}
	g.docs[m.ID] = doc
	return nil
}

// settle settles the group (runtime.PreviewGroup), reading the members
// again for the ones it still wants, until the group reaches no member
// outside it or g.rounds settlings were made.
func (g *grantGroup) settle(ctx context.Context, rt *runtime.Runtime, pop Population, now time.Time) (map[string]runtime.Settled, error) {
	for round := 0; ; round++ {
		if len(g.want) > 0 {
			err := pop.Members(ctx, func(m *state.Member) error {
				if g.want[m.ID] {
					return g.keep(m)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("reading members: %w", err)
			}
			for id := range g.want {
				suppressed := false
				if pop.Suppressed != nil {
					if suppressed, err = pop.Suppressed(ctx, id); err != nil {
						return nil, fmt.Errorf("reading the suppression list: %w", err)
					}
				}
				g.absent[id] = suppressed
			}
			clear(g.want)
		}
		settled, missed, err := rt.PreviewGroup(runtime.Group{Docs: g.docs, Absent: g.absent}, now)
		if err != nil {
			return nil, err
		}
		if len(missed) == 0 {
			return settled, nil
		}
		if round+1 >= g.rounds {
			g.missed = true
			return settled, nil
		}
		for _, id := range missed {
			g.want[id] = true
		}
	}
}

// tally counts the moves of members into an Impact.
type tally struct {
	rt          *runtime.Runtime
	now         time.Time
	fingerprint uint64
	kept        map[string]bool // the configuration's campaigns
	moves       map[[2]string]*MemberMove
	out         *Impact
	ends        []runtime.RunEnd // reused: most members have none
	// touched says the member being counted has moved: move sets it,
	// since every move it hands out is counted.
	touched bool
}

func newTally(cfg *config.Config, rt *runtime.Runtime, now time.Time) *tally {
	t := &tally{rt: rt, now: now, fingerprint: rt.MemberRules(), kept: map[string]bool{}, moves: map[[2]string]*MemberMove{}, out: &Impact{}}
	for _, c := range cfg.Campaigns {
		t.kept[c.Name] = true
	}
	return t
}

func (t *tally) move(kind, name string) *MemberMove {
	t.touched = true
	k := [2]string{kind, name}
	if t.moves[k] == nil {
		t.moves[k] = &MemberMove{Kind: kind, Name: name}
	}
	return t.moves[k]
}

// member counts a stored member's moves: as settled with others when s
// is given, else as the member's own preview has them, which it returns
// the other members reached by grants of (runtime.Standing.Reached).
// A member with any move counts once in Moved.
func (t *tally) member(m *state.Member, s *runtime.Settled) ([]string, error) {
	t.touched = false
	reached, err := t.stored(m, s)
	if t.touched {
		t.out.Moved++
	}
	return reached, err
}

// stored counts a stored member's moves, for member.
func (t *tally) stored(m *state.Member, s *runtime.Settled) ([]string, error) {
	t.out.Members++
	// Runs of a removed campaign stop whatever rules the member was
	// evaluated under: the fingerprint does not cover campaigns.
	var gone []string // a member with several runs (run_key) leaves once
	for id, run := range m.Campaigns {
		if name := state.RunCampaign(id); run.Active() && !t.kept[name] && !slices.Contains(gone, name) {
			gone = append(gone, name)
			mv := t.move("campaign", name)
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
	current := m.Rules == t.fingerprint
	// A member under these rules that a grant moved is counted as the
	// group's settling leaves it; one it did not move, as it stands.
	moved := s != nil && (!current || len(s.Ends) > 0 || !stands(m, s.Standing))
	var st runtime.Standing
	switch {
	case moved:
		st, t.ends = s.Standing, append(t.ends[:0], s.Ends...)
	case current:
		t.ends = t.rt.Ends(m, t.now, t.ends[:0])
	default:
		var err error
		if st, t.ends, err = t.rt.PreviewEnds(m, t.now, t.ends[:0]); err != nil {
			return nil, err
		}
	}
	t.countEnds(cmp.Or(m.Name, m.ID))
	if current {
		t.out.Current++
		if !moved {
			return nil, nil
		}
	} else if !m.EvaluatedAt.IsZero() && t.now.Sub(m.EvaluatedAt) > staleAfter {
		t.out.Stale++
	}
	t.countMoves(cmp.Or(m.Name, m.ID), m, st)
	return st.Reached, nil
}

// made counts the moves of a member a grant makes, not stored.
func (t *tally) made(id string, s runtime.Settled) {
	t.out.Made++
	t.touched = false
	t.ends = append(t.ends[:0], s.Ends...)
	t.countEnds(id)
	t.countMoves(id, &state.Member{ID: id}, s.Standing)
	if t.touched {
		t.out.Moved++
	}
}

// stands reports whether st is where m stands: in the same segments, on
// the same tier, with no badge or campaign run won or lost.
func stands(m *state.Member, st runtime.Standing) bool {
	if st.Tier != m.Tier.Name || len(st.Awarded)+len(st.Revoked)+len(st.Entered) > 0 || len(st.Segments) != len(m.Segments) {
		return false
	}
	for _, s := range st.Segments {
		if _, in := m.Segments[s]; !in {
			return false
		}
	}
	return true
}

// countEnds counts the runs t.ends has ending for the member who.
func (t *tally) countEnds(who string) {
	for _, e := range t.ends {
		mv := t.move("campaign", e.Campaign)
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
			mv.LeaveSample = append(mv.LeaveSample, who)
		}
	}
}

// countMoves counts how st moves m (who): badges, segments, campaign runs
// started and tier.
func (t *tally) countMoves(who string, m *state.Member, st runtime.Standing) {
	enter := func(kind, name string) {
		mv := t.move(kind, name)
		mv.Enter++
		if len(mv.EnterSample) < SampleSize {
			mv.EnterSample = append(mv.EnterSample, who)
		}
	}
	leave := func(kind, name string) {
		mv := t.move(kind, name)
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
}

// result is the impact counted, its moves in order.
func (t *tally) result() *Impact {
	out := t.out
	out.Moves = []MemberMove{}
	for _, mv := range t.moves {
		out.Moves = append(out.Moves, *mv)
	}
	slices.SortFunc(out.Moves, func(a, b MemberMove) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out
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
		if im.Made > 0 {
			who := fmt.Sprintf("%d members", im.Made)
			if im.Made == 1 {
				who = "1 member"
			}
			fmt.Fprintf(&b, "  (incentives grant to %s not stored yet (grant.to), whom the daemon makes: their moves are counted too)\n", who)
		}
	}
	// Said whatever moves: the figures, none included, are not to be
	// relied on.
	for _, a := range im.Approximate {
		fmt.Fprintf(&b, "  (approximate: %s: %s)\n", a.Rule, a.Why)
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
