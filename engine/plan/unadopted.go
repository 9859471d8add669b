package plan

import (
	"context"
	"fmt"
	"slices"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// Unadopted is a community block that state does not hold while its
// platform has a community of the name the block would create: most
// often the state is not the one hearth applied with (another state
// path or database, a CI runner that starts without it), else a
// community made by hand that an import block would adopt.
type Unadopted struct {
	Address  string // the block's address, community.NAME
	Platform string // the platform block's address
	ID       string // the live community's platform id
	Name     string
}

// Hint is what a plan says about it, with the import block that
// adopts it.
func (u Unadopted) Hint() Hint {
	return Hint{Kind: "import", To: u.Address, ID: u.ID, Message: fmt.Sprintf(
		"%s will be created, but %s already has a community named %q (%s) that state does not hold.\nIf hearth made it, this is not the state it applied with: check the state's path or database (a CI job needs the state kept between runs; see \"Running plan and apply in CI\" in the README).\nIf it was made by hand, adopt it rather than make another:\n\n%s",
		u.Address, u.Platform, u.Name, u.ID, ImportBlock(u.Address, u.ID))}
}

// unadopted finds the community blocks among desired that resources
// do not hold and no import block adopts, whose platform has a
// community of their name. Finding none is no error: a platform that
// cannot list communities, or fails to, is passed over, since this only
// adds advice to a plan that stands without it.
func unadopted(ctx context.Context, cfg *config.Config, desired []Desired, resources []state.Resource, conns Conns) []Unadopted {
	held := map[string]bool{}
	for _, r := range resources {
		held[r.Address] = true
	}
	for _, im := range cfg.Imports {
		held[im.To] = true
	}
	listed := map[string][]platform.Object{}
	var out []Unadopted
	for _, d := range desired {
		if d.Kind != platform.KindCommunity || held[d.Address] || d.Attrs["name"] == "" {
			continue
		}
		objs, ok := listed[d.Platform]
		if !ok {
			objs = liveCommunities(ctx, conns, d.Platform)
			listed[d.Platform] = objs
		}
		for _, o := range objs {
			if o.Attrs["name"] == d.Attrs["name"] {
				out = append(out, Unadopted{Address: d.Address, Platform: d.Platform, ID: o.ID, Name: o.Attrs["name"]})
				break
			}
		}
	}
	return out
}

// liveCommunities lists the communities on the platform paddr, nil when
// it cannot.
func liveCommunities(ctx context.Context, conns Conns, paddr string) []platform.Object {
	conn, ok := conns[paddr]
	if !ok {
		return nil
	}
	rd, err := reader(conn, paddr)
	if err != nil {
		return nil
	}
	objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindCommunity})
	if err != nil {
		return nil
	}
	for i := range objs {
		objs[i] = canonicalLive(objs[i])
	}
	return objs
}

// unadoptedHints are the hints of a plan's community creates whose
// name a live community has.
func unadoptedHints(found []Unadopted, changes []Change) []Hint {
	var out []Hint
	for _, u := range found {
		if slices.ContainsFunc(changes, func(c Change) bool {
			return c.Action == Create && c.Kind == platform.KindCommunity && c.Address == u.Address
		}) {
			out = append(out, u.Hint())
		}
	}
	return out
}

// StateMissingWarning is what a drift report says when state holds
// nothing while the configured communities are on their platforms:
// drift compares the platforms with what hearth applied, so it compared
// nothing, and "No drift" would be a false all-clear.
func StateMissingWarning(found []Unadopted) string {
	names := ""
	for i, u := range found {
		if i > 0 {
			names += ", "
		}
		names += fmt.Sprintf("%s (%s %s)", u.Address, u.Platform, u.ID)
	}
	return fmt.Sprintf("state holds nothing, yet the configured communities are on their platforms: %s. Drift compares the platforms with what hearth applied, so nothing was checked: this is likely not the state hearth applied with (check the state's path or database; a CI job needs the state kept between runs), or the communities were made by hand (adopt them with import blocks; hearth plan names them).", names)
}
