package runtime

import "github.com/hearth-community/hearth/engine/rules"

// keyIndex numbers the change keys that some member rule reads, so a
// change set is a few machine words rather than a map of strings; keys
// no rule reads get no number and only mark the member as touched.
type keyIndex struct {
	idx   map[string]int
	count map[string]int // event type -> index of "count:TYPE"
	time  int            // "time" always has an index
	words int
}

func newKeyIndex() *keyIndex {
	k := &keyIndex{idx: map[string]int{}, count: map[string]int{}}
	k.time = k.add("time")
	return k
}

func (k *keyIndex) add(key string) int {
	if i, ok := k.idx[key]; ok {
		return i
	}
	i := len(k.idx)
	k.idx[key] = i
	if t, ok := cutPrefix(key, "count:"); ok {
		k.count[t] = i
	}
	k.words = (len(k.idx) + 63) / 64
	return i
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// mask is the set of keys a rule depends on.
func (k *keyIndex) mask(keys []string) []uint64 {
	m := make([]uint64, k.words)
	for _, key := range keys {
		i := k.idx[key]
		m[i/64] |= 1 << (i % 64)
	}
	return m
}

// changes is the set of change keys one event caused for one member.
type changes struct {
	touched bool
	bits    []uint64
}

func (c *changes) set(i int) { c.touched = true; c.bits[i/64] |= 1 << (i % 64) }

func (c *changes) has(i int) bool { return c.bits[i/64]&(1<<(i%64)) != 0 }

// any reports whether c holds a key of mask.
func (c *changes) any(mask []uint64) bool {
	for i, w := range mask {
		if c.bits[i]&w != 0 {
			return true
		}
	}
	return false
}

func (c *changes) reset() {
	c.touched = false
	clear(c.bits)
}

// registerKeys gives every key a rule reads its number; it runs before
// any mask is made, so every mask has the final width.
func (k *keyIndex) registerKeys(p *rules.Program) []string {
	keys := changeKeys(p)
	for _, key := range keys {
		k.add(key)
	}
	return keys
}
