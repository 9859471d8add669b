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
	"github.com/hearth-community/hearth/engine/termsafe"
)

// SampleSize is how many members the text names per move and
// direction, with a count of the rest, unless the impact lists every
// member (ListCap 0, hearth plan -members).
const SampleSize = 5

// DefaultList is how many members a MemberMove lists per direction
// (EnterMembers, LeaveMembers) unless ImpactOptions.List says otherwise:
// the counts are always whole, and a plan over a large community stays a
// file one can open.
const DefaultList = 1000

// ImpactOptions are what MemberImpact needs besides the configuration
// and the members.
type ImpactOptions struct {
	// Now is the moment the rules are evaluated at.
	Now time.Time
	// List is how many members each move lists per direction:
	// DefaultList when 0, every one when negative.
	List int
	// whole counts every member's moves against the stored state at
	// now, what the daemon's sweep does, without telling the rules
	// change from what time does: for tests holding the preview to
	// the sweep.
	whole bool
}

// Impact is how the configuration's rules would move the stored members:
// per segment and tier, how many would enter and leave; per badge how
// many an incentive on the moves would award it to (Enter) and how many
// would have it revoked (Leave); per campaign how many would start a run
// (Enter: an audience campaign's, one entering on tier.changed) and how
// many runs would end (Leave), by its rules (stop_when, exit_when), its
// members setting, leaving its audience or a removal.
//
// Moves are what the rules change does: each member under these rules
// against the member under the rules in force, as of the same moment
// (see MemberImpact). TimeMoves are what time does with the rules
// unchanged, which the daemon makes at its next recheck whether or not
// these rules load.
type Impact struct {
	Members int `json:"members"`
	// Moved counts the members with at least one of Moves (those a
	// grant makes, Made, included): what the plan's summary line says
	// would move, and -detailed-exitcode's reason. 0 in plans saved
	// before it was added, which may still have Moves.
	Moved int          `json:"moved"`
	Moves []MemberMove `json:"moves"`
	// Current counts the members already evaluated under these segment,
	// tier and badge rules (runtime.MemberRules): the change moves none
	// of them there.
	Current int `json:"current"`
	// Overdue counts the members with a recheck come due since their
	// last evaluation (a window ended, a days_since rule turned, a
	// campaign step came due) that the daemon has not run: a replayed
	// history, a daemon stopped. Their stored standing is out of date.
	Overdue int `json:"overdue"`
	// AtEvaluation counts the Overdue members last evaluated under other
	// segment, tier and badge rules. hearth keeps no copy of those, so
	// their Moves compare these rules with the stored standing as of
	// each one's last evaluation, from AtEvaluationFrom to
	// AtEvaluationTo, and what time did since is in TimeMoves.
	AtEvaluation     int        `json:"at_evaluation"`
	AtEvaluationFrom *time.Time `json:"at_evaluation_from,omitempty"`
	AtEvaluationTo   *time.Time `json:"at_evaluation_to,omitempty"`
	// TimeMoved counts the members with at least one of TimeMoves: the
	// Overdue members that time moves under these rules, since their
	// last evaluation. Not in Moved.
	TimeMoved int          `json:"time_moved"`
	TimeMoves []MemberMove `json:"time_moves"`
	// ListCap is how many members each move lists per direction at
	// most; 0 when every one is listed (hearth plan -members).
	ListCap int `json:"list_cap"`
	// Incentives are the incentives changed since the state last ran
	// (config.IncentivesRecord). Incentives act on new events only: a change
	// moves no stored member, so it is not in Moves. nil for a
	// configuration and a record with none.
	Incentives *IncentiveChanges `json:"incentives,omitempty"`
	// Stale is from plans saved before format 1.4: the members last
	// evaluated more than a day before, whose moves then included what
	// time did since. No longer written.
	Stale int `json:"stale,omitempty"`
	// Made counts the members an incentive's grant.to names that no
	// member is stored for: the daemon makes them, and their moves are
	// in Moves (Members does not count them).
	Made int `json:"made,omitempty"`
	// Approximate names the rules whose effect the figures only
	// approximate, and why.
	Approximate []Approximation `json:"approximate,omitempty"`
}

