package simulate

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// Side is one of the two replays a comparison sets side by side: the
// configuration it ran and what it did.
type Side struct {
	Config  *config.Config
	Summary *Summary
	// Points are the net points granted by rule, which the summary
	// does not keep (PointsByRule.Observe, given every outcome).
	Points PointsByRule
}

// PointsByRule counts net points by the address of the rule that granted
// them (incentive.NAME, points.expiry ...).
type PointsByRule map[string]int

// Observe counts o's points, if it grants or takes any.
func (p PointsByRule) Observe(o state.Outcome) {
	if o.Kind == state.KindPoints && o.Points != 0 {
		p[o.Rule] += o.Points
	}
}

// Delta is one figure of the two replays: the baseline rules' and the
// new rules'.
type Delta struct {
	Name string `json:"name"`
	// Title is a badge's title, which the text shows beside its block
	// name: first_post (First post).
	Title    string `json:"title,omitempty"`
	Baseline int    `json:"baseline"`
	New      int    `json:"new"`
	Change   int    `json:"change"`
	// Only names the rules that have the row where only one side's
	// configuration has it: "baseline" (the new rules remove it) or
	// "new" (they add it).
	Only string `json:"only,omitempty"`
}

// TierMove counts the members who end on one tier with the baseline
// rules and on another with the new rules ("" is no tier).
type TierMove struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	Count   int      `json:"members"`
	Members []string `json:"member_ids,omitempty"`
}

// MemberShift counts, for one badge or segment (or points), the members
// who end holding it (in it, with more points) with the new rules and
// not with the baseline's (Enter), and the other way round (Leave), as
// hearth plan's member impact counts its moves.
type MemberShift struct {
	Kind         string   `json:"kind"` // badge, segment or points
	Name         string   `json:"name,omitempty"`
	Enter        int      `json:"enter"`
	Leave        int      `json:"leave"`
	EnterMembers []string `json:"enter_members,omitempty"`
	LeaveMembers []string `json:"leave_members,omitempty"`
}

// Comparison is what a rules change does to a replay of the same events:
// each figure of the summary with both rules, and the members whose end
// state differs.
type Comparison struct {
	Differs bool `json:"differs"`
	// Replay are the figures of the replay itself: events applied, lines
	// rejected, rule evaluations failed and campaign sends not made.
	Replay     []Delta `json:"replay"`
	Incentives []Delta `json:"incentives"` // grants per incentive
	Points     Delta   `json:"points"`     // net points: granted - deducted - expired
	// PointsGranted, PointsDeducted and PointsExpired are the summary's
	// points_granted, points_deducted and points_expired.
	PointsGranted  Delta `json:"points_granted"`
	PointsDeducted Delta `json:"points_deducted"`
	PointsExpired  Delta `json:"points_expired"`
	// PointsByRule is the net points per incentive (its name) or other
	// rule (its address: points.expiry, reward.NAME).
	PointsByRule []Delta    `json:"points_by_rule"`
	Badges       []Delta    `json:"badge_holders"`
	Tiers        []Delta    `json:"tiers"` // members per tier, "" none
	TierMoves    []TierMove `json:"tier_moves"`
	Segments     []Delta    `json:"segments"`
	// CampaignSends are the sends per campaign; Sends those per action
	// kind (send.dm, role.add ...), as in the summary's sends.
	CampaignSends []Delta `json:"campaign_sends"`
	Sends         []Delta `json:"sends"`
	// CampaignOutcomes are how each campaign's runs ended with each
	// rules, its goal rate and each A/B arm's.
	CampaignOutcomes []CampaignOutcome `json:"campaign_outcomes"`
	// Members counts the members of either replay, and MembersChanged
	// those whose end state (tier, points, badges held, segments)
	// differs, or who are in one replay only (OnlyBaseline, OnlyNew).
	Members        int           `json:"members"`
	MembersChanged int           `json:"members_changed"`
	OnlyBaseline   int           `json:"only_baseline,omitempty"`
	OnlyNew        int           `json:"only_new,omitempty"`
	Shifts         []MemberShift `json:"member_shifts"`
	// ListCap is how many member ids each tier move and shift lists per
	// direction (0: none, counts only).
	ListCap int `json:"list_cap"`
}

