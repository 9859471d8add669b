package runtime

import (
	"context"
	"fmt"
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
	// Revoked are the badges the member holds that the settling takes
	// (revoke_when) and no incentive gives back.
	Revoked []string
	// Awarded are the badges an incentive on the moves' events gives
	// the member, or gives again (repeat), in configuration order.
	Awarded []string
	// Entered are the campaigns the member would start a run of, in
	// configuration order: an audience campaign on a segment entered, one
	// entering on an event the moves send (enter_on = "tier.changed"). A
	// run ended again at once is among the runs ended too.
	Entered []string
	// Reached are the other members an incentive on the moves grants to
	// (grant.to), by id, in the order first reached. The preview made
	// each afresh and dropped what they got, and what their moves would
	// have done in turn (to this member too): PreviewGroup settles such
	// members together.
	Reached []string
}

// Preview says where m would stand under this runtime's configuration at
// now (or at m's own evaluation time, if later, as Reevaluate takes it),
// without changing m or writing anything: the segments whose rules hold,
// the tier the rules would give, the badges they would revoke and award,
// and the campaigns the member would enter. `hearth plan` uses it to show
// how new rules would move the stored members, so it settles m as the
// daemon's re-evaluation after a reload does (Reevaluate), as if m were
// new to the rules, with the waits m's stored tier state holds (a
// qualification window under way, a grace period, demote_after
// counting) as the runtime honours them, and locked tiers.
//
// Most members it settles on a scratch copy, at a few rules each: the
// strikes live then counted, and in each pass the points due by then
// expired, each badge's revoke_when, the tier, then the segments in
// dependency order; every rule in the first pass, and in each later one
// only the rules reading what the pass before changed, until nothing
// changes or the runtime's bound on passes is reached. So a tier over
// has_badge reads the member without the badges the new rules revoke,
// and a revoke_when over member.tier reads the tier they give. A pass
// after the first costs a few bit tests when nothing reads what moved.
//
// A member whose moves send an event something hears (an incentive on
// tier.changed or segment.entered, an audience campaign on the segment,
// a campaign entering on it, a rule counting it), or with a recheck come
// due that the re-evaluation runs first, it settles the runtime's own
// way instead (settleExact): Reevaluate on a copy of m, in a batch of its
// own. That costs a few times a scratch settling, for those members only.
// What it cannot see is other members: what an incentive grants another
// member (grant.to) is left out of that member's standing (Reached names
// them; PreviewGroup settles them together). Rules over community figures
// (community.*) read the documents PreviewCommunities gives, as the
// runtime reads the stored ones.
//
// The error is a member whose document cannot be copied.
func (r *Runtime) Preview(m *state.Member, now time.Time) (Standing, error) {
	st, ok := r.settlePreview(m, now, false)
	if ok {
		return st, nil
	}
	st, _, err := r.settleExact(m, now, false, nil)
	return st, err
}

// settlePreview settles a copy of m as Preview says, with ends set
// checking m's active runs after every pass, as the runtime advances
// them after every pass: a run ends on the first pass whose member its
// rules end it for, though a later pass moves the member again. The runs
// ended are left in the scratch, for collectEnds.
//
// ok is false, and the standing not to be used, for a member the scratch
// settling does not settle as the runtime would: one with a recheck come
// due, one whose moves send an event something hears, or (with ends) one
// with a run that would go on rather than only end (runsGoOn).
func (r *Runtime) settlePreview(m *state.Member, now time.Time, ends bool) (st Standing, ok bool) {
	if m.EvaluatedAt.After(now) {
		now = m.EvaluatedAt
	}
	p := r.scratch()
	p.ended = p.ended[:0]
	if !m.RecheckAt.IsZero() && !m.RecheckAt.After(now) || ends && r.runsGoOn(m, now) {
		return st, false
	}
	// One scratch copy, reused: previews run over every stored member,
	// and a fresh copy of each would be most of the cost.
	clear(p.segs)
	maps.Copy(p.segs, m.Segments)
	p.m = *m
	p.m.Segments = p.segs
	p.ownBadges, p.heard = false, false
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
		if p.heard {
			return Standing{}, false // the runs noted are PreviewEnds' to drop
		}
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
	return st, true
}

// heard is which moves send an event something listens to (movesHeard).
type heard struct {
	tier          bool
	entered, left map[string]bool // by segment
}