// IncentiveChanges are the incentives of the configuration that differ
// from those the state last ran with, by name.
type IncentiveChanges struct {
	// Recorded says the state has a record of them; without it (a state
	// last run by an earlier hearth) Unrecorded lists the
	// configuration's incentives, any of which may have changed.
	Recorded   bool     `json:"recorded"`
	Changed    []string `json:"changed,omitempty"`
	Added      []string `json:"added,omitempty"`
	Removed    []string `json:"removed,omitempty"`
	Unrecorded []string `json:"unrecorded,omitempty"`
}

// Says reports whether the plan has something to say about the
// incentives, over that many stored members: a change, or that it
// cannot tell one (no record) where members are stored.
func (ic *IncentiveChanges) Says(members int) bool {
	if ic == nil {
		return false
	}
	if !ic.Recorded {
		return len(ic.Unrecorded) > 0 && members > 0
	}
	return len(ic.Changed)+len(ic.Added)+len(ic.Removed) > 0
}

// Approximation is a rule whose effect the impact only approximates.
type Approximation struct {
	Rule string `json:"rule"` // its address: incentive.referral
	Why  string `json:"why"`
}

// MemberRef names a member: the id, for hearth member show, and the
// display name where the member has one other than the id.
type MemberRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// refOf is m's MemberRef.
func refOf(m *state.Member) MemberRef {
	if m.Name == m.ID {
		return MemberRef{ID: m.ID}
	}
	return MemberRef{ID: m.ID, Name: m.Name}
}

// MemberMove is one segment's or tier's change.
type MemberMove struct {
	Kind  string `json:"kind"` // segment, tier, badge or campaign
	Name  string `json:"name"`
	Enter int    `json:"enter"`
	Leave int    `json:"leave"`
	// EnterMembers and LeaveMembers list the members, in id order: all
	// of them, or the first Impact.ListCap.
	EnterMembers []MemberRef `json:"enter_members,omitempty"`
	LeaveMembers []MemberRef `json:"leave_members,omitempty"`
	// EnterSample and LeaveSample are from plans saved before format
	// 1.4: a few display names, no ids. No longer written.
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
	// StepRemoved marks a move of kind "step", named CAMPAIGN.STEP: Leave
	// counts the runs waiting at a step the configuration no longer has
	// (renamed or removed, with no moved block naming it), which go on
	// to GoesOn when their wait is over, without the step's send, or
	// finish when GoesOn is "".
	StepRemoved bool   `json:"step_removed,omitempty"`
	GoesOn      string `json:"goes_on,omitempty"`
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
	// Incentives reads the record of the incentives the state last ran
	// with (config.IncentivesRecord; "" for none). nil for a store
	// without one: the impact then says nothing of incentives.
	Incentives func(ctx context.Context) (string, error)
	// StepOrders reads the record of the campaigns' step orders the
	// state last ran with (config.StepOrdersRecord), which tells where
	// a run on a removed step goes on to. nil for none.
	StepOrders func(ctx context.Context) (string, error)
}

// cursorReader is a store's record of cursors, where the record of the
// incentives is kept.
type cursorReader interface {
	Cursor(ctx context.Context, stream string) (string, error)
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
	if c, ok := st.(cursorReader); ok {
		pop.Incentives = func(ctx context.Context) (string, error) { return c.Cursor(ctx, config.IncentivesRecord) }
		pop.StepOrders = func(ctx context.Context) (string, error) { return c.Cursor(ctx, config.StepOrdersRecord) }
	}
	return pop
}