// Compare sets two replays of the same events side by side, reading the
// members each left in its store (Summary.Store). listCap bounds the
// member ids listed per change; 0 lists none.
func Compare(ctx context.Context, base, next Side, listCap int) (*Comparison, error) {
	c := &Comparison{ListCap: listCap}
	bs, ns := base.Summary, next.Summary
	c.Replay = []Delta{
		delta("events", bs.Events, ns.Events),
		delta("rejected", bs.Rejected, ns.Rejected),
		delta("rule_errors", bs.RuleErrors, ns.RuleErrors),
		delta("send_errors", bs.SendErrors, ns.SendErrors),
	}
	names := func(cfg *config.Config, each func(*config.Config) []string) []string {
		if cfg == nil {
			return nil
		}
		return each(cfg)
	}
	incentives := func(cfg *config.Config) []string {
		var out []string
		for _, in := range cfg.Incentives {
			out = append(out, in.Name)
		}
		return out
	}
	c.Incentives = rows(names(base.Config, incentives), names(next.Config, incentives), bs.Firings, ns.Firings)
	c.Points = delta("points", bs.Points, ns.Points)
	c.PointsGranted = delta("points_granted", bs.Granted, ns.Granted)
	c.PointsDeducted = delta("points_deducted", bs.Deducted, ns.Deducted)
	c.PointsExpired = delta("points_expired", bs.Expired, ns.Expired)
	c.PointsByRule = rows(names(base.Config, incentives), names(next.Config, incentives), base.Points.byName(), next.Points.byName())
	badges := func(cfg *config.Config) []string {
		var out []string
		for _, b := range cfg.Badges {
			out = append(out, b.Name)
		}
		return out
	}
	c.Badges = rows(names(base.Config, badges), names(next.Config, badges), bs.Badges, ns.Badges)
	titles := map[string]string{}
	for _, cfg := range []*config.Config{base.Config, next.Config} {
		if cfg != nil {
			for _, b := range cfg.Badges {
				titles[b.Name] = b.Title
			}
		}
	}
	for i := range c.Badges {
		c.Badges[i].Title = titles[c.Badges[i].Name]
	}
	tiers := func(cfg *config.Config) []string {
		var out []string
		for i := len(cfg.Tiers) - 1; i >= 0; i-- { // the ladder from the top
			out = append(out, cfg.Tiers[i].Name)
		}
		return out
	}
	c.Tiers = rows(names(base.Config, tiers), names(next.Config, tiers), bs.Tiers, ns.Tiers)
	// No tier last, whatever the order of the names.
	if i := slices.IndexFunc(c.Tiers, func(d Delta) bool { return d.Name == "" }); i >= 0 {
		none := c.Tiers[i]
		c.Tiers = append(slices.Delete(c.Tiers, i, i+1), none)
	} else {
		c.Tiers = append(c.Tiers, delta("", 0, 0))
	}
	segments := func(cfg *config.Config) []string {
		var out []string
		for _, s := range cfg.Segments {
			out = append(out, s.Name)
		}
		return out
	}
	c.Segments = rows(names(base.Config, segments), names(next.Config, segments), bs.Segments, ns.Segments)
	campaigns := func(cfg *config.Config) []string {
		var out []string
		for _, c := range cfg.Campaigns {
			out = append(out, c.Name)
		}
		return out
	}
	c.CampaignSends = rows(names(base.Config, campaigns), names(next.Config, campaigns), bs.campaignSends(), ns.campaignSends())
	c.Sends = rows(nil, nil, bs.Sends, ns.Sends)
	c.CampaignOutcomes = campaignOutcomes(base, next, names(base.Config, campaigns), names(next.Config, campaigns))
	if err := c.compareMembers(ctx, bs.Store, ns.Store); err != nil {
		return nil, err
	}
	for _, ds := range [][]Delta{c.Replay, c.Incentives, {c.Points, c.PointsGranted, c.PointsDeducted, c.PointsExpired}, c.PointsByRule, c.Badges, c.Tiers, c.Segments, c.CampaignSends, c.Sends} {
		for _, d := range ds {
			c.Differs = c.Differs || d.Change != 0
		}
	}
	for _, co := range c.CampaignOutcomes {
		c.Differs = c.Differs || co.differs()
	}
	c.Differs = c.Differs || c.MembersChanged > 0
	return c, nil
}

