package runtime

import (
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
)

// keyIndex numbers the change keys that some member rule reads, so a
// change set is a few machine words rather than a map of strings; keys
// no rule reads get no number and only mark the member as touched.
type keyIndex struct {
	idx   map[string]int
	count map[string]int // event type -> index of "count:TYPE"
	time  int            // "time" always has an index
	words int

	// The numbers of the keys the engine itself marks, looked up once
	// (fix) rather than by name on every event; -1 when no rule reads
	// the key, so marking it only touches the member.
	joined, left, community, profile, active, referrals, points, tier, strikes, anyBadge, unsubscribed int
	badge, segment, campaign                                                                           map[string]int // by badge, segment, campaign name
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

// of is key's number, or -1 when no rule reads it.
func (k *keyIndex) of(key string) int {
	if i, ok := k.idx[key]; ok {
		return i
	}
	return -1
}

// fix looks up the engine's own keys once every rule's keys are in.
func (k *keyIndex) fix(cfg *config.Config) {
	k.joined, k.left, k.community, k.profile = k.of("joined"), k.of("left"), k.of("community"), k.of("profile")
	k.active, k.referrals, k.points = k.of("active"), k.of("referrals"), k.of("points")
	k.tier, k.strikes, k.anyBadge, k.unsubscribed = k.of("tier"), k.of("strikes"), k.of("badge:*"), k.of("unsubscribed")
	k.badge, k.segment, k.campaign = map[string]int{}, map[string]int{}, map[string]int{}
	for _, b := range cfg.Badges {
		k.badge[b.Name] = k.of("badge:" + b.Name)
	}
	for _, s := range cfg.Segments {
		k.segment[s.Name] = k.of("segment:" + s.Name)
	}
	for _, c := range cfg.Campaigns {
		k.campaign[c.Name] = k.of("campaign:" + c.Name)
	}
}

// named is the number of a badge, segment or campaign key by name, or
// -1 (a name the configuration no longer has).
func named(keys map[string]int, name string) int {
	if i, ok := keys[name]; ok {
		return i
	}
	return -1
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
	// all says every member rule is to be evaluated, whatever the bits
	// say: the member is new to the configuration's rules.
	all  bool
	bits []uint64
}

func (c *changes) set(i int) { c.touched = true; c.bits[i/64] |= 1 << (i % 64) }

// mark records that keys changed, by their numbers (keyIndex); -1, a key
// no rule reads, only touches.
func (c *changes) mark(keys ...int) {
	c.touched = true
	for _, i := range keys {
		if i >= 0 {
			c.set(i)
		}
	}
}

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
	c.touched, c.all = false, false
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
