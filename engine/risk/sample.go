package risk

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

// Sample is figures at which alert a's rule holds at now, for a preview
// of the message it sends when it fires (hearth template render). It
// starts from those of a quiet, healthy community (quietFigures) with the name,
// title, capacity and platform of f, and changes as few of the figures
// the rule reads as make it hold (three at most), to values near the
// numbers written in the rule (the threshold, one past it, one short of
// it) or near the other figures it reads; the figures it does not read
// follow, as they do in a real community (a day's messages no fewer than
// the hour's, members no fewer than the active ones, ratios from their
// counts). ok is false when no values tried make it hold (a rule on
// capacity_used in a community without capacity never does): the
// figures are the quiet ones then.
func Sample(a *config.Alert, f rules.Community, now time.Time) (rules.Community, bool) {
	base := quietFigures(f)
	if a.When == nil || a.When.Program == nil {
		return base, false
	}
	ev := rules.NewEvaluator()
	holds := func(c *rules.Community) bool {
		ev.Bind(&rules.Member{}, nil, c, now, nil)
		ok, err := ev.Bool(a.When.Program)
		return err == nil && ok
	}
	if holds(&base) {
		return base, true
	}
	var names []string
	for _, n := range Reads(a.When.Source) {
		switch Value(base, n).(type) {
		case int, float64:
			names = append(names, n)
		}
	}
	cands := make([][]float64, len(names))
	for i, n := range names {
		cands[i] = candidates(base, n, names, numbers(a.When.Source))
	}
	// Fewest changes first: one figure, then two, then three.
	for k := 1; k <= min(len(names), 3); k++ {
		var found *rules.Community
		subsets(len(names), k, func(idx []int) bool {
			return assignments(cands, idx, func(vals []float64) bool {
				c := base
				fixed := map[string]bool{}
				for j, i := range idx {
					setFigure(&c, names[i], vals[j])
					fixed[names[i]] = true
				}
				if settle(&c, fixed) && holds(&c) {
					found = &c
					return true
				}
				return false
			})
		})
		if found != nil {
			return *found, true
		}
	}
	return base, false
}

// quietFigures are the figures of a quiet, healthy community with f's name,
// title, capacity and platform: members at three fifths of its capacity
// (120 without one), a few messages an hour at the usual level, almost
// nothing flagged, negative or reported, a quarter of the members
// active today.
func quietFigures(f rules.Community) rules.Community {
	f.Members = 120
	if f.Capacity > 0 {
		f.Members = max(1, f.Capacity*3/5)
	}
	f.Joined24h, f.Left24h, f.Left7d = 2, 0, 1
	f.Messages1h, f.Messages24h, f.Messages7d, f.MessagesUsual24h = 8, 120, 840, 120
	f.Flagged1h, f.Flagged24h, f.Negative1h, f.Negative24h, f.Reports24h = 0, 1, 0, 2, 0
	f.Active1d, f.Active7d, f.Active30d = f.Members/4, f.Members/2, f.Members*3/4
	ratios(&f)
	return f
}

// ratios sets the figures that are ratios of others.
func ratios(f *rules.Community) {
	f.CapacityUsed, f.ActiveRatio1d, f.ActiveRatio7d, f.ActiveRatio30d = 0, 0, 0, 0
	if f.Capacity > 0 {
		f.CapacityUsed = float64(f.Members) / float64(f.Capacity)
	}
	if f.Members > 0 {
		m := float64(f.Members)
		f.ActiveRatio1d, f.ActiveRatio7d, f.ActiveRatio30d = float64(f.Active1d)/m, float64(f.Active7d)/m, float64(f.Active30d)/m
	}
}

// ordered are figures a real community keeps in order, the smaller
// first: what is counted in an hour is counted in its day, negative and
// flagged messages are messages, active members are members.
var ordered = [][2]string{
	{"negative_1h", "messages_1h"}, {"flagged_1h", "messages_1h"},
	{"messages_1h", "messages_24h"}, {"negative_1h", "negative_24h"}, {"flagged_1h", "flagged_24h"},
	{"negative_24h", "messages_24h"}, {"flagged_24h", "messages_24h"},
	{"messages_24h", "messages_7d"}, {"left_24h", "left_7d"},
	{"active_1d", "active_7d"}, {"active_7d", "active_30d"}, {"active_30d", "members"},
}

