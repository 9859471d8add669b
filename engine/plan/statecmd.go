package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// under reports whether addr is root or inside it (a community's
// channels are under the community).
func under(addr, root string) bool {
	return addr == root || strings.HasPrefix(addr, root+".")
}

// NothingAtError is a state command's address that state has nothing
// at or under. Known holds the addresses state has, and the communities
// they are in, for the caller to suggest the one meant.
type NothingAtError struct {
	Addr  string
	Known []string
}

func (e *NothingAtError) Error() string { return "state has nothing at " + e.Addr }

// NothingAt is the NothingAtError for addr among the resources rs.
func NothingAt(addr string, rs []state.Resource) *NothingAtError {
	e := &NothingAtError{Addr: addr}
	for _, r := range rs {
		// A community's address is a prefix of those in it (rm and mv
		// take it whole), and may not be a resource of its own.
		if parts := strings.SplitN(r.Address, ".", 3); len(parts) == 3 && parts[0] == "community" {
			if c := parts[0] + "." + parts[1]; !slices.Contains(e.Known, c) {
				e.Known = append(e.Known, c)
			}
		}
		if !slices.Contains(e.Known, r.Address) {
			e.Known = append(e.Known, r.Address)
		}
	}
	return e
}

// withLock runs fn holding the apply lock, so state commands never
// interleave with an apply.
func withLock(ctx context.Context, st Store, who string, fn func([]state.Resource) error) error {
	lock := state.LockInfo{ID: randomID(), Who: who, When: time.Now().UTC(), PID: os.Getpid()}
	if err := st.Lock(ctx, lock); err != nil {
		return err
	}
	defer st.Unlock(context.WithoutCancel(ctx), lock.ID)
	rs, _, err := st.Resources(ctx)
	if err != nil {
		return err
	}
	return fn(rs)
}

