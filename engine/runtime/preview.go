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
	// Revoked are the badges the member holds whose revoke_when holds.
	Revoked []string
}

// Preview says where m would stand under this runtime's configuration at
// now, without changing m or writing anything: the segments whose rules
// hold, the tier the rules would give, and the badges they would revoke. Grace periods,
// demote_after and qualification windows are not applied, since they
// wait for time to pass; locked tiers are. `hearth plan` uses it to show
// how new rules would move the stored members.
func (r *Runtime) Preview(m *state.Member, now time.Time) Standing {
	var st Standing
	// One scratch copy, reused: previews run over every stored member,
	// and a fresh copy of each would be most of the cost.
	p := r.scratch()
	clear(p.segs)
	maps.Copy(p.segs, m.Segments)
	p.m = *m
	p.m.Segments = p.segs
	c, w := &p.m, p.w
	// Segments and the tier are settled together, as the runtime does: a
	// tier over in_segment follows the previewed segments (the tier comes
	// after them, and in_segment reads the segments as they are, with no
	// new bind), and a segment over member.tier follows the previewed
	// tier in another pass, made only when the tier moved and a segment
	// reads it.
	moved := true
	for pass := 0; moved && pass < maxDerivedDepth; pass++ {
		if pass > 0 && !r.segmentsReadTier {
			break
		}
		w.gen++ // a new member, or a new tier: bind again
		r.bind(w, c, nil, nil, now)
		moved = false
		for _, s := range r.segOrder {
			in := r.ruleBool(s.When, "segment", s.Name, "when")
			if _, was := c.Segments[s.Name]; in == was {
				continue
			}
			if in {
				c.Segments[s.Name] = now
			} else {
				delete(c.Segments, s.Name)
			}
		}
		tier := r.previewTier(c)
		if tier != c.Tier.Name {
			c.Tier.Name, c.Tier.Rank = tier, r.ranks[tier]
			moved = true
		}
	}
	for name := range c.Segments {
		if slices.ContainsFunc(r.cfg.Segments, func(s *config.Segment) bool { return s.Name == name }) {
			st.Segments = append(st.Segments, name)
		}
	}
	slices.Sort(st.Segments)
	if moved { // the last tier move is not bound yet
		w.gen++
		r.bind(w, c, nil, nil, now)
	}
	for _, b := range r.cfg.Badges {
		if h := c.Badges[b.Name]; b.RevokeWhen != nil && h != nil && h.Count > 0 && r.ruleBool(b.RevokeWhen, "badge", b.Name, "revoke_when") {
			st.Revoked = append(st.Revoked, b.Name)
		}
	}
	if len(st.Revoked) > 0 {
		// The previewed member no longer holds them, for the campaign
		// rules PreviewEnds asks next, as the runtime revokes before it
		// advances runs. The holdings are m's: change a copy.
		clear(p.badges)
		maps.Copy(p.badges, m.Badges)
		p.holds = slices.Grow(p.holds[:0], len(st.Revoked)) // no move while pointed into
		for _, b := range st.Revoked {
			p.holds = append(p.holds, *m.Badges[b])
			h := &p.holds[len(p.holds)-1]
			h.Count = 0
			p.badges[b] = h
		}
		c.Badges = p.badges
		w.gen++ // member.badges counts them: bind again
	}
	st.Tier = c.Tier.Name
	return st
}

// scratch is the memory previews reuse, made on first use.
func (r *Runtime) scratch() *previewScratch {
	p := &r.preview
	if p.w == nil {
		p.w = &work{}
		p.segs = map[string]time.Time{}
		p.badges = map[string]*state.BadgeHold{}
	}
	return p
}

func (r *Runtime) previewTier(m *state.Member) string {
	if t, ok := r.locked[m.ID]; ok {
		return t.Name
	}
	tiers := r.cfg.Tiers
	rank := -1
	var cur *config.Tier
	for _, t := range tiers {
		if t.Name == m.Tier.Name {
			cur, rank = t, t.Rank
		}
	}
	for i := len(tiers) - 1; i >= 0 && tiers[i].Rank > rank; i-- {
		if r.ruleBool(tiers[i].When, "tier", tiers[i].Name, "when") {
			return tiers[i].Name
		}
	}
	if m.Tier.Name == "" {
		return "" // keep holds a tier already held; reaching one takes when
	}
	if cur != nil {
		keep := cur.Keep
		if keep == nil {
			keep = cur.When
		}
		if r.ruleBool(keep, "tier", cur.Name, "keep") {
			return cur.Name
		}
	}
	for i := len(tiers) - 1; i >= 0; i-- {
		t := tiers[i]
		if cur != nil && t.Rank >= cur.Rank {
			continue
		}
		keep := t.Keep
		if keep == nil {
			keep = t.When
		}
		if r.ruleBool(keep, "tier", t.Name, "keep") {
			return t.Name
		}
	}
	return ""
}

// previewScratch is the memory Preview reuses: m is the member as
// previewed, with segs for its segments and, when Preview revoked some of
// its badges, badges and holds for its holdings.
type previewScratch struct {
	w      *work
	m      state.Member
	segs   map[string]time.Time
	badges map[string]*state.BadgeHold
	holds  []state.BadgeHold
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
	r.scratch().w.gen++ // another member: bind afresh (bindRun rebinds for a run's event)
	return r.ends(m, now, out)
}

// PreviewEnds is Preview, and Ends of the member as Preview would leave
// them: in the segments and on the tier it gives, without the badges it
// revokes. The runtime settles those before it advances a run, so a goal
// such as member.tier == "core" ends the runs of members a lowered
// threshold takes onto the tier. It costs Preview's work and Ends' rules,
// and no bind of its own: Ends reads the member Preview last bound (bound
// again only when a badge was revoked, or for a rule reading the run's
// event).
func (r *Runtime) PreviewEnds(m *state.Member, now time.Time, out []RunEnd) (Standing, []RunEnd) {
	st := r.Preview(m, now)
	if len(m.Campaigns) == 0 {
		return st, out
	}
	return st, r.ends(&r.preview.m, now, out)
}

// ends is Ends over m, bound or to be bound with the preview's work.
func (r *Runtime) ends(m *state.Member, now time.Time, out []RunEnd) []RunEnd {
	p := &r.preview
	keyed := m.HasKeyedRuns()
	for _, c := range r.cfg.Campaigns {
		gone := m.Left && c.Members == config.MembersCurrent // before any rule
		stop := c.StopWhen != nil && c.StopWhen.Program != nil
		goal := c.ExitWhen != nil && c.ExitWhen.Program != nil
		back := c.Members == config.MembersLeft && !m.Left // coming back is the goal
		if !gone && !stop && !goal && !back {
			continue
		}
		end := RunEnd{Campaign: c.Name}
		check := func(run *state.CampaignRun) {
			if !run.Active() {
				return
			}
			if gone {
				end.Left = true
				return
			}
			if stop {
				r.bindRun(p.w, m, run, c.StopWhen, now)
				if r.ruleBool(c.StopWhen, "campaign", c.Name, "stop_when") {
					end.Exited = true
					return
				}
			}
			if back {
				end.Goal, end.Back = true, true
				return
			}
			if goal {
				r.bindRun(p.w, m, run, c.ExitWhen, now)
				if r.ruleBool(c.ExitWhen, "campaign", c.Name, "exit_when") {
					end.Goal = true
				}
			}
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
		if end.Left || end.Exited || end.Goal {
			out = append(out, end)
		}
	}
	return out
}