// CampaignOutcome is how one campaign's runs ended with the baseline
// rules and with the new ones.
type CampaignOutcome struct {
	Name string `json:"name"`
	// Only is as for Delta: "baseline" or "new" when one side's
	// configuration alone has the campaign.
	Only string `json:"only,omitempty"`
	// Runs are the runs entered, those that reached the goal while under
	// way (goal_during_run) and after the last step, within the
	// conversion_window (converted), and those that ended otherwise
	// (exited, finished, left, stopped) or still run (active).
	Runs []Delta `json:"runs"`
	// GoalRate is the share of the ended runs that reached the goal, in
	// a campaign with a goal on either side; Arms is the same per A/B
	// variant, in the split's order.
	GoalRate *RateDelta `json:"goal_rate,omitempty"`
	Arms     []ArmRate  `json:"arms,omitempty"`
}

// RateDelta is a share on both sides; nil where no run ended. Change is
// New less Baseline (0.05 for five points), 0 when either is nil.
type RateDelta struct {
	Baseline *float64 `json:"baseline"`
	New      *float64 `json:"new"`
	Change   float64  `json:"change"`
}

// Differs says whether the two rates differ: in value, or one side
// having none.
func (r *RateDelta) Differs() bool {
	if r == nil || (r.Baseline == nil && r.New == nil) {
		return false
	}
	if r.Baseline == nil || r.New == nil {
		return true
	}
	return math.Abs(*r.New-*r.Baseline) > 1e-12
}

// ArmRate is one A/B variant's goal rate on both sides.
type ArmRate struct {
	Variant string `json:"variant"`
	RateDelta
}

func (co CampaignOutcome) differs() bool {
	for _, d := range co.Runs {
		if d.Change != 0 {
			return true
		}
	}
	if co.GoalRate.Differs() {
		return true
	}
	for _, a := range co.Arms {
		if a.Differs() {
			return true
		}
	}
	return false
}

// campaignRunFigures names the rows of CampaignOutcome.Runs, in order.
func campaignRunFigures() []string {
	return []string{"entered", "goal_during_run", "converted", "exited", "finished", "left", "stopped", "active"}
}

func runFigures(f *Funnel) map[string]int {
	if f == nil {
		return map[string]int{}
	}
	return map[string]int{"entered": f.Entered, "goal_during_run": f.Goal - f.Converted, "converted": f.Converted,
		"exited": f.Exited, "finished": f.Finished, "left": f.Left, "stopped": f.Stopped, "active": f.Active}
}

// goalRate is f's share of runs that reached the goal, running ones
// counted as not converted yet (as campaign show's), nil for no run.
func goalRate(f *Funnel) *float64 {
	if f == nil || f.Runs() == 0 {
		return nil
	}
	r := float64(f.Goal) / float64(f.Runs())
	return &r
}

func rateDelta(base, next *float64) RateDelta {
	d := RateDelta{Baseline: base, New: next}
	if base != nil && next != nil {
		d.Change = *next - *base
	}
	return d
}

