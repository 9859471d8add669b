package simulate

import "sort"

// pairCounts counts events by a pair of names (an event type and an
// attribute, or a type and a value) with what the second looks like a
// slip of: what the summaries' warnings list.
type pairCounts struct {
	by map[[2]string]*pairCount
}

type pairCount struct {
	typ, name, suggestion string
	events                int
}

// add counts n events of pair (typ, name); a new pair is kept only while
// there are fewer than limit (0: no limit).
func (p *pairCounts) add(typ, name, suggestion string, n, limit int) {
	k := [2]string{typ, name}
	if c := p.by[k]; c != nil {
		c.events += n
		return
	}
	if limit > 0 && len(p.by) >= limit {
		return
	}
	if p.by == nil {
		p.by = map[[2]string]*pairCount{}
	}
	p.by[k] = &pairCount{typ: typ, name: name, suggestion: suggestion, events: n}
}

// seen counts one more event of a pair already counted and says whether
// it was.
func (p *pairCounts) seen(typ, name string) bool {
	c := p.by[[2]string{typ, name}]
	if c != nil {
		c.events++
	}
	return c != nil
}

// sorted lists the pairs, the one with the most events first, then by
// type and name.
func (p *pairCounts) sorted() []pairCount {
	out := make([]pairCount, 0, len(p.by))
	for _, c := range p.by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].events != out[j].events {
			return out[i].events > out[j].events
		}
		if out[i].typ != out[j].typ {
			return out[i].typ < out[j].typ
		}
		return out[i].name < out[j].name
	})
	return out
}