// movesHeard works out which moves of a settling send an event that
// something hears: an incentive on it, a campaign entering on it, a rule
// counting it (total('tier.changed')), and for a segment an audience
// campaign on it (on leaving, with exit_on_leave). The runtime applies
// such an event (the others it only counts, quietly); Preview settles a
// member with such a move the runtime's way.
func (r *Runtime) movesHeard() heard {
	on := func(typ string) bool {
		_, counted := r.keyIdx.count[typ]
		return len(r.byType[typ]) > 0 || counted ||
			slices.ContainsFunc(r.cfg.Campaigns, func(c *config.Campaign) bool { return slices.Contains(c.EnterOn, typ) })
	}
	h := heard{tier: on("tier.changed"), entered: map[string]bool{}, left: map[string]bool{}}
	entered, left := on("segment.entered"), on("segment.left")
	for _, s := range r.cfg.Segments {
		h.entered[s.Name], h.left[s.Name] = entered, left
	}
	for _, c := range r.cfg.Campaigns {
		if c.Audience != nil {
			// A broadcast's members enter at its occurrences, not on
			// entering its audience; leaving it still ends their runs.
			h.entered[c.Audience.Name] = h.entered[c.Audience.Name] || c.Schedule == nil
			h.left[c.Audience.Name] = h.left[c.Audience.Name] || c.ExitOnLeave
		}
	}
	return h
}

// runsGoOn reports whether advancing m's active runs at now would do
// more than end them by their campaign's settings and rules, which is
// all endsPass follows: a step come due, a run whose step a reload moved
// or removed, a run past its campaign's last step. A paused campaign's
// runs only end; a removed one's stop, which the plan counts itself.
func (r *Runtime) runsGoOn(m *state.Member, now time.Time) bool {
	for id, run := range m.Campaigns {
		if !run.Active() {
			continue
		}
		c := r.campaigns[state.RunCampaign(id)]
		if c == nil || c.Paused {
			continue
		}
		i := c.StepIndex(run.Step, run.StepName, r.stepOrders[c.Name])
		if i != run.Step || i >= len(c.Steps) || c.Steps[i].Name != run.StepName || !now.Before(run.Due) {
			return true
		}
	}
	return false
}

// settleExact is Preview (and with ends, PreviewEnds) the runtime's way:
// Reevaluate, on a copy of m made through the member codec
// (what the daemon reads from a store), new to these rules, in a batch
// of its own that keeps nothing; the standing and the runs ended are
// what it changed in the copy. Other members it reaches (grant.to) are
// made afresh there, and what they get is dropped; Standing.Reached
// names them.
func (r *Runtime) settleExact(m *state.Member, now time.Time, ends bool, out []RunEnd) (Standing, []RunEnd, error) {
	p := r.scratch()
	c, err := r.copyMember(m)
	if err != nil {
		return Standing{}, out, err
	}
	c.Rules = 0 // as Preview takes every member: new to these rules
	p.box.m, p.ids[0] = c, c.ID
	p.box.reached = p.box.reached[:0]
	_, _, err = r.Reevaluate(context.Background(), &p.box, p.ids[:], now)
	p.box.m = nil
	if err != nil {
		return Standing{}, out, fmt.Errorf("settling member %s: %w", m.ID, err)
	}
	st, out := r.settled(m, c, ends, out)
	if len(p.box.reached) > 0 {
		st.Reached = slices.Clone(p.box.reached)
	}
	return st, out, nil
}

// copyMember is a copy of m made through the member codec, as the daemon
// reads members from a store.
func (r *Runtime) copyMember(m *state.Member) (*state.Member, error) {
	p := r.scratch()
	doc, err := m.AppendBinary(p.doc[:0])
	if err != nil {
		return nil, fmt.Errorf("copying member %s: %w", m.ID, err)
	}
	p.doc = doc
	c := &state.Member{}
	if err := c.UnmarshalBinary(doc); err != nil {
		return nil, fmt.Errorf("copying member %s: %w", m.ID, err)
	}
	return c, nil
}