// campaignOutcomes compares each campaign's runs, the new rules'
// campaigns in their order, then those only the baseline has.
func campaignOutcomes(base, next Side, baseNames, nextNames []string) []CampaignOutcome {
	out := []CampaignOutcome{}
	campaign := func(cfg *config.Config, name string) *config.Campaign {
		if cfg == nil {
			return nil
		}
		for _, c := range cfg.Campaigns {
			if c.Name == name {
				return c
			}
		}
		return nil
	}
	for _, d := range rows(baseNames, nextNames, nil, nil) {
		bf, nf := base.Summary.Campaigns[d.Name], next.Summary.Campaigns[d.Name]
		bc, nc := campaign(base.Config, d.Name), campaign(next.Config, d.Name)
		co := CampaignOutcome{Name: d.Name, Only: d.Only}
		bfig, nfig := runFigures(bf), runFigures(nf)
		for _, fig := range campaignRunFigures() {
			co.Runs = append(co.Runs, delta(fig, bfig[fig], nfig[fig]))
		}
		if (bc != nil && bc.HasGoal()) || (nc != nil && nc.HasGoal()) {
			r := rateDelta(goalRate(bf), goalRate(nf))
			co.GoalRate = &r
			// The arms of either side: the new rules' split order first.
			var order []string
			for _, side := range []struct {
				c *config.Campaign
				f *Funnel
			}{{nc, nf}, {bc, bf}} {
				if side.c == nil || side.f == nil {
					continue
				}
				for _, v := range ArmOrder(side.c, side.f) {
					if !slices.Contains(order, v) {
						order = append(order, v)
					}
				}
			}
			for _, v := range order {
				var ba, na *Funnel
				if bf != nil {
					ba = bf.Arms[v]
				}
				if nf != nil {
					na = nf.Arms[v]
				}
				co.Arms = append(co.Arms, ArmRate{Variant: v, RateDelta: rateDelta(goalRate(ba), goalRate(na))})
			}
		}
		out = append(out, co)
	}
	return out
}

func delta(name string, base, next int) Delta {
	return Delta{Name: name, Baseline: base, New: next, Change: next - base}
}

// rows are the deltas of two count maps: the names the new rules list in
// their order, then those only the baseline lists, then any other key of
// either map by name.
func rows(baseNames, nextNames []string, base, next map[string]int) []Delta {
	out := []Delta{} // [] in JSON, not null
	seen := map[string]bool{}
	add := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		d := delta(name, base[name], next[name])
		switch inBase, inNext := slices.Contains(baseNames, name), slices.Contains(nextNames, name); {
		case inBase && !inNext:
			d.Only = "baseline"
		case inNext && !inBase:
			d.Only = "new"
		}
		out = append(out, d)
	}
	for _, n := range nextNames {
		add(n)
	}
	for _, n := range baseNames {
		add(n)
	}
	rest := map[string]int{}
	for k := range base {
		rest[k] = 0
	}
	for k := range next {
		rest[k] = 0
	}
	for _, n := range Names(rest) {
		add(n)
	}
	return out
}

// byName keys the points by incentive name, and other rules by address.
func (p PointsByRule) byName() map[string]int {
	out := make(map[string]int, len(p))
	for rule, n := range p {
		name, ok := strings.CutPrefix(rule, "incentive.")
		if !ok {
			name = rule
		}
		out[name] += n
	}
	return out
}

func (s *Summary) campaignSends() map[string]int {
	out := make(map[string]int, len(s.Campaigns))
	for name, f := range s.Campaigns {
		out[name] = f.Sends
	}
	return out
}

// endState is what a comparison compares of a member at the end of a
// replay.
type endState struct {
	tier     string
	points   int
	badges   []string // held, by name
	segments []string
}

