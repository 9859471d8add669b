package plan

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Drift reports what changed on the platforms outside hearth since the
// last apply: each managed object's live attributes against the ones
// hearth last applied, as a refresh-only plan. Updates have the applied
// values as Before and the live ones as After; objects gone are
// deletes. ignore_changes holds here too, so known noise is not drift.
// Role assignments hearth made (RoleGrants) that were removed are
// deletes too; holders of a role a tier or segment gives whom hearth
// did not give it to are warned of, not drift, since hearth leaves them
// alone. Nothing is changed, on platforms or in state.
func Drift(ctx context.Context, cfg *config.Config, st Store, conns Conns) (*Plan, error) {
	p, err := drift(ctx, cfg, st, conns)
	return p, Unreached(cfg, err)
}

func drift(ctx context.Context, cfg *config.Config, st Store, conns Conns) (*Plan, error) {
	desired, err := DesiredObjects(cfg)
	if err != nil {
		return nil, err
	}
	ignore := map[string][]string{}
	for _, d := range desired {
		// What the platform has no place for is not drift either.
		ignore[d.Address] = append(slices.Clone(d.Ignore), d.Dropped...)
	}
	resources, serial, err := st.Resources(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	live, warnings, err := readLive(ctx, conns, resources)
	if err != nil {
		return nil, err
	}
	p := &Plan{FormatVersion: FormatVersion, ConfigHash: cfg.Fingerprint, Source: SourceOf(cfg), StateSerial: serial, RefreshOnly: true, Changes: []Change{}, Warnings: warnings}
	for _, r := range resources {
		c := Change{Address: r.Address, Kind: platform.Kind(r.Kind), Platform: r.Platform, ID: r.ID, Before: platform.Attrs(maps.Clone(r.Attrs))}
		o, ok := live[liveKey{r.Platform, c.Kind, r.ID}]
		if !ok {
			c.Action, c.Reason = Delete, "deleted outside hearth"
			p.Changes = append(p.Changes, c)
			p.Summary.Destroy++
			continue
		}
		spec, _ := platform.SpecOf(c.Kind)
		for _, k := range slices.Sorted(maps.Keys(r.Attrs)) {
			a, ok := spec.Attr(k)
			lv, has := o.Attrs[k]
			if !ok || a.ReadOnly() || !has || lv == r.Attrs[k] || slices.Contains(ignore[r.Address], k) {
				continue
			}
			c.Changed = append(c.Changed, k)
		}
		if len(c.Changed) == 0 {
			continue
		}
		c.Action, c.After = Update, settable(o)
		p.Changes = append(p.Changes, c)
		p.Summary.Change++
	}
	roles, warnings, err := roleDrift(ctx, cfg, st, resources, conns)
	if err != nil {
		return nil, err
	}
	p.Changes = append(p.Changes, roles...)
	p.Summary.Destroy += len(roles)
	p.Warnings = append(p.Warnings, warnings...)
	p.Unmanaged = unmanaged(cfg, resources, live)
	if len(resources) == 0 {
		if p.Unadopted = unadopted(ctx, cfg, desired, resources, conns); len(p.Unadopted) > 0 {
			p.Warnings = append(p.Warnings, StateMissingWarning(p.Unadopted))
		}
	}
	return p, nil
}

// Unmanaged is a channel or role in a community hearth manages that no
// block manages: made outside hearth, or left there by hearth state rm.
// Drift lists them with the import block that would adopt each; plan
// leaves them alone, as Terraform leaves what it does not manage.
type Unmanaged struct {
	Kind     platform.Kind `json:"kind"`
	Platform string        `json:"platform"`
	// Community is the address of the managed community it is in.
	Community string `json:"community"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	// To is the address an import block adopts it at, with a block of
	// that label added to the community's; empty in a sub-community
	// (whose objects mirror its community block's) or a community whose
	// block is gone.
	To string `json:"to,omitempty"`
	// Import is that import block; empty without To.
	Import string `json:"import,omitempty"`
}

// unmanaged lists the live channels and roles of the communities state
// holds that neither state nor an import block has, in the order
// readLive's listings give (by community, kind, then id). The listings
// are the ones drift reads anyway: this costs no platform call.
func unmanaged(cfg *config.Config, resources []state.Resource, live map[liveKey]platform.Object) []Unmanaged {
	managed := map[liveKey]bool{}
	taken := map[string]bool{} // addresses state or a block has
	communities := map[liveKey]string{}
	for _, r := range resources {
		k := liveKey{r.Platform, platform.Kind(r.Kind), r.ID}
		managed[k] = true
		taken[r.Address] = true
		if k.kind == platform.KindCommunity {
			communities[liveKey{r.Platform, "", r.ID}] = r.Address
		}
	}
	importing := map[string]bool{}
	for _, im := range cfg.Imports {
		importing[im.ID] = true
		taken[im.To] = true
	}
	// unplaced are the blocks that neither state nor an import block
	// has an object for, by kind, community and the name they give
	// their object: an object of that name is the one the block would
	// make (left by an apply that stopped partway, or made by hand), and
	// an import to the block adopts it.
	unplaced := map[string]string{}
	blocks := map[string]bool{}
	for _, c := range cfg.Communities {
		caddr := "community." + c.Name
		blocks[caddr] = true
		place := func(kind platform.Kind, addr, name string) {
			if !taken[addr] {
				unplaced[string(kind)+"\x00"+caddr+"\x00"+name] = addr
			}
			taken[addr] = true
		}
		for _, ch := range c.Channels {
			place(platform.KindChannel, caddr+".channel."+ch.Name, ch.Name)
		}
		for _, r := range c.Roles {
			place(platform.KindRole, r.Addr(), r.Title)
		}
	}
	var out []Unmanaged
	// In a fixed order, so that of two objects of one name the same one
	// is taken for the block's each time.
	keys := slices.SortedFunc(maps.Keys(live), func(a, b liveKey) int {
		return cmp.Or(cmp.Compare(a.platform, b.platform), cmp.Compare(a.kind, b.kind), cmp.Compare(len(a.id), len(b.id)), cmp.Compare(a.id, b.id))
	})
	for _, k := range keys {
		o := live[k]
		caddr, ok := communities[liveKey{k.platform, "", o.Community}]
		if !ok || managed[k] || importing[o.ID] || (k.kind != platform.KindChannel && k.kind != platform.KindRole) {
			continue
		}
		u := Unmanaged{Kind: k.kind, Platform: k.platform, Community: caddr, ID: o.ID, Name: o.Attrs["name"]}
		if to, ok := unplaced[string(k.kind)+"\x00"+caddr+"\x00"+u.Name]; ok {
			u.To, u.Import = to, ImportBlock(to, u.ID)
			delete(unplaced, string(k.kind)+"\x00"+caddr+"\x00"+u.Name)
		} else if blocks[caddr] {
			u.To = freeAddress(caddr+"."+string(k.kind)+".", BlockLabel(u.Name, k.kind), taken)
			taken[u.To] = true
			u.Import = ImportBlock(u.To, u.ID)
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b Unmanaged) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Community, b.Community), cmp.Compare(a.Kind, b.Kind), cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// ImportBlock is the import block that adopts the object id at address
// to, in HCL (several lines: a one-line block holds one argument).
func ImportBlock(to, id string) string {
	return fmt.Sprintf("import {\n  to = %s\n  id = %q\n}", to, id)
}

// BlockLabel is a block label for an object named name that import and
// moved blocks can address (a lowercase letter, then lowercase letters,
// digits, "_" and "-"): the name lowercased, with each run of other
// characters made "_", and kind first when that leaves no leading
// letter.
func BlockLabel(name string, kind platform.Kind) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
			under = false
		case !under:
			b.WriteByte('_')
			under = true
		}
	}
	label := strings.Trim(b.String(), "_")
	if label == "" || label[0] < 'a' || label[0] > 'z' {
		label = strings.TrimSuffix(string(kind)+"_"+label, "_")
	}
	return label
}

// freeAddress is prefix+label, or with _2, _3 ... after the label when
// taken has it: an import to a managed address would adopt nothing.
func freeAddress(prefix, label string, taken map[string]bool) string {
	addr := prefix + label
	for i := 2; taken[addr]; i++ {
		addr = prefix + label + "_" + strconv.Itoa(i)
	}
	return addr
}