// MemberImpact evaluates cfg's segment, tier and badge rules against
// every stored member and counts who would move, as the daemon's
// re-evaluation after the reload moves them (runtime.PreviewEnds): with
// what the moves set off, the incentives, campaigns and rules on the
// tier.changed and segment events they send, and the rechecks come due
// that it runs first. The waits the stored members are in (a
// qualification window under way, a grace period, demote_after counting)
// hold as the daemon holds them, so a change that changes no decision
// moves no one.
//
// It tells the rules change (Impact.Moves) from what time does
// (Impact.TimeMoves), comparing each member under these rules with the
// member under the rules in force as of one moment:
//
//   - a member with no recheck due by opt.Now stands where the rules it
//     was evaluated under leave it now (the runtime sets a recheck for
//     the next moment time changes what they say), so its Moves are
//     these rules at now against it as stored. One evaluated under these
//     very segment, tier and badge rules has none of those (Current).
//   - a member with a recheck overdue (Overdue) is out of date: under
//     these rules (Current) its Moves are none but the runs campaign
//     rules end as of its last evaluation (campaign rules are not in
//     the fingerprint, and the rules in force left those runs running
//     then), and everything else the daemon's recheck does is
//     TimeMoves. Under other rules, which hearth keeps no copy of, its
//     Moves are these rules as of its last evaluation against it as
//     stored (AtEvaluation), and TimeMoves what these rules do between
//     then and now.
//
// Campaign runs are counted for every member: those of removed
// campaigns, and those whose stop_when or exit_when holds, or that the
// campaign's members setting ends (runtime.Ends), the rules reading the
// member as each pass of the settling leaves them: in its segments, on
// its tier and without the badges it revokes. Rules over community
// figures read the stored community documents, as the daemon's do.
//
// Members an incentive on one's moves grants to another (grant.to) are
// settled together at now, as the daemon's re-evaluation settles them
// among the others (runtime.PreviewGroup), the members they reach in
// turn too; one not stored, whom the grant makes, is counted as Made.
// Where grants reach anyone, that takes a second reading of the members
// to count them again, and a quick one (no rules) for each step the
// grants reach further than the members' own previews showed, up to
// maxGrantRounds; past that the figures say they are approximate
// (Impact.Approximate). A configuration without grant.to pays nothing.
//
// Incentives act only on new events: a change to one moves no stored
// member. Impact.Incentives names those changed since the state last ran
// (pop.Incentives).
//
// It reads members and writes nothing, to the store or anywhere else.
func MemberImpact(ctx context.Context, cfg *config.Config, pop Population, opt ImpactOptions) (*Impact, error) {
	return memberImpact(ctx, cfg, pop, opt, maxGrantRounds)
}

