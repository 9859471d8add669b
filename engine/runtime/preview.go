package runtime

import (
	"maps"
	"slices"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// Standing is where a member would stand under a configuration.
type Standing struct {
	Segments []string // sorted
	Tier     string   // "" for none
	// Revoked are the badges the member holds whose revoke_when takes
	// them, in the order the settling revokes them.
	Revoked []string
}

// Preview says where m would stand under this runtime's configuration at
// now (or at m's own evaluation time, if later, as Reevaluate takes it),
// without changing m or writing anything: the segments whose rules hold,
// the tier the rules would give, and the badges they would revoke.
// `hearth plan` uses it to show how new rules would move the stored
// members, so it settles a copy of m as the daemon's re-evaluation after
// a reload does (Reevaluate, settle): the strikes live then counted, and
// in each pass the points due by then expired, each badge's revoke_when,
// the tier, then the segments in dependency order; every rule in the
// first pass, and in each later one only the rules reading what the pass
// before changed, until nothing changes or the runtime's bound on passes
// is reached. So a tier over has_badge reads the member without the
// badges the new rules revoke, and a revoke_when over member.tier reads
// the tier they give. A pass after the first costs a few bit tests when
// nothing reads what moved.
//
// What it leaves out waits for time to pass or for the events the moves
// set off: grace periods, demote_after and qualification windows are not
// applied (locked tiers are), and neither are what the tier.changed and
// segment.* events of the moves bring (an incentive or an audience
// campaign on them, a rule counting them), nor the rechecks a member
// long unevaluated would have run first.
func (r *Runtime) Preview(m *state.Member, now time.Time) Standing {
	return r.settlePreview(m, now, false)
}

// settlePreview settles a copy of m as Preview says, with ends set
// checking m's active runs after every pass, as the runtime advances
// them after every pass: a run ends on the first pass whose member its
// rules end it for, though a later pass moves the member again. The runs
// ended are left in the scratch, for collectEnds.
func (r *Runtime) settlePreview(m *state.Member, now time.Time, ends bool) Standing {
	if m.EvaluatedAt.After(now) {
		now = m.EvaluatedAt
	}
	var st Standing
	// One scratch copy, reused: previews run over every stored member,
	// and a fresh copy of each would be most of the cost.
	p := r.scratch()
	clear(p.segs)
	maps.Copy(p.segs, m.Segments)
	p.m = *m
	p.m.Segments = p.segs
	p.ownBadges = false
	p.ended = p.ended[:0]
	c, ch, next := &p.m, p.ch, p.next
	p.w.gen++ // another member: bind afresh
	// Reevaluate counts the strikes live at its time first
	// (refreshStrikes): none without moderation rules.
	c.Strikes = 0
	for _, set := range r.gov.sets {
		c.Strikes += set.Live(c.Moderation, now)
	}
	// The member is new to these rules: the first pass evaluates every
	// rule, as settle does for a member whose fingerprint differs.
	ch.reset()
	ch.all, ch.touched = true, true
	for pass := 0; pass < maxDerivedDepth && ch.touched; pass++ {
		next.reset()
		r.previewExpire(p, next, now)
		r.previewRevoke(p, ch, next, now, &st)
		r.previewTier(p, ch, next, now)
		r.previewSegments(p, ch, next, now)
		if ends {
			r.endsPass(c, now)
		}
		ch, next = next, ch
	}
	for name := range c.Segments {
		if slices.ContainsFunc(r.cfg.Segments, func(s *config.Segment) bool { return s.Name == name }) {
			st.Segments = append(st.Segments, name)
		}
	}
	slices.Sort(st.Segments)
	st.Tier = c.Tier.Name
	return st
}

// previewExpire is expirePoints on the preview's copy: the grants due to
// expire by now are taken back from its balance.
func (r *Runtime) previewExpire(p *previewScratch, next *changes, now time.Time) {
	c := &p.m
	n := 0
	for n < len(c.Expiring) && !c.Expiring[n].ExpiresAt.After(now) {
		if take := min(c.Expiring[n].Points, max(c.Points, 0)); take > 0 {
			c.Points -= take
			p.w.gen++ // member.points: bind again
			next.mark(r.keyIdx.points)
		}
		n++
	}
	c.Expiring = c.Expiring[n:] // the copy's view: m's slice is left as it is
}

// previewRevoke is revokeBadges on the preview's copy: the holdings are
// m's, so a revoked one is replaced by a copy, in a copy of the map.
func (r *Runtime) previewRevoke(p *previewScratch, ch, next *changes, now time.Time, st *Standing) {
	c := &p.m
	for _, b := range r.revocable {
		if !r.needs(b.RevokeWhen, ch) {
			continue
		}
		h := c.Badges[b.Name]
		if h == nil || h.Count == 0 {
			continue
		}
		r.bind(p.w, c, nil, nil, now)
		if !r.ruleBool(b.RevokeWhen, "badge", b.Name, "revoke_when") {
			continue
		}
		if !p.ownBadges {
			clear(p.badges)
			maps.Copy(p.badges, c.Badges)
			c.Badges, p.ownBadges = p.badges, true
			// A badge is revoked once at most: with room for all of
			// them, the holds never move while pointed into.
			p.holds = slices.Grow(p.holds[:0], len(r.revocable))
		}
		p.holds = append(p.holds, *h)
		held := &p.holds[len(p.holds)-1]
		held.Count = 0
		p.badges[b.Name] = held
		st.Revoked = append(st.Revoked, b.Name)
		p.w.gen++ // member.badges counts them: bind again
		next.mark(named(r.keyIdx.badge, b.Name), r.keyIdx.anyBadge)
	}
}

// previewTier is tier on the preview's copy, without the waits it
// applies: a qualification window, a grace period, demote_after.
func (r *Runtime) previewTier(p *previewScratch, ch, next *changes, now time.Time) {
	tiers := r.cfg.Tiers
	if len(tiers) == 0 || !ch.all && !ch.has(r.keyIdx.time) && !ch.any(r.tierMask) {
		return
	}
	c := &p.m
	to, ok := r.locked[c.ID]
	if !ok {
		r.bind(p.w, c, nil, nil, now)
		to, ok = r.tierFor(p.w, c, now)
		if !ok {
			return
		}
	}
	name, rank := "", 0
	if to != nil {
		name, rank = to.Name, to.Rank
	}
	if name == c.Tier.Name {
		return
	}
	c.Tier.Name, c.Tier.Rank = name, rank
	p.w.gen++ // member.tier: bind again
	next.mark(r.keyIdx.tier)
}

// tierFor is where tier moves a bound member that no lock holds, waits
// aside: the highest tier above the member's rank (as stored, which the
// runtime compares) whose when holds; else, on a tier, the highest below
// it whose keep holds when its own keep fails, or when the configuration
// no longer has it. ok is false where the member stays.
func (r *Runtime) tierFor(w *work, m *state.Member, now time.Time) (to *config.Tier, ok bool) {
	tiers := r.cfg.Tiers
	for i := len(tiers) - 1; i >= 0 && tiers[i].Rank > m.Tier.Rank; i-- {
		if r.ruleBool(tiers[i].When, "tier", tiers[i].Name, "when") {
			return tiers[i], true
		}
	}
	if m.Tier.Rank == 0 {
		return nil, false // keep holds a tier already held; reaching one takes when
	}
	var cur *config.Tier
	for _, t := range tiers {
		if t.Name == m.Tier.Name {
			cur = t
		}
	}
	if cur == nil {
		return r.highestHolding(w, m, now, 1<<30), true
	}
	keep := cur.Keep
	if keep == nil {
		keep = cur.When
	}
	if r.ruleBool(keep, "tier", cur.Name, "keep") {
		return nil, false
	}
	return r.highestHolding(w, m, now, cur.Rank), true
}

// previewSegments is segments on the preview's copy.
func (r *Runtime) previewSegments(p *previewScratch, ch, next *changes, now time.Time) {
	c := &p.m
	bound := false
	for _, s := range r.segOrder {
		if !r.needs(s.When, ch) {
			continue
		}
		if !bound {
			r.bind(p.w, c, nil, nil, now)
			bound = true
		}
		in := r.ruleBool(s.When, "segment", s.Name, "when")
		if _, was := c.Segments[s.Name]; in == was {
			continue
		}
		if in {
			c.Segments[s.Name] = now
		} else {
			delete(c.Segments, s.Name)
		}
		i := named(r.keyIdx.segment, s.Name)
		if i >= 0 {
			ch.set(i) // later segments reading this one
		}
		next.mark(i)
	}
}

// scratch is the memory previews reuse, made on first use.
func (r *Runtime) scratch() *previewScratch {
	p := &r.preview
	if p.w == nil {
		p.w = &work{}
		p.segs = map[string]time.Time{}
		p.badges = map[string]*state.BadgeHold{}
		p.ch = &changes{bits: make([]uint64, r.keyIdx.words)}
		p.next = &changes{bits: make([]uint64, r.keyIdx.words)}
	}
	return p
}

// previewScratch is the memory Preview reuses: m is the member as
// previewed, with segs for its segments and, once Preview revoked one of
// its badges (ownBadges), badges and holds for its holdings; ch and next
// are the change keys of a pass and of the pass after it; ended are the
// runs Ends or PreviewEnds found their rules end.
type previewScratch struct {
	w         *work
	m         state.Member
	segs      map[string]time.Time
	badges    map[string]*state.BadgeHold
	holds     []state.BadgeHold
	ownBadges bool
	ch, next  *changes
	ended     []runEnd
}

// runEnd is an active run whose campaign's settings or rules end it.
type runEnd struct {
	campaign                 int // in the configuration's order
	run                      *state.CampaignRun
	left, exited, goal, back bool
}

// RunEnd is a campaign whose own settings or rules end runs of a member
// at the member's next event or recheck, before any further send.
type RunEnd struct {
	Campaign string
	// Left says the member has left the community and the campaign is
	// for current members (members = "current"): every run ends as left,
	// whatever its rules say. Exited says stop_when holds for one of the
	// runs (it ends as exited), Goal that exit_when does for one where
	// stop_when does not, or that the member is in the community and the
	// campaign a win-back (members = "left"; Back is set too): it ends as
	// goal. Exited and Goal may both be set for a member with several
	// runs (run_key).
	Left, Exited, Goal, Back bool
}

// Ends appends to out the campaigns, in configuration order, that end
// one of m's active runs at now: runs the runtime ends at the member's
// next event or recheck, before any further send, in the order it checks
// (Runtime.advanceRun): as left where the member left and the campaign is
// for current members; in a win-back (members = "left") of a member in
// the community, as goal, or exited where stop_when holds; otherwise as
// exited where stop_when holds, else as goal where exit_when does. Like
// Preview it changes nothing; it reads each run's entering event.
//
// `hearth plan` counts them: campaign rules and settings are not part of
// MemberRules, and an active run is what the configuration in force left
// running, so a stop_when or exit_when added or loosened, or members
// changed (from "all" to "current" ends the runs of members who left,
// to "left" those of members in the community), shows here for every
// member it ends a run of. A change of members starts no run by itself:
// the runtime enrolls on an event (enter_on, an audience segment
// entered, a member joining or leaving), never on a reload. A member with
// no runs costs a length check; one with runs, a bind and a rule per
// active run of a campaign with such a rule.
//
// Ends reads m as it is: for a member already evaluated under these
// rules (MemberRules). For one the rules would move, PreviewEnds reads
// the member as they would leave it.
func (r *Runtime) Ends(m *state.Member, now time.Time, out []RunEnd) []RunEnd {
	if len(m.Campaigns) == 0 {
		return out
	}
	p := r.scratch()
	p.w.gen++ // another member: bind afresh (bindRun rebinds for a run's event)
	p.ended = p.ended[:0]
	r.endsPass(m, now)
	return r.collectEnds(out)
}

// PreviewEnds is Preview, and Ends of the member as each of Preview's
// passes leaves them, as the runtime advances a member's runs after each
// pass of its settling: a goal such as member.tier == "core" ends the
// runs of members a lowered threshold takes onto the tier, and so it
// does for a member a later pass takes off it again. It costs Preview's
// work and Ends' rules once per pass that moved the member (one pass
// for most), and no bind of its own: Ends reads the member Preview last
// bound (bound again only for a rule reading the run's event).
func (r *Runtime) PreviewEnds(m *state.Member, now time.Time, out []RunEnd) (Standing, []RunEnd) {
	st := r.settlePreview(m, now, len(m.Campaigns) > 0)
	return st, r.collectEnds(out)
}

// endsPass notes in the scratch the active runs of m, not ended in an
// earlier pass, whose campaign's settings or rules end them at now.
func (r *Runtime) endsPass(m *state.Member, now time.Time) {
	p := &r.preview
	keyed := m.HasKeyedRuns()
	for i, c := range r.cfg.Campaigns {
		gone := m.Left && c.Members == config.MembersCurrent // before any rule
		stop := c.StopWhen != nil && c.StopWhen.Program != nil
		goal := c.ExitWhen != nil && c.ExitWhen.Program != nil
		back := c.Members == config.MembersLeft && !m.Left // coming back is the goal
		if !gone && !stop && !goal && !back {
			continue
		}
		check := func(run *state.CampaignRun) {
			if !run.Active() || slices.ContainsFunc(p.ended, func(e runEnd) bool { return e.run == run }) {
				return
			}
			end := runEnd{campaign: i, run: run}
			switch {
			case gone:
				end.left = true
			case stop && r.holds(p.w, m, run, c.StopWhen, c.Name, "stop_when", now):
				end.exited = true
			case back:
				end.goal, end.back = true, true
			case goal && r.holds(p.w, m, run, c.ExitWhen, c.Name, "exit_when", now):
				end.goal = true
			default:
				return
			}
			p.ended = append(p.ended, end)
		}
		if !keyed {
			if run := m.Campaigns[c.Name]; run != nil {
				check(run)
			}
		} else {
			for _, run := range m.Runs(c.Name) {
				check(run)
			}
		}
	}
}

// holds binds a campaign rule for a run and evaluates it.
func (r *Runtime) holds(w *work, m *state.Member, run *state.CampaignRun, rule *config.Rule, campaign, attr string, now time.Time) bool {
	r.bindRun(w, m, run, rule, now)
	return r.ruleBool(rule, "campaign", campaign, attr)
}

// collectEnds appends the runs the scratch notes as ended to out, a
// RunEnd per campaign in configuration order, and forgets them.
func (r *Runtime) collectEnds(out []RunEnd) []RunEnd {
	p := &r.preview
	ended := p.ended
	// Noted campaign by campaign, pass after pass: a few to order.
	slices.SortStableFunc(ended, func(a, b runEnd) int { return a.campaign - b.campaign })
	for i := 0; i < len(ended); {
		end := RunEnd{Campaign: r.cfg.Campaigns[ended[i].campaign].Name}
		for c := ended[i].campaign; i < len(ended) && ended[i].campaign == c; i++ {
			e := ended[i]
			end.Left = end.Left || e.left
			end.Exited = end.Exited || e.exited
			end.Goal = end.Goal || e.goal
			end.Back = end.Back || e.back
		}
		out = append(out, end)
	}
	clear(ended) // the runs are the member's: hold none past the call
	p.ended = ended[:0]
	return out
}
