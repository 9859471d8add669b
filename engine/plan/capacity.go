package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// family is a community block and the sub-communities state has of it:
// its capacity family, by place (1 is the community itself).
type family struct {
	c      *config.Community
	places []int                  // in state, in order
	res    map[int]state.Resource // by place
	count  map[int]int            // members, by place
	known  map[int]bool           // whether count[place] was counted at all
	exact  map[int]bool           // counted on the platform, not by hearth
	source string                 // how counts were made, for warnings
	// guarded are the places holding an object whose prevent_destroy
	// state keeps (copied from the community's blocks).
	guarded map[int]bool
}

func (f *family) addr(i int) string { return "community." + f.c.Place(i) }

func (f *family) full(i int) bool { return f.known[i] && f.count[i] >= f.c.Capacity }

// subCommunities plans the capacity families: a community with capacity
// and on_capacity = "split" (the default), and the sub-communities
// NAME-2, NAME-3 ... state has of it. Each member of the family counts
// in the one community they are in, and capacity is per community:
//
//   - The next sub-community is added (with the community's channels,
//     roles and pins) only when every one the family has is full and
//     one is past its capacity: hearth run fills them in order, so an
//     empty one is not opened while another has room.
//   - A community past its capacity is warned of, with where new
//     members go instead.
//   - A sub-community hearth counts no member in is removed (behind the
//     removal share guard) when the family no longer needs it: when one
//     before it has room, or the community no longer splits. The
//     prevent_destroy its objects copy from the community's blocks does
//     not hold it: hearth made it, no one is in it, and the objects the
//     blocks declare, in the community itself, stay protected (otherwise
//     the only way to shrink would be to unprotect those). One with
//     members, or whose members cannot be counted, stays with everything
//     in it while it has any, and the plan says so: removing it would
//     throw them out.
//
// It returns the desired objects to add, the warnings, why each
// sub-community is created or removed (by community address), for the
// plan to show, and the empty sub-communities removed, for the guard.
//
// Members are counted on the platform; where it cannot list them,
// hearth's own count (the community documents the runtime keeps from
// joins, leaves and the moves it makes) stands in, when the store has
// them.
func subCommunities(ctx context.Context, cfg *config.Config, desired []Desired, byAddr map[string]state.Resource, conns Conns, st Store) ([]Desired, []string, map[string]string, map[string]bool, error) {
	var extra []Desired
	var warnings []string
	reasons, emptied := map[string]string{}, map[string]bool{}
	counted := map[string]int{}
	if cr, ok := st.(state.CommunityReader); ok {
		docs, err := cr.Communities()
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("reading community figures: %w", err)
		}
		for _, d := range docs {
			counted[d.Name] = d.Members
		}
	}
	for _, c := range cfg.Communities {
		if c.Platform != nil && c.Platform.SendsOnly {
			warnings = append(warnings, robotCapacity(c, counted)...)
			continue
		}
		f, err := familyOf(ctx, cfg, c, byAddr, conns, counted)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if f == nil {
			continue
		}
		keep, warns := f.plan(reasons, emptied)
		warnings = append(warnings, warns...)
		for _, i := range keep {
			extra = append(extra, mirror(c, desired, i)...)
		}
	}
	return extra, warnings, reasons, emptied, nil
}

// robotCapacity warns of community c, on a platform hearth only sends
// through (a WeCom, Feishu or DingTalk robot), past its capacity by
// hearth's count of the joins and leaves it heard: hearth cannot open a
// group there, so the warning is all a capacity does.
func robotCapacity(c *config.Community, counted map[string]int) []string {
	n, ok := counted[c.Name]
	if c.Capacity <= 0 || !ok || n <= c.Capacity {
		return nil
	}
	return []string{fmt.Sprintf("community.%s has %d members (hearth's count: the platform cannot list them), more than its capacity of %d; hearth cannot open groups on %s, so open a new group by hand for newcomers (a community block of its own, with its own robot)",
		c.Name, n, c.Capacity, c.Platform.Addr())}
}