// Forget removes addr and everything under it from state, leaving the
// platform objects alone: hearth stops managing them. The records of
// role assignments hearth made (GrantRecords) are under their role, so
// removing a role or its community removes them too; the roles stay
// with their members, counted as given by hand from then on. It returns
// the resource addresses removed and the grant addresses; with dryRun,
// those it would remove, changing nothing and taking no lock.
func Forget(ctx context.Context, st Store, addr, who string, dryRun bool) (resources, grants []string, err error) {
	err = withState(ctx, st, who, dryRun, func(rs []state.Resource) error {
		for _, r := range rs {
			if under(r.Address, addr) {
				resources = append(resources, r.Address)
			}
		}
		gs, err := GrantRecords(ctx, st, rs)
		if err != nil {
			return err
		}
		var drop []GrantRecord
		for _, g := range gs {
			if under(g.Address, addr) {
				drop = append(drop, g)
				grants = append(grants, g.Address)
			}
		}
		if len(resources) == 0 && len(grants) == 0 {
			e := NothingAt(addr, rs)
			for _, g := range gs {
				e.Known = append(e.Known, g.Address)
			}
			return e
		}
		if dryRun {
			return nil
		}
		// Grants first: a failure in between leaves a role's records
		// with the role still in state, where list shows them.
		for _, g := range drop {
			if err := st.DeleteRoleGrant(ctx, g.RoleGrant); err != nil {
				return err
			}
		}
		for _, a := range resources {
			if _, err := st.DeleteResource(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	return resources, grants, err
}

// GrantRecord is the record of a role assignment hearth made
// (state.RoleGrant) with the address state list shows it under: its
// role's address, then .member. and the member's platform id, as plan
// addresses the assignment. A record of a role state no longer has
// goes under its community, by the role's platform id:
// community.c.role[ID].member.MEMBER.
type GrantRecord struct {
	Address string `json:"address"`
	state.RoleGrant
}

// GrantRecords are the records of the role assignments hearth made in
// the communities state has, by address.
func GrantRecords(ctx context.Context, st RoleGrants, rs []state.Resource) ([]GrantRecord, error) {
	roleAddr := map[[3]string]string{} // platform, community id, role id -> address
	for _, r := range rs {
		if r.Kind == string(platform.KindRole) {
			roleAddr[[3]string{r.Platform, r.Community, r.ID}] = r.Address
		}
	}
	var out []GrantRecord
	for _, co := range rs {
		if co.Kind != string(platform.KindCommunity) {
			continue
		}
		gs, err := st.RoleGrants(ctx, co.Platform, co.ID)
		if err != nil {
			return nil, fmt.Errorf("reading the role assignments hearth made in %s: %w", co.Address, err)
		}
		for _, g := range gs {
			role, ok := roleAddr[[3]string{co.Platform, co.ID, g.Role}]
			if !ok {
				role = co.Address + ".role[" + g.Role + "]"
			}
			out = append(out, GrantRecord{Address: role + ".member." + g.Member, RoleGrant: g})
		}
	}
	slices.SortFunc(out, func(a, b GrantRecord) int { return strings.Compare(a.Address, b.Address) })
	return out, nil
}

// Move gives the object at from, and everything under it, the address
// to, so a renamed block keeps its platform object instead of being
// destroyed and created again. Both addresses must have the same shape
// (a channel stays a channel). It returns "from -> to" lines; with
// dryRun, those it would move, changing nothing and taking no lock.
func Move(ctx context.Context, st Store, from, to, who string, dryRun bool) ([]string, error) {
	if err := sameShape(from, to); err != nil {
		return nil, err
	}
	var done []string
	err := withState(ctx, st, who, dryRun, func(rs []state.Resource) error {
		taken := map[string]bool{}
		for _, r := range rs {
			taken[r.Address] = true
		}
		var moving []state.Resource
		for _, r := range rs {
			if under(r.Address, from) {
				dst := to + strings.TrimPrefix(r.Address, from)
				if taken[dst] && !under(dst, from) {
					return fmt.Errorf("state already has %s; remove it first (hearth state rm)", dst)
				}
				moving = append(moving, r)
			}
		}
		if len(moving) == 0 {
			return NothingAt(from, rs)
		}
		for _, r := range moving {
			old := r.Address
			r.Address = to + strings.TrimPrefix(old, from)
			done = append(done, old+" -> "+r.Address)
			if dryRun {
				continue
			}
			// Put before delete: a failure in between leaves the object
			// under both addresses, which plan shows, rather than under none.
			if _, err := st.PutResource(ctx, r); err != nil {
				return err
			}
			if _, err := st.DeleteResource(ctx, old); err != nil {
				return err
			}
		}
		return nil
	})
	return done, err
}

// Unconfigured is what Move left at addresses the configuration has no
// block for, which the next plan removes: the shallowest such
// addresses among the moves' destinations (what is under one is not
// named again), each with the configured address of the same kind
// nearest it, for a did-you-mean. moved are Move's "from -> to" lines.
func Unconfigured(cfg *config.Config, moved []string) ([]UnconfiguredAddr, error) {
	desired, err := DesiredObjects(cfg)
	if err != nil {
		return nil, err
	}
	var out []UnconfiguredAddr
	for _, m := range moved {
		_, to, ok := strings.Cut(m, " -> ")
		if !ok {
			continue
		}
		if slices.ContainsFunc(out, func(u UnconfiguredAddr) bool { return under(to, u.Addr) }) {
			continue
		}
		if _, ok := importable(cfg, desired, to); ok {
			continue
		}
		u := UnconfiguredAddr{Addr: to}
		for _, d := range desired {
			if sameShape(d.Address, to) == nil {
				u.Known = append(u.Known, d.Address)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// UnconfiguredAddr is an address state has that the configuration has
// no block for, and the configuration's addresses of the same kind.
type UnconfiguredAddr struct {
	Addr  string
	Known []string
}

// withState runs fn on the resources in state: under the apply lock,
// or, for a dry run that writes nothing, without it (as plan reads).
func withState(ctx context.Context, st Store, who string, dryRun bool, fn func([]state.Resource) error) error {
	if !dryRun {
		return withLock(ctx, st, who, fn)
	}
	rs, _, err := st.Resources(ctx)
	if err != nil {
		return err
	}
	return fn(rs)
}

func sameShape(from, to string) error {
	a, b := strings.Split(from, "."), strings.Split(to, ".")
	bad := len(a) != len(b) || len(a)%2 != 0 || a[0] != "community"
	for i := 0; !bad && i < len(a); i += 2 {
		bad = a[i] != b[i] || a[i+1] == "" || b[i+1] == ""
	}
	if bad {
		return fmt.Errorf("cannot move %s to %s: both must be addresses of the same kind, such as community.a.channel.x and community.a.channel.y", from, to)
	}
	return nil
}

// ErrAlreadyManaged is the error of adopting an object at an address
// state binds to another object already: an address holds one object.
var ErrAlreadyManaged = errors.New("resource already managed")

// Adopt makes hearth manage an object that already exists on its
// platform (made by hand, or before hearth): the object with platform id
// id becomes the configuration's object at addr. Nothing changes on the
// platform; the next plan shows how the object differs from its block.
// A channel or role needs its community adopted (or created) first.
//
// Adopting the object state binds at addr already (an import run again)
// changes nothing: it returns that resource and already true. Another
// object at a bound address fails with ErrAlreadyManaged.
func Adopt(ctx context.Context, cfg *config.Config, st Store, conns Conns, addr, id, who string) (r state.Resource, already bool, err error) {
	r, already, err = adopt(ctx, cfg, st, conns, addr, id, who)
	return r, already, Unreached(cfg, err)
}

func adopt(ctx context.Context, cfg *config.Config, st Store, conns Conns, addr, id, who string) (r state.Resource, already bool, err error) {
	desired, err := DesiredObjects(cfg)
	if err != nil {
		return state.Resource{}, false, err
	}
	i := slices.IndexFunc(desired, func(d Desired) bool { return d.Address == addr })
	if i < 0 {
		return state.Resource{}, false, fmt.Errorf("the configuration has no %s; write its block first, then import the object into it", addr)
	}
	d := desired[i]
	var out state.Resource
	err = withLock(ctx, st, who, func(rs []state.Resource) error {
		community, elsewhere := "", ""
		var bound *state.Resource
		for _, r := range rs {
			switch {
			case r.Address == addr:
				bound = &r
			case r.Platform == d.Platform && r.Kind == string(d.Kind) && r.ID == id:
				elsewhere = r.Address
			case r.Address == d.Community:
				community = r.ID
			}
		}
		alreadyManaged := func() error {
			return fmt.Errorf("%w: state binds %s to %s %s, not to %s %s, and an address holds one object. To adopt %s %s here instead, run hearth state rm %s first (%s %s stays on the platform, no longer managed), then import again",
				ErrAlreadyManaged, addr, bound.Kind, bound.ID, d.Kind, id, d.Kind, id, addr, bound.Kind, bound.ID)
		}
		switch {
		case bound != nil && bound.ID == id:
			out, already = *bound, true
			return nil
		case bound != nil && elsewhere != "":
			return alreadyManaged()
		case elsewhere != "":
			return fmt.Errorf("%s %s is already managed as %s", d.Kind, id, elsewhere)
		}
		if d.Community != "" && community == "" {
			return fmt.Errorf("%s is in %s, which state does not have yet; import or apply the community first", addr, d.Community)
		}
		conn, ok := conns[d.Platform]
		if !ok {
			return fmt.Errorf("%s is not open", d.Platform)
		}
		im, err := platform.Require[platform.Importer](conn, d.Platform)
		if err != nil {
			return err
		}
		resp, err := im.Import(ctx, platform.ImportRequest{Kind: d.Kind, Community: community, ID: id, Address: addr})
		if bound != nil {
			// The platform may know the object by another id than the
			// one given (the id state holds): what it answers decides.
			if err == nil && resp.Object.ID == bound.ID {
				out, already = *bound, true
				return nil
			}
			return alreadyManaged()
		}
		if err != nil {
			return fmt.Errorf("importing %s %s: %w", d.Kind, id, err)
		}
		// What is there now counts as last applied, so drift starts from
		// the adopted object.
		out = state.Resource{Address: addr, Platform: d.Platform, Kind: string(d.Kind), ID: resp.Object.ID,
			Community: community, Attrs: settable(canonicalLive(resp.Object)), PreventDestroy: d.PreventDestroy}
		_, err = st.PutResource(ctx, out)
		return err
	})
	return out, already, err
}
