package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
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
		ignore[d.Address] = d.Ignore
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
	return p, nil
}