// familyOf reads c's family from state and counts its members; nil when
// c has no capacity and no sub-community, or is not created yet.
func familyOf(ctx context.Context, cfg *config.Config, c *config.Community, byAddr map[string]state.Resource, conns Conns, counted map[string]int) (*family, error) {
	caddr := "community." + c.Name
	co, ok := byAddr[caddr]
	if !ok {
		return nil, nil // not created yet: no members
	}
	f := &family{c: c, places: []int{1}, res: map[int]state.Resource{1: co}, count: map[int]int{}, known: map[int]bool{}, exact: map[int]bool{}, guarded: map[int]bool{}}
	for addr, r := range byAddr {
		name, ok := strings.CutPrefix(addr, "community.")
		if !ok || strings.Contains(name, ".") || r.Kind != string(platform.KindCommunity) {
			continue
		}
		if parent, i := cfg.Family(name); parent == c && i > 1 {
			f.places = append(f.places, i)
			f.res[i] = r
		}
	}
	slices.Sort(f.places)
	if c.Capacity <= 0 && len(f.places) == 1 {
		return nil, nil
	}
	for addr, r := range byAddr {
		for _, i := range f.places {
			if r.PreventDestroy && under(addr, f.addr(i)) {
				f.guarded[i] = true
			}
		}
	}
	for _, i := range f.places {
		r := f.res[i]
		n, known, source, err := countMembers(ctx, conns, r, f.addr(i), c.Place(i), counted)
		if err != nil {
			return nil, err
		}
		f.count[i], f.known[i], f.exact[i] = n, known, known && source == ""
		if source != "" {
			f.source = source
		}
	}
	return f, nil
}

// countMembers counts a community's members on its platform, or by
// hearth's count where the platform cannot list them (then source says
// so): no document of a community is no member seen there. known is
// false when the platform is not open.
func countMembers(ctx context.Context, conns Conns, r state.Resource, addr, name string, counted map[string]int) (int, bool, string, error) {
	conn, ok := conns[r.Platform]
	if !ok {
		return 0, false, "", nil
	}
	const hearths = " (hearth's count: the platform cannot list members)"
	rd, err := reader(conn, r.Platform)
	if err != nil && !errors.Is(err, platform.ErrUnsupported) {
		return 0, false, "", err
	}
	if err == nil {
		objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMember, Community: r.ID})
		switch {
		case err == nil || errors.Is(err, platform.ErrNotFound):
			return len(objs), true, "", nil
		case !errors.Is(err, platform.ErrUnsupported):
			return 0, false, "", fmt.Errorf("%s: counting members of %s: %w", r.Platform, addr, err)
		}
	}
	return counted[name], true, hearths, nil
}

// plan decides which sub-communities the family keeps or adds (their
// places), records in reasons why one is added or removed and in
// emptied the empty ones removed, and returns the warnings.
func (f *family) plan(reasons map[string]string, emptied map[string]bool) ([]int, []string) {
	c := f.c
	var warnings []string
	var keep []int
	splits := c.Splits()
	// Past capacity: say so, and where new members go.
	for _, i := range f.places {
		if !f.known[i] || c.Capacity <= 0 || f.count[i] <= c.Capacity {
			continue
		}
		w := fmt.Sprintf("%s has %d members%s, more than its capacity of %d", f.addr(i), f.count[i], f.source, c.Capacity)
		if !splits {
			w += fmt.Sprintf(" (on_capacity = %q)", c.OnCapacity)
		} else if room := f.room(); room != 0 {
			w += fmt.Sprintf("; %s has room (%d of %d): %s", f.addr(room), f.count[room], c.Capacity, f.whereNew(room))
		}
		warnings = append(warnings, w)
	}
	// Sub-communities: kept while they have members or the family needs
	// them; an empty one goes when one before it has room.
	for _, i := range f.places[1:] {
		addr := f.addr(i)
		needed := splits
		for _, j := range f.places {
			if j < i && !f.full(j) {
				needed = false
			}
		}
		switch {
		case f.exact[i] && f.count[i] == 0 && !needed:
			reasons[addr], emptied[addr] = f.goneWhy(i), true
			continue
		case !needed && splits:
			warnings = append(warnings, fmt.Sprintf("%s keeps its %s while it has any, though %s has room: hearth never removes a community with members in it, and fills the family in order",
				addr, f.members(i), f.addr(f.room())))
		case !needed:
			warnings = append(warnings, fmt.Sprintf("%s keeps its %s, with the channels, roles and pins of %s, while it has any: community %q no longer splits (%s), and hearth never removes a community with members in it; remove it by hand once they are gone (hearth state rm %s)",
				addr, f.members(i), "community."+c.Name, c.Name, f.splitOff(), addr))
		}
		keep = append(keep, i)
	}
	// The next one, when every one the family has is full and one is
	// past its capacity.
	if splits && f.room() == 0 {
		over := false
		for _, i := range f.places {
			over = over || f.count[i] > c.Capacity
		}
		if over {
			next := 2
			for slices.Contains(f.places, next) {
				next++
			}
			keep = append(keep, next)
			reasons[f.addr(next)] = fmt.Sprintf("sub-community of community.%s, whose family is full: %s", c.Name, f.fullText())
			warnings = append(warnings, fmt.Sprintf("%s is added for new members: every community of community.%s's family is full (%s); members stay in the one they are in",
				f.addr(next), c.Name, f.fullText()))
		}
	}
	slices.Sort(keep)
	return keep, warnings
}

