package simulate

import (
	"github.com/hearth-community/hearth/engine/config"
)

// MaxAttrChecks bounds the type and attribute pairs a summary looks at
// for a declared attribute they are a slip of: a file making up a name
// per event could have millions.
const MaxAttrChecks = 1000

// AttrTypo is an attribute that events of a standard or declared type
// have and their type does not declare, that looks like a typo of one
// it does (Suggestion) which they lack: no rule reads its value, as
// hearth test warns, and hearth run's 202 and GET /v1/status say.
type AttrTypo struct {
	Type       string `json:"type"`
	Attribute  string `json:"attribute"`
	Suggestion string `json:"suggestion"`
	Events     int    `json:"events"`
}

// AttrTypos counts events by attribute typo.
type AttrTypos struct {
	pairs pairCounts // type, attribute
}

// Add counts n events of type typ with attribute attr, a slip of
// suggestion.
func (a *AttrTypos) Add(typ, attr, suggestion string, n int) {
	a.pairs.add(typ, attr, suggestion, n, 0)
}

// List is the typos counted, the one with the most events first, then
// by type and attribute.
func (a *AttrTypos) List() []AttrTypo {
	pairs := a.pairs.sorted()
	out := make([]AttrTypo, 0, len(pairs))
	for _, c := range pairs {
		out = append(out, AttrTypo{Type: c.typ, Attribute: c.name, Suggestion: c.suggestion, Events: c.events})
	}
	return out
}

// attrTypoCounter counts the attribute typos of the events a run
// applies.
type attrTypoCounter struct {
	slips *config.AttrSlips
	found []config.AttrSlip
	AttrTypos
}

func newAttrTypoCounter(cfg *config.Config) *attrTypoCounter {
	return &attrTypoCounter{slips: config.NewAttrSlips(cfg, MaxAttrChecks)}
}

// see counts the typos among the attributes of an event of type typ.
func (c *attrTypoCounter) see(typ string, attrs map[string]any) {
	if len(attrs) == 0 {
		return
	}
	c.found = c.slips.Find(c.found[:0], typ, attrs)
	for _, s := range c.found {
		c.Add(typ, s.Attr, s.Suggestion, 1)
	}
}