// settle makes the figures not fixed follow the fixed ones: a ratio
// given becomes the counts it is made of, then each pair of ordered
// figures out of order moves the one not fixed, then the ratios follow
// the counts. false when two fixed figures disagree, or a ratio cannot
// be had.
func settle(f *rules.Community, fixed map[string]bool) bool {
	if fixed["capacity_used"] {
		if f.Capacity == 0 || fixed["members"] {
			return false
		}
		f.Members = int(math.Round(f.CapacityUsed * float64(f.Capacity)))
		fixed["members"] = true
	}
	for _, d := range []string{"1d", "7d", "30d"} {
		if fixed["active_ratio_"+d] {
			if fixed["active_"+d] {
				return false
			}
			setFigure(f, "active_"+d, math.Round(figure(*f, "active_ratio_"+d)*float64(f.Members)))
			fixed["active_"+d] = true
		}
	}
	for range ordered {
		moved := false
		for _, p := range ordered {
			lo, hi := figure(*f, p[0]), figure(*f, p[1])
			if lo <= hi {
				continue
			}
			switch {
			case !fixed[p[1]]:
				setFigure(f, p[1], lo)
			case !fixed[p[0]]:
				setFigure(f, p[0], hi)
			default:
				return false
			}
			moved = true
		}
		if !moved {
			break
		}
	}
	ratios(f)
	return true
}

// numberRe finds the numbers written in a rule, not the digits of a
// figure's name (messages_24h).
var numberRe = regexp.MustCompile(`(?:^|[^\w.])(\d+(?:\.\d+)?)`)

func numbers(src string) []float64 {
	var out []float64
	for _, m := range numberRe.FindAllStringSubmatch(src, -1) {
		if v, err := strconv.ParseFloat(m[1], 64); err == nil && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// candidates are the values tried for figure name, in order: near each
// number in the rule (the number, one past it, one short of it), near
// the other figures it reads as they are in base, then zero.
func candidates(base rules.Community, name string, names []string, nums []float64) []float64 {
	_, isInt := Value(base, name).(int)
	var out []float64
	add := func(v float64) {
		if v >= 0 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	near := func(x float64) {
		if isInt {
			add(math.Ceil(x))
			add(math.Ceil(x) + 1)
			add(math.Floor(x))
			add(math.Floor(x) - 1)
			return
		}
		add(x)
		add(math.Round((x+0.01)*100) / 100)
		add(math.Round((x-0.01)*100) / 100)
	}
	for _, x := range nums {
		near(x)
	}
	for _, other := range names {
		if other != name {
			near(figure(base, other))
		}
	}
	add(0)
	return slices.DeleteFunc(out, func(v float64) bool { return v == figure(base, name) })
}

// subsets calls fn with each k of n indexes, in order, until it returns
// true; it reports whether one did.
func subsets(n, k int, fn func([]int) bool) bool {
	idx := make([]int, 0, k)
	var walk func(from int) bool
	walk = func(from int) bool {
		if len(idx) == k {
			return fn(idx)
		}
		for i := from; i < n; i++ {
			idx = append(idx, i)
			if walk(i + 1) {
				return true
			}
			idx = idx[:len(idx)-1]
		}
		return false
	}
	return walk(0)
}

// assignments calls fn with each choice of one candidate per index of
// idx, until it returns true; it reports whether one did.
func assignments(cands [][]float64, idx []int, fn func([]float64) bool) bool {
	vals := make([]float64, len(idx))
	var walk func(j int) bool
	walk = func(j int) bool {
		if j == len(idx) {
			return fn(vals)
		}
		for _, v := range cands[idx[j]] {
			vals[j] = v
			if walk(j + 1) {
				return true
			}
		}
		return false
	}
	return walk(0)
}

// figure is a numeric figure by its rule name, 0 when it is none.
func figure(f rules.Community, name string) float64 {
	switch v := Value(f, name).(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// setFigure sets a numeric figure by its rule name (an int one rounded).
func setFigure(f *rules.Community, name string, v float64) {
	rv := reflect.ValueOf(f).Elem()
	t := rv.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("expr") != name {
			continue
		}
		switch fv := rv.Field(i); fv.Kind() {
		case reflect.Int:
			fv.SetInt(int64(math.Round(v)))
		case reflect.Float64:
			fv.SetFloat(v)
		}
		return
	}
}