// room is the first place of the family with room, or 0 when all are
// full (or cannot be counted).
func (f *family) room() int {
	for _, i := range f.places {
		if f.known[i] && f.count[i] < f.c.Capacity {
			return i
		}
	}
	return 0
}

// whereNew says where new members go while place room has room.
func (f *family) whereNew(room int) string {
	switch {
	case f.c.Platform == nil:
		return "invite new members to " + f.addr(room)
	case f.c.Platform.MovesMembers:
		return "hearth run moves members who join a full community of the family there"
	}
	return "members stay where they join on " + f.c.Platform.Addr() + ", so invite new members to " + f.addr(room)
}

// fullText lists the family's communities and their counts.
func (f *family) fullText() string {
	parts := make([]string, 0, len(f.places))
	for _, i := range f.places {
		parts = append(parts, fmt.Sprintf("%s %d of %d", f.addr(i), f.count[i], f.c.Capacity))
	}
	return strings.Join(parts, ", ")
}

func (f *family) members(i int) string {
	switch {
	case !f.known[i]:
		return "members (its platform is not open to count them)"
	case !f.exact[i]:
		return fmt.Sprintf("members (%d by hearth's count: the platform cannot list them)", f.count[i])
	case f.count[i] == 1:
		return "1 member"
	}
	return strconv.Itoa(f.count[i]) + " members"
}

// goneWhy says why an empty sub-community is removed, and that the
// prevent_destroy it copies does not keep it, when it copies any.
func (f *family) goneWhy(i int) string {
	why := fmt.Sprintf("empty sub-community of community.%s, which has room before it: %s", f.c.Name, f.addr(f.room()))
	if !f.c.Splits() {
		why = fmt.Sprintf("empty sub-community of community.%s, which no longer splits (%s)", f.c.Name, f.splitOff())
	}
	if f.guarded[i] {
		why += fmt.Sprintf("; prevent_destroy protects the objects of community.%s's blocks, not their copies in an empty sub-community", f.c.Name)
	}
	return why
}

func (f *family) splitOff() string {
	if f.c.Capacity <= 0 {
		return "no capacity"
	}
	return fmt.Sprintf("on_capacity = %q", f.c.OnCapacity)
}

// mirror is the community's desired objects again, for its
// sub-community at place i: the same channels, roles and pins, under
// community.NAME-i, named NAME-i and titled "TITLE i".
func mirror(c *config.Community, desired []Desired, i int) []Desired {
	caddr := "community." + c.Name
	sub := "community." + c.Place(i)
	var out []Desired
	for _, d := range desired {
		if !under(d.Address, caddr) {
			continue
		}
		d.Address = sub + strings.TrimPrefix(d.Address, caddr)
		d.Attrs = d.Attrs.Clone()
		if d.Community != "" {
			d.Community = sub
		}
		if d.Channel != "" {
			d.Channel = sub + strings.TrimPrefix(d.Channel, caddr)
		}
		if d.Kind == platform.KindCommunity {
			d.Attrs["name"] = c.Place(i)
			if d.Attrs["title"] != "" {
				d.Attrs["title"] = c.PlaceTitle(i)
			}
		}
		out = append(out, d)
	}
	return out
}

// subReason is why a change to addr happens, when it is a family's
// sub-community or what is in one that subCommunities added or removed.
func subReason(reasons map[string]string, emptied map[string]bool, addr string) string {
	if r, ok := reasons[addr]; ok {
		return r
	}
	if a := emptiedAbove(emptied, addr); a != "" {
		return "in " + a + ", which goes"
	}
	return ""
}

// emptiedAbove is the emptied sub-community addr is in (or is), or "".
func emptiedAbove(emptied map[string]bool, addr string) string {
	for _, a := range slices.Sorted(maps.Keys(emptied)) {
		if under(addr, a) {
			return a
		}
	}
	return ""
}
