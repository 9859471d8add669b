package runtime

import (
	"errors"
	"slices"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/state"
)

// One person on several platforms is one member: an import (or any
// event) gives a member its identities (telegram=333,
// matrix=@alice:example.org), the store's identity index keeps who holds
// each, and an event from an account hearth has no member for applies
// to the member holding one of its identities. A store without the
// index (state.IdentityIndex) links nothing.

// resolveMember points an event whose member id names no member at the
// member one of its identities belongs to: a Telegram event for user 333
// applies to alice, imported with telegram=333. Identities matching
// several members link to none (a warning): which one is meant is not
// known. An import is never linked: it names its member.
func (r *Runtime) resolveMember(w *work, ev *events.Event) error {
	ix, ok := w.b.(state.IdentityIndex)
	if !ok || !linkable(ev) {
		return nil
	}
	owner, others, err := linkedMember(w.lookup, ix, ev)
	if err != nil {
		return err
	}
	switch {
	case len(others) > 0:
		r.stats.IdentityConflicts++
		r.log.Warn("event identities belong to several members; applied to a member of its own id", "event", ev.ID, "member", ev.Member.ID, "members", append([]string{owner}, others...))
	case owner != "":
		r.stats.Linked++
		ev.Member.ID = owner
	}
	return nil
}

// LinkIdentities points each event at the member its identities belong
// to, as Apply does, for a daemon publishing to a bus: the bus
// partitions events by member id, and the replica applying alice's
// events must get the Telegram events linked to her too. Events whose
// identities match several members are left as they are (Apply warns).
// A batch without the identity index links nothing.
func LinkIdentities(b state.Batch, evs []events.Event) error {
	ix, ok := b.(state.IdentityIndex)
	if !ok {
		return nil
	}
	for i := range evs {
		ev := &evs[i]
		if !linkable(ev) {
			continue
		}
		owner, others, err := linkedMember(b.Member, ix, ev)
		if err != nil {
			return err
		}
		if owner != "" && len(others) == 0 {
			ev.Member.ID = owner
		}
	}
	return nil
}

// linkable says whether ev may apply to a member its identities belong
// to. An import names its member: bob imported with alice's Matrix id
// is bob, and his claim on the id is refused (claimIdentities).
func linkable(ev *events.Event) bool {
	return len(ev.Member.Identities) > 0 && ev.Type != events.MemberImported
}

// linkedMember is the member ev's identities belong to when its member
// id names no member: owner, and others when they belong to several.
func linkedMember(lookup func(string) (*state.Member, error), ix state.IdentityIndex, ev *events.Event) (owner string, others []string, err error) {
	known, err := exists(lookup, ev.Member.ID)
	if known || err != nil {
		return "", nil, err
	}
	for _, p := range sortedKeys(ev.Member.Identities) {
		o, err := identityOwner(lookup, ix, p, ev.Member.Identities[p])
		if err != nil {
			return "", nil, err
		}
		switch {
		case o == "" || o == owner || slices.Contains(others, o):
		case owner == "":
			owner = o
		default:
			others = append(others, o)
		}
	}
	return owner, others, nil
}

// resolveTarget is resolveMember for the member a reaction went to,
// named by its id on the reacting member's platform (target_member).
func (r *Runtime) resolveTarget(w *work, ev *events.Event, target string) (string, error) {
	ix, ok := w.b.(state.IdentityIndex)
	if !ok || len(ev.Member.Identities) != 1 {
		return target, nil
	}
	known, err := exists(w.lookup, target)
	if known || err != nil {
		return target, err
	}
	for p := range ev.Member.Identities {
		o, err := identityOwner(w.lookup, ix, p, target)
		if err != nil || o == "" {
			return target, err
		}
		return o, nil
	}
	return target, nil
}

// claimIdentities gives member m the event's identities. One another
// member holds is refused (a warning, counted in Stats.IdentityConflicts):
// an identity belongs to one member. hearth member forget of the other
// member, then the event or import again, moves it.
func (r *Runtime) claimIdentities(w *work, m *state.Member, ev *events.Event) error {
	ix, _ := w.b.(state.IdentityIndex)
	for k, v := range ev.Member.Identities {
		if m.Identities[k] == v {
			continue
		}
		if ix != nil {
			o, err := identityOwner(w.lookup, ix, k, v)
			if err != nil {
				return err
			}
			if o != "" && o != m.ID {
				r.stats.IdentityConflicts++
				r.log.Warn("identity belongs to another member; not given to this one", "event", ev.ID, "member", m.ID,
					"platform", k, "identity", v, "holder", o, "fix", "hearth member forget the member that should not hold it, then send the event or import again")
				continue
			}
			if err := ix.ClaimIdentity(k, v, m.ID); err != nil {
				return err
			}
		}
		if m.Identities == nil {
			m.Identities = map[string]string{}
		}
		if k == emailIdentity && m.LiftBounces("", time.Time{}, v) {
			// A new address is worth a try: the bounce was the old one's.
			w.mark(m.ID, r.keyIdx.unsubscribed)
		}
		m.Identities[k] = v
	}
	return nil
}

// lookup is the member id as this work holds it: changed in it, or
// stored.
func (w *work) lookup(id string) (*state.Member, error) {
	if i := w.find(id); i >= 0 && w.touched[i].m != nil {
		return w.touched[i].m, nil
	}
	return w.b.Member(id)
}

// exists says whether member id is known to lookup.
func exists(lookup func(string) (*state.Member, error), id string) (bool, error) {
	_, err := lookup(id)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// identityOwner is the member holding identity on platform: the index's
// entry, when that member's document still holds the identity (it
// changed since, or the member was forgotten: nobody).
func identityOwner(lookup func(string) (*state.Member, error), ix state.IdentityIndex, platform, identity string) (string, error) {
	o, err := ix.IdentityOwner(platform, identity)
	if err != nil || o == "" {
		return "", err
	}
	m, err := lookup(o)
	if errors.Is(err, state.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if m.Identities[platform] != identity {
		return "", nil
	}
	return o, nil
}
