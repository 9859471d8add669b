package runtime

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Explanation says how one rule decides for one member now: its source,
// where it is, its result, and the value of everything it reads.
type Explanation struct {
	Rule   string  `json:"rule"` // segment.lurkers.when
	Source string  `json:"source"`
	At     string  `json:"at"` // file:line
	Result any     `json:"result"`
	Error  string  `json:"error,omitempty"`
	Values []Value `json:"values"`
}

// Value is one input of a rule.
type Value struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Why explains the rules of a segment, tier, badge or campaign for a
// member at now: "why is she in lurkers?".
func (r *Runtime) Why(m *state.Member, addr string, now time.Time) ([]Explanation, error) {
	if addr == "moderation" || strings.HasPrefix(addr, "moderation.") || strings.Contains(addr, ".moderation.") {
		return r.whyModeration(m, addr, now)
	}
	kind, name, ok := strings.Cut(addr, ".")
	if !ok {
		return nil, fmt.Errorf("%q: give an address such as segment.lurkers, tier.core or moderation.spam", addr)
	}
	type named struct {
		attr string
		rule *config.Rule
	}
	var rs []named
	found := false
	switch kind {
	case "segment":
		for _, s := range r.cfg.Segments {
			if s.Name == name {
				found, rs = true, []named{{"when", s.When}}
			}
		}
	case "tier":
		for _, t := range r.cfg.Tiers {
			if t.Name == name {
				found, rs = true, []named{{"when", t.When}, {"keep", t.Keep}}
			}
		}
	case "badge":
		for _, b := range r.cfg.Badges {
			if b.Name == name {
				found, rs = true, []named{{"revoke_when", b.RevokeWhen}}
			}
		}
	case "campaign":
		for _, c := range r.cfg.Campaigns {
			if c.Name == name {
				found, rs = true, []named{{"exit_when", c.ExitWhen}}
			}
		}
	default:
		return nil, fmt.Errorf("%q: only segments, tiers, badges and campaigns have member rules", addr)
	}
	if !found {
		return nil, fmt.Errorf("there is no %s named %q in the configuration", kind, name)
	}
	w := r.newWork(context.Background(), nil)
	r.bind(w, m, nil, nil, now)
	var out []Explanation
	for _, n := range rs {
		if n.rule == nil || n.rule.Program == nil {
			continue
		}
		p := n.rule.Program
		e := Explanation{Rule: addr + "." + n.attr, Source: n.rule.Source,
			At: fmt.Sprintf("%s:%d", shortPath(n.rule.Range.Filename), n.rule.Range.Start.Line)}
		res, err := r.eval.Bool(p)
		if err != nil {
			e.Error = err.Error()
		} else {
			e.Result = res
		}
		for _, f := range p.Reads.Member {
			e.Values = append(e.Values, Value{Name: "member." + f, Value: memberField(&r.rm, f)})
		}
		for _, c := range p.Reads.Calls {
			e.Values = append(e.Values, Value{Name: c.String(), Value: rules.CallValue(c, &r.ms)})
		}
		if p.Reads.Now {
			e.Values = append(e.Values, Value{Name: "now", Value: now.UTC().Format(time.RFC3339)})
		}
		out = append(out, e)
	}
	return out, nil
}

func memberField(m *rules.Member, name string) any {
	v := reflect.ValueOf(m).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("expr") == name {
			f := v.Field(i).Interface()
			if tm, ok := f.(time.Time); ok {
				if tm.IsZero() {
					return "never"
				}
				return tm.UTC().Format(time.RFC3339)
			}
			return f
		}
	}
	return nil
}

func shortPath(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
