package plan

import (
	"fmt"
	"strings"

	"github.com/hearth-community/hearth/engine/platform"
)

// Hint is advice printed after a plan: not a change, but a way to get
// a better one. Added in 1.6.
type Hint struct {
	// Kind is what the hint is about: "moved", a destroy and a create
	// that look like a renamed block; "import", a community create whose
	// name a live community that state does not hold has (Unadopted).
	Kind string `json:"kind"`
	// From and To are the addresses a moved block would name; To and ID
	// those of an import block.
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

// minRenameLikeness is the share of attributes besides the name that a
// destroy and a create must have equal to be taken for a rename when
// there are several of their kind in one place.
const minRenameLikeness = 0.5

// renameHints finds destroys and creates that look like a renamed block:
// of the same kind, on the same platform, in the same community (or both
// communities), where the plan destroys one object and creates one, or,
// among several, pairs whose other attributes are mostly equal and that
// are each other's only best match. A moved block would keep the object
// (a channel's messages, a role's holders) where the plan replaces it.
// Pins follow their channel, and a moved block for the channel moves
// them too, so they are not paired on their own.
func renameHints(changes []Change) []Hint {
	type group struct{ gone, made []Change }
	groups := map[string]*group{}
	var order []string
	for _, c := range changes {
		if c.MovedFrom != "" || c.ImportID != "" || c.Kind == platform.KindPin {
			continue
		}
		var add func(g *group)
		switch {
		case c.Action == Delete:
			add = func(g *group) { g.gone = append(g.gone, c) }
		case c.Action == Create && c.Reason == "":
			// A create with a reason is a sub-community's, or an object
			// deleted outside hearth: no block was renamed.
			add = func(g *group) { g.made = append(g.made, c) }
		default:
			continue
		}
		key := strings.Join([]string{string(c.Kind), c.Platform, parentOf(c.Address)}, "\x00")
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		add(g)
	}
	var out []Hint
	for _, key := range order {
		g := groups[key]
		if len(g.gone) == 0 || len(g.made) == 0 {
			continue
		}
		if len(g.gone) == 1 && len(g.made) == 1 {
			out = append(out, movedHint(g.gone[0], g.made[0]))
			continue
		}
		best := func(c Change, among []Change, score func(a, b Change) float64) int {
			at, top, ties := -1, 0.0, 0
			for i, o := range among {
				switch s := score(c, o); {
				case s > top:
					at, top, ties = i, s, 0
				case s == top && at >= 0:
					ties++
				}
			}
			if top < minRenameLikeness || ties > 0 {
				return -1
			}
			return at
		}
		fwd := func(a, b Change) float64 { return likeness(a.Before, b.After) }
		back := func(a, b Change) float64 { return likeness(b.Before, a.After) }
		for i, d := range g.gone {
			j := best(d, g.made, fwd)
			if j >= 0 && best(g.made[j], g.gone, back) == i {
				out = append(out, movedHint(d, g.made[j]))
			}
		}
	}
	return out
}

// parentOf is the address of what an object is in: community.c for
// community.c.channel.general, "" for a community.
func parentOf(addr string) string {
	parts := strings.Split(addr, ".")
	if len(parts) <= 2 {
		return ""
	}
	return strings.Join(parts[:len(parts)-2], ".")
}

// likeness is the share of the attributes other than the name that a
// and b have equal; 1 when they have none besides it.
func likeness(a, b platform.Attrs) float64 {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	delete(keys, "name")
	if len(keys) == 0 {
		return 1
	}
	same := 0
	for k := range keys {
		if a[k] == b[k] {
			same++
		}
	}
	return float64(same) / float64(len(keys))
}

func movedHint(gone, made Change) Hint {
	kept := map[platform.Kind]string{
		platform.KindCommunity: "the community, its channels, roles and members",
		platform.KindChannel:   "the channel and its history",
		platform.KindRole:      "the role and who holds it",
	}[gone.Kind]
	if kept == "" {
		kept = "the " + string(gone.Kind)
	}
	return Hint{Kind: "moved", From: gone.Address, To: made.Address, Message: fmt.Sprintf(
		"If %s was renamed to %s, add a moved block to keep %s rather than destroy it and create another:\n\nmoved {\n  from = %q\n  to   = %q\n}",
		gone.Address, made.Address, kept, gone.Address, made.Address)}
}