// settled is the standing and, with ends, the runs ended of a member
// that was m and the runtime left as c.
func (r *Runtime) settled(m, c *state.Member, ends bool, out []RunEnd) (Standing, []RunEnd) {
	var st Standing
	for _, s := range r.cfg.Segments {
		if _, in := c.Segments[s.Name]; in {
			st.Segments = append(st.Segments, s.Name)
		}
	}
	slices.Sort(st.Segments)
	st.Tier = c.Tier.Name
	held := func(m *state.Member, badge string) int {
		if h := m.Badges[badge]; h != nil {
			return h.Count
		}
		return 0
	}
	for _, b := range r.cfg.Badges {
		switch was, is := held(m, b.Name), held(c, b.Name); {
		case is > was:
			st.Awarded = append(st.Awarded, b.Name)
		case was > 0 && is == 0:
			st.Revoked = append(st.Revoked, b.Name)
		}
	}
	for _, camp := range r.cfg.Campaigns {
		var end RunEnd
		entered, ended := false, false
		for _, run := range c.Runs(camp.Name) {
			was := m.Campaigns[state.RunID(camp.Name, run.Key)]
			started := was == nil || was.Runs != run.Runs || !was.EnteredAt.Equal(run.EnteredAt)
			entered = entered || started
			// Ended: a run under way before, or one started here and
			// ended again (its goal held at once, its audience left).
			if run.Active() || !started && !was.Active() {
				continue
			}
			ended = true
			switch run.Reason {
			case "left": // or out of the audience (exit_on_leave): no reason to give
				end.Left = end.Left || c.Left && camp.Members == config.MembersCurrent
			case "exited":
				end.Exited = true
			case "goal":
				end.Goal = true
				end.Back = end.Back || !c.Left && camp.Members == config.MembersLeft
			}
		}
		if entered {
			st.Entered = append(st.Entered, camp.Name)
		}
		if ended && ends {
			end.Campaign = camp.Name
			out = append(out, end)
		}
	}
	return st, out
}

// Group is members PreviewGroup settles together: those whose moves
// grant to others (Standing.Reached) and those they reach, in turn.
type Group struct {
	// Docs are the group's stored members as stored, by id, in the
	// member codec's form (state.Member.AppendBinary): a group can be
	// most of the members, which are several times that size decoded.
	Docs map[string][]byte
	// Absent are the ids the group's grants reach that no stored member
	// has: the runtime makes such a member afresh, but none (true here)
	// for an id on the suppression list.
	Absent map[string]bool
}

// Settled is where PreviewGroup leaves one member of its group: its
// standing and the runs ended, as PreviewEnds gives them for a member
// settled alone. Made marks one of the group's Absent that a grant made.
type Settled struct {
	Standing
	Ends []RunEnd
	Made bool
}