func endOf(m *state.Member) endState {
	e := endState{tier: m.Tier.Name, points: m.Points}
	for name, h := range m.Badges {
		if h != nil && h.Count > 0 {
			e.badges = append(e.badges, name)
		}
	}
	for name := range m.Segments {
		e.segments = append(e.segments, name)
	}
	sort.Strings(e.badges)
	sort.Strings(e.segments)
	return e
}

func (e endState) equal(o endState) bool {
	return e.tier == o.tier && e.points == o.points && slices.Equal(e.badges, o.badges) && slices.Equal(e.segments, o.segments)
}

// compareMembers fills the member figures from the two stores.
func (c *Comparison) compareMembers(ctx context.Context, base, next state.Store) error {
	old := map[string]endState{}
	if base != nil {
		if err := base.Members(ctx, func(m *state.Member) error {
			old[m.ID] = endOf(m)
			return nil
		}); err != nil {
			return err
		}
	}
	type change struct{ kind, name string }
	enter, leave := map[change][]string{}, map[change][]string{}
	moves := map[[2]string][]string{}
	seen := map[string]bool{}
	shift := func(kind string, was, is []string, id string) {
		for _, n := range is {
			if !slices.Contains(was, n) {
				enter[change{kind, n}] = append(enter[change{kind, n}], id)
			}
		}
		for _, n := range was {
			if !slices.Contains(is, n) {
				leave[change{kind, n}] = append(leave[change{kind, n}], id)
			}
		}
	}
	if next != nil {
		if err := next.Members(ctx, func(m *state.Member) error {
			seen[m.ID] = true
			is := endOf(m)
			was, ok := old[m.ID]
			if !ok {
				c.OnlyNew++
				c.MembersChanged++
				return nil
			}
			if was.equal(is) {
				return nil
			}
			c.MembersChanged++
			if was.tier != is.tier {
				k := [2]string{was.tier, is.tier}
				moves[k] = append(moves[k], m.ID)
			}
			switch {
			case is.points > was.points:
				enter[change{"points", ""}] = append(enter[change{"points", ""}], m.ID)
			case is.points < was.points:
				leave[change{"points", ""}] = append(leave[change{"points", ""}], m.ID)
			}
			shift("badge", was.badges, is.badges, m.ID)
			shift("segment", was.segments, is.segments, m.ID)
			return nil
		}); err != nil {
			return err
		}
	}
	c.Members = len(seen)
	c.TierMoves, c.Shifts = []TierMove{}, []MemberShift{}
	for id := range old {
		if !seen[id] {
			c.Members++
			c.OnlyBaseline++
			c.MembersChanged++
		}
	}
	list := func(ids []string) []string {
		if c.ListCap <= 0 {
			return nil
		}
		slices.SortFunc(ids, compareIDs) // 2, 145, 263, 2609: not as text
		return ids[:min(len(ids), c.ListCap)]
	}
	for k, ids := range moves {
		c.TierMoves = append(c.TierMoves, TierMove{From: k[0], To: k[1], Count: len(ids), Members: list(ids)})
	}
	// The most members first, then by the tiers' names.
	sort.Slice(c.TierMoves, func(i, j int) bool {
		a, b := c.TierMoves[i], c.TierMoves[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	keys := map[change]bool{}
	for k := range enter {
		keys[k] = true
	}
	for k := range leave {
		keys[k] = true
	}
	for k := range keys {
		c.Shifts = append(c.Shifts, MemberShift{Kind: k.kind, Name: k.name, Enter: len(enter[k]), Leave: len(leave[k]),
			EnterMembers: list(enter[k]), LeaveMembers: list(leave[k])})
	}
	// Points, then badges, then segments, each by name.
	rank := map[string]int{"points": 0, "badge": 1, "segment": 2}
	sort.Slice(c.Shifts, func(i, j int) bool {
		a, b := c.Shifts[i], c.Shifts[j]
		if a.Kind != b.Kind {
			return rank[a.Kind] < rank[b.Kind]
		}
		return a.Name < b.Name
	})
	return nil
}