// memberImpact is MemberImpact following grants for up to rounds
// readings of the members.
func memberImpact(ctx context.Context, cfg *config.Config, pop Population, opt ImpactOptions, rounds int) (*Impact, error) {
	now := opt.Now
	rt := runtime.New(cfg, slog.New(slog.DiscardHandler))
	if pop.Communities != nil {
		docs, err := pop.Communities()
		if err != nil {
			return nil, fmt.Errorf("reading community figures: %w", err)
		}
		rt.PreviewCommunities(docs)
	}
	incentives, err := incentiveChanges(ctx, cfg, pop)
	if err != nil {
		return nil, err
	}
	orders := config.StepOrders{}
	if pop.StepOrders != nil {
		if rec, err := pop.StepOrders(ctx); err == nil {
			orders, _ = config.ParseStepOrders(rec) // unreadable: runs go by index, as in the daemon
		}
	}
	orders.Merge(cfg)
	rt.SetStepOrders(orders)
	t := newTally(cfg, rt, opt)
	t.orders = orders
	g := &grantGroup{docs: map[string][]byte{}, want: map[string]bool{}, absent: map[string]bool{}, rounds: rounds}
	err = pop.Members(ctx, func(m *state.Member) error {
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
		return t.result(incentives), nil
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
	t = newTally(cfg, rt, opt)
	t.orders = orders
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
	return t.result(incentives), nil
}

// incentiveChanges compares cfg's incentives with the record of those
// the state last ran with: nil when neither has any.
func incentiveChanges(ctx context.Context, cfg *config.Config, pop Population) (*IncentiveChanges, error) {
	now := config.DigestIncentives(cfg)
	var was config.IncentivesDigest
	recorded := false
	if pop.Incentives != nil {
		s, err := pop.Incentives(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the record of the incentives the state ran with: %w", err)
		}
		was, recorded = config.ParseIncentivesDigest(s)
	}
	if pop.Incentives == nil || len(now.Incentives) == 0 && len(was.Incentives) == 0 {
		return nil, nil
	}
	ic := &IncentiveChanges{Recorded: recorded}
	if recorded {
		ic.Changed, ic.Added, ic.Removed = now.IncentiveChanges(was)
		return ic, nil
	}
	for _, in := range cfg.Incentives {
		ic.Unrecorded = append(ic.Unrecorded, in.Name)
	}
	slices.Sort(ic.Unrecorded)
	return ic, nil
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
	cfg         *config.Config
	now         time.Time
	fingerprint uint64
	list        int             // members listed per move and direction; negative: all
	whole       bool            // ImpactOptions.whole
	kept        map[string]bool // the configuration's campaigns
	campaigns   map[string]*config.Campaign
	orders      config.StepOrders // as recorded in the state, with the configuration's
	rule, time  moves             // the rules change's, and time's
	out         *Impact
	// ends and then are reused buffers of runs ended (most members have
	// none): then as of an overdue member's last evaluation, ends now.
	ends, then []runtime.RunEnd
}

// moves are the moves counted into one list: Impact.Moves or TimeMoves.
type moves struct {
	by map[[2]string]*MemberMove
	// touched says the member being counted has moved: move sets it,
	// since every move it hands out is counted.
	touched bool
}

func newTally(cfg *config.Config, rt *runtime.Runtime, opt ImpactOptions) *tally {
	list := opt.List
	if list == 0 {
		list = DefaultList
	}
	t := &tally{rt: rt, cfg: cfg, now: opt.Now, fingerprint: rt.MemberRules(), list: list, whole: opt.whole, kept: map[string]bool{},
		rule: moves{by: map[[2]string]*MemberMove{}}, time: moves{by: map[[2]string]*MemberMove{}}, out: &Impact{}, campaigns: map[string]*config.Campaign{}}
	for _, c := range cfg.Campaigns {
		t.kept[c.Name] = true
		t.campaigns[c.Name] = c
	}
	return t
}

func (ms *moves) move(kind, name string) *MemberMove {
	ms.touched = true
	k := [2]string{kind, name}
	if ms.by[k] == nil {
		ms.by[k] = &MemberMove{Kind: kind, Name: name}
	}
	return ms.by[k]
}

// enter counts who entering kind name in ms.
func (t *tally) enter(ms *moves, kind, name string, who MemberRef) {
	mv := ms.move(kind, name)
	mv.Enter++
	if t.list < 0 || len(mv.EnterMembers) < t.list {
		mv.EnterMembers = append(mv.EnterMembers, who)
	}
}

// leave counts who leaving kind name in ms, and returns the move for
// what a campaign's end adds.
func (t *tally) leave(ms *moves, kind, name string, who MemberRef) *MemberMove {
	mv := ms.move(kind, name)
	mv.Leave++
	if t.list < 0 || len(mv.LeaveMembers) < t.list {
		mv.LeaveMembers = append(mv.LeaveMembers, who)
	}
	return mv
}

// member counts a stored member's moves: as settled with others when s
// is given, else as the member's own preview has them, which it returns
// the other members reached by grants of (runtime.Standing.Reached).
// A member with any move counts once in Moved, and once in TimeMoved
// for any move time makes.
func (t *tally) member(m *state.Member, s *runtime.Settled) ([]string, error) {
	t.rule.touched, t.time.touched = false, false
	reached, err := t.stored(m, s)
	if t.rule.touched {
		t.out.Moved++
	}
	if t.time.touched {
		t.out.TimeMoved++
	}
	return reached, err
}

// stored counts a stored member's moves, for member.
func (t *tally) stored(m *state.Member, s *runtime.Settled) ([]string, error) {
	t.out.Members++
	who := refOf(m)
	// Runs of a removed campaign stop whatever rules the member was
	// evaluated under: the fingerprint does not cover campaigns.
	var gone []string // a member with several runs (run_key) leaves once
	for id, run := range m.Campaigns {
		if name := state.RunCampaign(id); run.Active() && !t.kept[name] && !slices.Contains(gone, name) {
			gone = append(gone, name)
			t.leave(&t.rule, "campaign", name, who).Removed = true
		}
	}
	// Runs waiting at a step the configuration no longer has (renamed
	// with no moved block, or removed) go on past it without its send:
	// what a rename costs, to be seen before it is deployed.
	for id, run := range m.Campaigns {
		c := t.campaigns[state.RunCampaign(id)]
		if c == nil || !run.Active() || !c.StepRemoved(run.StepName) {
			continue
		}
		mv := t.leave(&t.rule, "step", c.Name+"."+run.StepName, who)
		mv.StepRemoved, mv.GoesOn = true, ""
		if i := c.StepIndex(run.Step, run.StepName, t.orders[c.Name]); i >= 0 && i < len(c.Steps) {
			mv.GoesOn = c.Steps[i].Name
		}
	}
	current := m.Rules == t.fingerprint
	if current {
		t.out.Current++
	}
	if !t.whole && !m.RecheckAt.IsZero() && !m.RecheckAt.After(t.now) {
		return t.overdue(m, s, who, current)
	}
	// So do runs their campaign's stop_when, exit_when or members
	// setting ends: campaign rules are not in the fingerprint
	// either, and a run still active is what the configuration in
	// force left running. The rules read the member where these
	// rules put them: as stored when evaluated under them already,
	// else as settled (the runtime settles segments, tier and
	// badges before it advances a run). A member leaves a campaign
	// once, however many reasons it has.
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
	t.countEnds(&t.rule, who, t.ends, nil)
	if current && !moved {
		return nil, nil
	}
	t.countMoves(&t.rule, who, m, st)
	return st.Reached, nil
}

// overdue counts the moves of a member with a recheck come due since
// its last evaluation, for stored: those of the rules change as of that
// evaluation, and what these rules do between then and now as time's.
func (t *tally) overdue(m *state.Member, s *runtime.Settled, who MemberRef, current bool) ([]string, error) {
	t.out.Overdue++
	at := m.EvaluatedAt
	if at.IsZero() || at.After(t.now) {
		at = t.now
	}
	// Then: the member under the rules in force is the member as
	// stored; under these rules, as stored where they are the rules it
	// was evaluated under, else as they settle it then.
	var then runtime.Standing
	if current {
		t.then = t.rt.Ends(m, at, t.then[:0])
	} else {
		var err error
		if then, t.then, err = t.rt.PreviewEnds(m, at, t.then[:0]); err != nil {
			return nil, err
		}
		t.out.AtEvaluation++
		if f := t.out.AtEvaluationFrom; f == nil || at.Before(*f) {
			t.out.AtEvaluationFrom = &at
		}
		if to := t.out.AtEvaluationTo; to == nil || at.After(*to) {
			t.out.AtEvaluationTo = &at
		}
	}
	t.countEnds(&t.rule, who, t.then, nil)
	if !current {
		t.countMoves(&t.rule, who, m, then)
	}
	// Now: what the daemon's recheck does, as settled with the others
	// a grant reaches when s is given.
	var st runtime.Standing
	if s != nil {
		st, t.ends = s.Standing, append(t.ends[:0], s.Ends...)
	} else {
		var err error
		if st, t.ends, err = t.rt.PreviewEnds(m, t.now, t.ends[:0]); err != nil {
			return nil, err
		}
	}
	t.countEnds(&t.time, who, t.ends, t.then)
	if current {
		t.countMoves(&t.time, who, m, st)
	} else {
		t.countShift(&t.time, who, then, st)
	}
	return st.Reached, nil
}

// made counts the moves of a member a grant makes, not stored.
func (t *tally) made(id string, s runtime.Settled) {
	t.out.Made++
	t.rule.touched = false
	t.ends = append(t.ends[:0], s.Ends...)
	who := MemberRef{ID: id}
	t.countEnds(&t.rule, who, t.ends, nil)
	t.countMoves(&t.rule, who, &state.Member{ID: id}, s.Standing)
	if t.rule.touched {
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

// countEnds counts into ms the runs ends has ending for the member who,
// but for the campaigns already ended in except.
func (t *tally) countEnds(ms *moves, who MemberRef, ends, except []runtime.RunEnd) {
	for _, e := range ends {
		if slices.ContainsFunc(except, func(x runtime.RunEnd) bool { return x.Campaign == e.Campaign }) {
			continue
		}
		mv := t.leave(ms, "campaign", e.Campaign, who)
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
	}
}

// countMoves counts into ms how st moves m (who): badges, segments,
// campaign runs started and tier.
func (t *tally) countMoves(ms *moves, who MemberRef, m *state.Member, st runtime.Standing) {
	segs, tier := st.Segments, st.Tier
	for _, b := range st.Awarded {
		t.enter(ms, "badge", b, who)
	}
	for _, b := range st.Revoked {
		t.leave(ms, "badge", b, who)
	}
	for _, s := range segs {
		if _, was := m.Segments[s]; !was {
			t.enter(ms, "segment", s, who)
		}
	}
	for s := range m.Segments {
		if !slices.Contains(segs, s) {
			t.leave(ms, "segment", s, who)
		}
	}
	// The runs started: an audience campaign's on a segment entered,
	// one entering on an event the moves sent. Those ended on
	// leaving the audience are among the ends above.
	for _, c := range st.Entered {
		t.enter(ms, "campaign", c, who)
	}
	// A tier a moved block renamed is the same tier, with the same
	// members: the rename moves none.
	if tier != m.Tier.Name && !t.renamed(m.Tier.Name, tier) {
		if tier != "" {
			t.enter(ms, "tier", tier, who)
		}
		if m.Tier.Name != "" {
			t.leave(ms, "tier", m.Tier.Name, who)
		}
	}
}

// renamed reports whether moved blocks renamed tier from to tier to.
func (t *tally) renamed(from, to string) bool {
	if len(t.cfg.TierMoves) == 0 {
		return false
	}
	r := t.cfg.TierNamed(from)
	return r != nil && r.Name == to
}

// countShift counts into ms how a member (who) standing at from under
// these rules stands at to: what time does between the two. A badge or a
// campaign run the rules gave at from and not at to counts as left, one
// they took at from and not at to as entered.
func (t *tally) countShift(ms *moves, who MemberRef, from, to runtime.Standing) {
	// Each pair: what now counts as entered when it is in the first list
	// and not the second.
	for _, d := range []struct {
		kind      string
		in, notIn []string
		enter     bool
	}{
		{"badge", to.Awarded, from.Awarded, true}, {"badge", from.Revoked, to.Revoked, true},
		{"badge", to.Revoked, from.Revoked, false}, {"badge", from.Awarded, to.Awarded, false},
		{"segment", to.Segments, from.Segments, true}, {"segment", from.Segments, to.Segments, false},
		{"campaign", to.Entered, from.Entered, true},
	} {
		for _, name := range d.in {
			if slices.Contains(d.notIn, name) {
				continue
			}
			if d.enter {
				t.enter(ms, d.kind, name, who)
			} else {
				t.leave(ms, d.kind, name, who)
			}
		}
	}
	if from.Tier != to.Tier {
		if to.Tier != "" {
			t.enter(ms, "tier", to.Tier, who)
		}
		if from.Tier != "" {
			t.leave(ms, "tier", from.Tier, who)
		}
	}
}

// result is the impact counted, its moves in order.
func (t *tally) result(incentives *IncentiveChanges) *Impact {
	out := t.out
	out.Moves, out.TimeMoves = sorted(t.rule.by), sorted(t.time.by)
	out.Incentives = incentives
	if t.list > 0 {
		out.ListCap = t.list
	}
	return out
}

// sorted is the moves of by in order of kind and name.
func sorted(by map[[2]string]*MemberMove) []MemberMove {
	out := []MemberMove{}
	for _, mv := range by {
		out = append(out, *mv)
	}
	slices.SortFunc(out, func(a, b MemberMove) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out
}

// display is a member's name or id as the text shows it: quoted when it
// has a character termsafe.Field would escape (a name from a platform,
// or a plan file from elsewhere, must carry no terminal control code,
// line break or bidirectional override into the output). Quoted, not
// escaped alone: the name sits in a list a comma would extend.
func display(s string) string {
	if !termsafe.IsField(s) {
		return strconv.Quote(s)
	}
	return s
}

// String is the member as the text names it: "Ann (u17)", or the id
// alone for a member without a name of its own.
func (r MemberRef) String() string {
	if r.Name == "" {
		return display(r.ID)
	}
	return display(r.Name) + " (" + display(r.ID) + ")"
}

// sample names the first SampleSize members of refs (or of names, a
// saved plan's sample from before refs), saying how many more of n
// there are.
func sample(refs []MemberRef, names []string, n int) string {
	var shown []string
	for _, r := range refs[:min(len(refs), SampleSize)] {
		shown = append(shown, r.String())
	}
	if len(refs) == 0 {
		for _, name := range names[:min(len(names), SampleSize)] {
			shown = append(shown, display(name))
		}
	}
	s := strings.Join(shown, ", ")
	if more := n - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// WriteText writes the impact as "segment lurkers: +7 -1 (+Ann (u1),
// bob, cy, dee, ed and 2 more; -flo)", a sample of the members of each
// move, or, for an impact listing every member (ListCap 0), each move
// with its members one a line: the moves of the rules change, then
// those time makes with the rules unchanged, then what a change of
// incentives does. With color, for a terminal, the heading is bold and
// the counts that are not zero are green (+) and red (-), as the plan's
// symbols are.
func (im *Impact) WriteText(w io.Writer, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	var b strings.Builder
	all := im.ListCap == 0 && im.listsMembers()
	more := false // a sample leaves members out
	switch {
	case im.Members == 0:
		b.WriteString("Member impact: none; no members are stored yet (hearth replay or hearth run stores them).\n")
	case im.Current == im.Members && len(im.Moves) == 0:
		verb := "were"
		if im.Members == 1 {
			verb = "was"
		}
		fmt.Fprintf(&b, "Member impact: none; %s %s evaluated under these segment, tier and badge rules already.\n", storedMembers(im.Members), verb)
	case len(im.Moves) == 0 && im.TimeMoved > 0:
		fmt.Fprintf(&b, "Member impact: none; the rules change moves none of %s.\n", storedMembers(im.Members))
	case len(im.Moves) == 0:
		fmt.Fprintf(&b, "Member impact: none of %s would change segment, tier, badge or campaign.\n", storedMembers(im.Members))
	default:
		fmt.Fprintf(&b, "%s (the rules evaluated against %s", paint(bold, "Member impact"), storedMembers(im.Members))
		if im.Current > 0 {
			fmt.Fprintf(&b, "; %d under these rules already", im.Current)
		}
		b.WriteString("):\n")
		more = writeMoves(&b, im.Moves, all, paint) || more
		if im.Made > 0 {
			who := fmt.Sprintf("%d members", im.Made)
			if im.Made == 1 {
				who = "1 member"
			}
			fmt.Fprintf(&b, "  (incentives grant to %s not stored yet (grant.to), whom the daemon makes: their moves are counted too)\n", who)
		}
	}
	if im.Stale > 0 { // a plan saved before the moves of time were told apart
		who := fmt.Sprintf("%d of these members were", im.Stale)
		if im.Stale == 1 {
			who = "1 of these members was"
		}
		fmt.Fprintf(&b, "  (%s last evaluated over a day ago, as after a replay of history: the moves include what time alone does since)\n", who)
	}
	if im.AtEvaluation > 0 {
		fmt.Fprintf(&b, "  (%s under other rules with a recheck overdue, as after a replay of history: hearth keeps no copy of those rules, so for %s the change is measured as of the last evaluation (%s), not now)\n",
			membersWere(im.AtEvaluation, "was last evaluated", "were last evaluated"), pronoun(im.AtEvaluation), span(im.AtEvaluationFrom, im.AtEvaluationTo))
	}
	if im.TimeMoved > 0 {
		fmt.Fprintf(&b, "\n%s, as time has passed (%s overdue since the last evaluation; the daemon makes these moves at its next recheck, whether or not these rules load; not counted above):\n",
			paint(bold, "With the rules unchanged"), membersWere(im.Overdue, "has a recheck", "have rechecks"))
		more = writeMoves(&b, im.TimeMoves, all, paint) || more
	}
	if more {
		b.WriteString("  (the ids are for hearth member show ID; hearth plan -members lists every member, -json lists them under enter_members and leave_members)\n")
	}
	// Said whatever moves: the figures, none included, are not to be
	// relied on.
	for _, a := range im.Approximate {
		fmt.Fprintf(&b, "  (approximate: %s: %s)\n", a.Rule, a.Why)
	}
	writeIncentives(&b, im.Incentives, im.Members)
	_, err := io.WriteString(w, b.String())
	return err
}

// listsMembers says whether the impact lists members (a plan saved
// before format 1.4 has samples of names instead).
func (im *Impact) listsMembers() bool {
	for _, moves := range [][]MemberMove{im.Moves, im.TimeMoves} {
		for _, mv := range moves {
			if len(mv.EnterSample)+len(mv.LeaveSample) > 0 {
				return false
			}
		}
	}
	return true
}

// writeMoves writes moves, one a line, with a sample of their members,
// or with all of them one a line below. It reports whether a sample
// left members out.
func writeMoves(b *strings.Builder, moves []MemberMove, all bool, paint func(c, s string) string) (more bool) {
	count := func(c, sign string, n int) string {
		if n == 0 {
			return sign + "0"
		}
		return paint(c, sign+strconv.Itoa(n))
	}
	for _, mv := range moves {
		fmt.Fprintf(b, "  %s %s: %s %s", mv.Kind, mv.Name, count(green, "+", mv.Enter), count(red, "-", mv.Leave))
		if !all {
			var parts []string
			if mv.Enter > 0 && len(mv.EnterMembers)+len(mv.EnterSample) > 0 {
				parts = append(parts, "+"+sample(mv.EnterMembers, mv.EnterSample, mv.Enter))
				more = more || mv.Enter > SampleSize
			}
			if mv.Leave > 0 && len(mv.LeaveMembers)+len(mv.LeaveSample) > 0 {
				parts = append(parts, "-"+sample(mv.LeaveMembers, mv.LeaveSample, mv.Leave))
				more = more || mv.Leave > SampleSize
			}
			if len(parts) > 0 {
				fmt.Fprintf(b, " (%s)", strings.Join(parts, "; "))
			}
		}
		if mv.Removed {
			b.WriteString(": removed from the configuration, these runs stop with nothing more sent")
		}
		if mv.StepRemoved {
			camp, step, _ := strings.Cut(mv.Name, ".")
			then := "finish"
			if mv.GoesOn != "" {
				then = "go on to step " + mv.GoesOn
			}
			fmt.Fprintf(b, ": campaign %s no longer has step %s, and these runs wait at it: they %s when their wait is over, without its send (if it was renamed, moved { from = campaign.%s.step.%s  to = campaign.%s.step.NEW } keeps them on it)", camp, step, then, camp, step, camp)
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
			fmt.Fprintf(b, ": %s with nothing more sent", strings.Join(ends, "; "))
		}
		b.WriteString("\n")
		if all {
			// The id first, for hearth member show (awk '{print $2}').
			line := func(sym string, r MemberRef) {
				fmt.Fprintf(b, "      %s %s", sym, display(r.ID))
				if r.Name != "" {
					fmt.Fprintf(b, "  %s", display(r.Name))
				}
				b.WriteString("\n")
			}
			for _, r := range mv.EnterMembers {
				line(paint(green, "+"), r)
			}
			for _, r := range mv.LeaveMembers {
				line(paint(red, "-"), r)
			}
		}
	}
	return more
}

// writeIncentives says what a change of incentives does to the stored
// members: nothing, since incentives act on new events only, and where
// to see what they would have done over a history.
func writeIncentives(b *strings.Builder, ic *IncentiveChanges, members int) {
	if !ic.Says(members) {
		return
	}
	if ic.Recorded {
		names := slices.Clone(ic.Changed)
		for _, n := range ic.Added {
			names = append(names, n+" (added)")
		}
		for _, n := range ic.Removed {
			names = append(names, n+" (removed)")
		}
		fmt.Fprintf(b, "\nIncentives changed since the state last ran: %s.\n", strings.Join(names, ", "))
	} else {
		fmt.Fprintf(b, "\nIncentives: %s (the state has no record of those it last ran with, so the plan cannot tell which changed; hearth run and hearth replay record them).\n", strings.Join(ic.Unrecorded, ", "))
	}
	b.WriteString("Incentives act only on new events: a change grants nothing for what members did before, and takes back nothing granted, so it moves no stored member and is not counted above. What they would have granted over a history: hearth simulate -events FILE DIR.\n")
}

// storedMembers is "the 1 stored member" or "the n stored members".
func storedMembers(n int) string {
	if n == 1 {
		return "the 1 stored member"
	}
	return fmt.Sprintf("the %d stored members", n)
}

// membersWere is "1 member " + one or "n members " + many.
func membersWere(n int, one, many string) string {
	if n == 1 {
		return "1 member " + one
	}
	return fmt.Sprintf("%d members %s", n, many)
}

// pronoun is "it" or "them".
func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// span is the days from and to, "2025-03-21" when they are the same.
func span(from, to *time.Time) string {
	if from == nil || to == nil {
		return "unknown"
	}
	a, z := from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly)
	if a == z {
		return a
	}
	return a + " to " + z
}