// PreviewGroup is PreviewEnds of the members of g together, as the
// daemon's re-evaluation after a reload settles them among the others:
// Reevaluate, on copies of them in id order, each in a
// batch of its own that holds the copies and keeps nothing else. What an
// incentive on one's moves grants another (grant.to) is applied to that
// other as it stands then: before its own turn, in which case the
// runtime settles it there and then (new to these rules: every rule)
// and passes it over at its turn, or after it, settling it again for
// what the grant changed; and so on for what that sets off. Where that
// leaves each is what the group's previews say. It costs what
// PreviewEnds costs a member settled the runtime's way, per member, and
// a decoding and an encoding per member a grant reaches.
//
// The members of the group must reach only one another and g.Absent: a
// member outside it would be settled among the others, which the group
// does not hold. missed lists the ids reached outside it, made afresh
// there and what they got dropped: add their members (or their ids to
// Absent) and settle the group again for figures that hold.
func (r *Runtime) PreviewGroup(g Group, now time.Time) (settled map[string]Settled, missed []string, err error) {
	box := &groupBox{held: make(map[string][]byte, len(g.Docs)), absent: g.Absent, made: map[string][]byte{}}
	ids := make([]string, 0, len(g.Docs))
	for id, doc := range g.Docs {
		box.held[id] = doc // replaced, never written into
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i := range ids {
		// A batch per member, as the daemon's sweep takes members in
		// batches: what one's grants gave another is in the store by
		// the other's turn.
		if _, _, err := r.Reevaluate(context.Background(), box, ids[i:i+1], now); err != nil {
			return nil, nil, fmt.Errorf("settling members together: %w", err)
		}
		if box.err != nil {
			return nil, nil, box.err
		}
	}
	settled = make(map[string]Settled, len(ids)+len(box.made))
	var was, is state.Member
	for _, id := range ids {
		if err := was.UnmarshalBinary(g.Docs[id]); err != nil {
			return nil, nil, fmt.Errorf("reading member %s: %w", id, err)
		}
		if err := is.UnmarshalBinary(box.held[id]); err != nil {
			return nil, nil, fmt.Errorf("reading member %s: %w", id, err)
		}
		st, ends := r.settled(&was, &is, true, nil)
		settled[id] = Settled{Standing: st, Ends: ends}
	}
	for id, doc := range box.made {
		if err := is.UnmarshalBinary(doc); err != nil {
			return nil, nil, fmt.Errorf("reading member %s: %w", id, err)
		}
		st, ends := r.settled(&state.Member{ID: id}, &is, true, nil)
		settled[id] = Settled{Standing: st, Ends: ends, Made: true}
	}
	return settled, box.missed, nil
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

// previewTier is tier on the preview's copy: decideTier, as the runtime
// decides, honouring the waits the member's stored tier state holds (a
// qualification window under way, a grace period, demote_after counting),
// so a rules change is measured against the member as the rules in force
// left it and not against the waits they were in. The copy's tier state
// is replaced, never written into: its lists are m's.
func (r *Runtime) previewTier(p *previewScratch, ch, next *changes, now time.Time) {
	if len(r.cfg.Tiers) == 0 || !ch.all && !ch.has(r.keyIdx.time) && !ch.any(r.tierMask) {
		return
	}
	c := &p.m
	d := r.decideTier(p.w, c, now, true)
	c.Tier.Qualifying, c.Tier.FailingSince = d.state.Qualifying, d.state.FailingSince
	was := c.Tier.Name
	if d.renamed != nil {
		c.Tier.Name, c.Tier.Rank = d.renamed.Name, d.renamed.Rank
	}
	if d.move != "" {
		name, rank := "", 0
		if d.to != nil {
			name, rank = d.to.Name, d.to.Rank
		}
		if name != c.Tier.Name {
			// As moveTier keeps it: the history's last move (which grace
			// reads), since when, no keep failing, no window moot.
			c.Tier.History = append(slices.Clip(c.Tier.History), state.TierChange{From: c.Tier.Name, To: name, At: now, Reason: d.reason})
			c.Tier.Name, c.Tier.Rank, c.Tier.Since, c.Tier.FailingSince = name, rank, now, time.Time{}
			if len(c.Tier.Qualifying) > 0 {
				c.Tier.Qualifying = slices.DeleteFunc(slices.Clone(c.Tier.Qualifying), func(x state.Qualification) bool {
					t := r.tierNamed(x.Tier)
					return t == nil || t.Rank <= rank
				})
			}
		}
	}
	if c.Tier.Name == was {
		return
	}
	p.w.gen++ // member.tier: bind again
	next.mark(r.keyIdx.tier)
	p.heard = p.heard || d.move != "" && r.heard.tier
}

// previewSegments is segments on the preview's copy.
func (r *Runtime) previewSegments(p *previewScratch, ch, next *changes, now time.Time) {
	c := &p.m
	bound := false
	for _, s := range r.segOrder {
		if !r.segmentDue(s, ch) {
			continue
		}
		if !bound {
			r.bind(p.w, c, nil, nil, now)
			bound = true
		}
		in := r.inSegment(s, c)
		if _, was := c.Segments[s.Name]; in == was {
			continue
		}
		if in {
			c.Segments[s.Name] = now
			p.heard = p.heard || r.heard.entered[s.Name]
		} else {
			delete(c.Segments, s.Name)
			p.heard = p.heard || r.heard.left[s.Name]
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
// are the change keys of a pass and of the pass after it; heard says a
// move sent an event something hears; ended are the runs Ends or
// PreviewEnds found their rules end. doc, box and ids are settleExact's:
// the copy's document, its batch and the id list for Reevaluate; comms
// the community documents rules over community figures read.
type previewScratch struct {
	w         *work
	m         state.Member
	segs      map[string]time.Time
	badges    map[string]*state.BadgeHold
	holds     []state.BadgeHold
	ownBadges bool
	heard     bool
	ch, next  *changes
	ended     []runEnd
	doc       []byte
	box       sandbox
	ids       [1]string
	// comms are the community documents by name (PreviewCommunities).
	comms map[string]*state.Community
}

// sandbox is the batch settleExact settles its copy in: it holds that
// one member and keeps nothing it is given. reached are the other ids
// asked for: the members grants reach (grant.to).
type sandbox struct {
	m       *state.Member
	reached []string
}

var (
	_ state.Batch = (*sandbox)(nil)
	_ state.Batch = (*groupBox)(nil)
)

func (b *sandbox) Seen(string) (bool, error)             { return false, nil }
func (b *sandbox) MarkSeen(string, time.Time) error      { return nil }
func (b *sandbox) Claim(string, time.Time) (bool, error) { return true, nil }
func (b *sandbox) SaveMember(*state.Member) error        { return nil }
func (b *sandbox) Due(time.Time, int) ([]string, error)  { return nil, nil }
func (b *sandbox) AppendOutcomes([]state.Outcome) error  { return nil }
func (b *sandbox) Enqueue([]state.Action) error          { return nil }
func (b *sandbox) Commit() error                         { return nil }
func (b *sandbox) Rollback() error                       { return nil }

// Member is the copy; any other member is not stored here.
func (b *sandbox) Member(id string) (*state.Member, error) {
	if b.m != nil && b.m.ID == id {
		return b.m, nil
	}
	if !slices.Contains(b.reached, id) {
		b.reached = append(b.reached, id)
	}
	return nil, state.ErrNotFound
}

// groupBox is the batch PreviewGroup settles its copies in: it holds
// them encoded, handing out a fresh copy of each when asked and taking
// back what the runtime saves, the members it makes for absent ids
// (made) too, and keeps nothing else. missed are the ids asked for that
// it knows nothing of; err a member it could not encode.
type groupBox struct {
	held   map[string][]byte
	absent map[string]bool // true: suppressed
	made   map[string][]byte
	missed []string
	err    error
}

func (b *groupBox) Seen(string) (bool, error)             { return false, nil }
func (b *groupBox) MarkSeen(string, time.Time) error      { return nil }
func (b *groupBox) Claim(string, time.Time) (bool, error) { return true, nil }
func (b *groupBox) Due(time.Time, int) ([]string, error)  { return nil, nil }
func (b *groupBox) AppendOutcomes([]state.Outcome) error  { return nil }
func (b *groupBox) Enqueue([]state.Action) error          { return nil }
func (b *groupBox) Commit() error                         { return nil }
func (b *groupBox) Rollback() error                       { return nil }

// SaveMember keeps a held member, or one the runtime made for an absent
// id, as it stands now.
func (b *groupBox) SaveMember(m *state.Member) error {
	into := b.held
	if _, ok := into[m.ID]; !ok {
		if _, ok := b.absent[m.ID]; !ok {
			return nil // missed: dropped
		}
		into = b.made
	}
	doc, err := m.AppendBinary(nil)
	if err != nil {
		b.err = fmt.Errorf("copying member %s: %w", m.ID, err)
		return b.err
	}
	into[m.ID] = doc
	return nil
}

// Member is a copy of a held member, or of one made for an absent id; an
// absent id not made yet, or one it knows nothing of (noted as missed),
// is not stored here.
func (b *groupBox) Member(id string) (*state.Member, error) {
	doc, ok := b.held[id]
	if !ok {
		doc, ok = b.made[id]
	}
	if ok {
		m := &state.Member{}
		if err := m.UnmarshalBinary(doc); err != nil {
			return nil, fmt.Errorf("reading member %s: %w", id, err)
		}
		return m, nil
	}
	if _, ok := b.absent[id]; !ok && !slices.Contains(b.missed, id) {
		b.missed = append(b.missed, id)
	}
	return nil, state.ErrNotFound
}

// Suppressed answers for the absent ids as the store's list does: the
// runtime makes no member for one on it.
func (b *groupBox) Suppressed(id string) (bool, error) { return b.absent[id], nil }

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
//
// A member Preview settles the runtime's way, or with a run that would
// go on rather than only end (a step come due, a step a reload moved),
// it settles so here too: the runs ended are those the re-evaluation
// ends, for whatever reason ("finished" gives no flag), an audience
// campaign's runs ended on leaving the segment included, and so are runs
// it starts and ends again (Standing.Entered has those too).
func (r *Runtime) PreviewEnds(m *state.Member, now time.Time, out []RunEnd) (Standing, []RunEnd, error) {
	st, ok := r.settlePreview(m, now, len(m.Campaigns) > 0)
	if ok {
		return st, r.collectEnds(out), nil
	}
	clear(r.preview.ended) // the runs are m's: hold none past the call
	r.preview.ended = r.preview.ended[:0]
	return r.settleExact(m, now, true, out)
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
