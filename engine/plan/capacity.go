package plan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// subCommunities plans the sub-communities of communities past their
// capacity. With on_capacity = "split", a community of M members and
// capacity C needs ceil(M/C) communities: the first is the community,
// the others NAME-2, NAME-3 ... with the same channels, roles and pins.
// Sub-communities state has are kept even when fewer are needed, since
// deleting one would throw its members out; removing them is a decision
// for people (hearth state rm, or by hand). "waitlist" and "warn" only
// warn. It returns the desired objects to add and the warnings.
//
// Members are counted on the platform; where it cannot list them, hearth's
// own count of joins and leaves (the community document the runtime keeps,
// community.members in rules) stands in, when the store has one.
func subCommunities(ctx context.Context, cfg *config.Config, desired []Desired, byAddr map[string]state.Resource, conns Conns, st Store) ([]Desired, []string, error) {
	var extra []Desired
	var warnings []string
	counted := map[string]int{}
	if cr, ok := st.(state.CommunityReader); ok {
		docs, err := cr.Communities()
		if err != nil {
			return nil, nil, fmt.Errorf("reading community figures: %w", err)
		}
		for _, d := range docs {
			counted[d.Name] = d.Members
		}
	}
	for _, c := range cfg.Communities {
		if c.Capacity <= 0 {
			continue
		}
		caddr := "community." + c.Name
		co, ok := byAddr[caddr]
		if !ok {
			continue // not created yet: no members
		}
		members, source := 0, ""
		if conn, ok := conns[co.Platform]; ok {
			rd, err := reader(conn, co.Platform)
			if err != nil && !errors.Is(err, platform.ErrUnsupported) {
				return nil, nil, err
			}
			if err == nil {
				objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindMember, Community: co.ID})
				switch {
				case err == nil || errors.Is(err, platform.ErrNotFound):
					members = len(objs)
				case errors.Is(err, platform.ErrUnsupported):
					members, source = counted[c.Name], " (hearth's count: the platform cannot list members)"
				default:
					return nil, nil, fmt.Errorf("%s: counting members of %s: %w", co.Platform, caddr, err)
				}
			} else {
				members, source = counted[c.Name], " (hearth's count: the platform cannot list members)"
			}
		}
		need := (members + c.Capacity - 1) / c.Capacity
		if c.OnCapacity != "" && c.OnCapacity != "split" {
			if members > c.Capacity {
				warnings = append(warnings, fmt.Sprintf("%s has %d members%s, more than its capacity of %d (on_capacity = %q)", caddr, members, source, c.Capacity, c.OnCapacity))
			}
			continue
		}
		have := 1
		for {
			if _, ok := byAddr[subName(caddr, have+1)]; !ok {
				break
			}
			have++
		}
		if members > c.Capacity*have {
			warnings = append(warnings, fmt.Sprintf("%s has %d members%s, more than its capacity of %d: splitting into %d communities", caddr, members, source, c.Capacity, need))
		}
		for i := 2; i <= max(need, have); i++ {
			sub := subName(caddr, i)
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
					d.Attrs["name"] = c.Name + "-" + strconv.Itoa(i)
					if d.Attrs["title"] != "" {
						d.Attrs["title"] += " " + strconv.Itoa(i)
					}
				}
				extra = append(extra, d)
			}
		}
	}
	return extra, warnings, nil
}

func subName(caddr string, i int) string { return caddr + "-" + strconv.Itoa(i) }
