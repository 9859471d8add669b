package daemon

import (
	"maps"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
)

// restartNeeded names what next changes, since the daemon started from
// was, of what hearth run reads only at start: the state store it opened,
// and the platforms it connected to (the outbox keeps each platform's
// connection, inbound endpoints and streams are opened at start). A
// reload that changes them is taken, rules and all, but these parts wait
// for a restart, which an operator rotating a token or moving the state
// must be told rather than find out from dead letters.
func restartNeeded(was, next *config.Config) []string {
	if was == nil || next == nil {
		return nil
	}
	var out []string
	a, b := was.Settings.State, next.Settings.State
	if a.Backend != b.Backend || a.Path != b.Path || !sameValue(a.URL, b.URL) {
		out = append(out, "hearth.state")
	}
	old := map[string]*config.Platform{}
	for _, p := range was.Platforms {
		old[p.Addr()] = p
	}
	seen := map[string]bool{}
	for _, p := range next.Platforms {
		seen[p.Addr()] = true
		switch o, ok := old[p.Addr()]; {
		case !ok:
			out = append(out, p.Addr()+" (added)")
		case !sameSettings(o.Settings, p.Settings):
			out = append(out, p.Addr()+" (changed)")
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(old)) {
		if !seen[addr] {
			out = append(out, addr+" (removed)")
		}
	}
	return out
}

func sameSettings(a, b map[string]cty.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !sameValue(v, w) {
			return false
		}
	}
	return true
}

// sameValue compares two values, marks (sensitive) included; cty.NilVal
// (a setting not given) equals only itself.
func sameValue(a, b cty.Value) bool {
	if a == cty.NilVal || b == cty.NilVal {
		return a == cty.NilVal && b == cty.NilVal
	}
	return a.RawEquals(b)
}
