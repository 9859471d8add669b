package state

import "hash/maphash"

// idSet is the memory store's set of seen event ids. Every event looks
// up an id that is almost always new, in a set that outgrows the caches,
// so the set is laid out for that: an open-addressed table of 8-byte
// slots, each a 32-bit tag of the id's hash and the index of the id in an
// append-only list. A new id costs one random memory access (its slot)
// and one sequential one (the list); the id itself is compared only when
// tags match, which is for a repeated id or one in four billion others.
type idSet struct {
	seed  maphash.Seed
	slots []uint64 // tag<<32 | index+1; 0 is empty
	ids   []string
	gone  int // ids removed (rolled back) but still in ids
}

func newIDSet() *idSet {
	return &idSet{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

// Len is the number of ids in the set.
func (s *idSet) Len() int { return len(s.ids) - s.gone }

// find returns the slot holding id, or the empty slot where it would go.
func (s *idSet) find(id string, h uint64) (int, bool) {
	mask := uint64(len(s.slots) - 1)
	tag := h >> 32
	for i := h & mask; ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			return int(i), false
		}
		if v>>32 == tag && s.ids[uint32(v)-1] == id {
			return int(i), true
		}
	}
}

// Has reports whether id is in the set.
func (s *idSet) Has(id string) bool {
	_, ok := s.find(id, maphash.String(s.seed, id))
	return ok
}

// Add puts id in the set and reports whether it was new.
func (s *idSet) Add(id string) bool {
	h := maphash.String(s.seed, id)
	i, ok := s.find(id, h)
	if ok {
		return false
	}
	s.ids = append(s.ids, id)
	s.slots[i] = h>>32<<32 | uint64(len(s.ids))
	// Kept at most half full, so a probe seldom leaves its cache line.
	if 2*len(s.ids) > len(s.slots) {
		s.rebuild()
	}
	return true
}

// Remove takes ids out, as a rolled-back batch does. Their places in the
// list stay until the next rebuild.
func (s *idSet) Remove(ids []string) {
	for _, id := range ids {
		if i, ok := s.find(id, maphash.String(s.seed, id)); ok {
			s.slots[i] = 0
			s.gone++
			s.rehashAfter(i)
		}
	}
}

// rehashAfter re-places the run of slots after an emptied one, so no
// probe stops early at the hole (linear probing has no tombstones).
func (s *idSet) rehashAfter(hole int) {
	mask := len(s.slots) - 1
	for i := (hole + 1) & mask; s.slots[i] != 0; i = (i + 1) & mask {
		v := s.slots[i]
		s.slots[i] = 0
		id := s.ids[uint32(v)-1]
		j, _ := s.find(id, maphash.String(s.seed, id))
		s.slots[j] = v
	}
}

// rebuild doubles the table, or just re-packs it when removed ids hold
// places in the list.
func (s *idSet) rebuild() {
	n := len(s.slots)
	if 2*s.Len() > n/2 {
		n *= 2
	}
	if s.gone > 0 {
		// The slots name exactly the ids still in the set.
		live := make([]string, 0, s.Len())
		for _, v := range s.slots {
			if v != 0 {
				live = append(live, s.ids[uint32(v)-1])
			}
		}
		s.ids, s.gone = live, 0
	}
	s.slots = make([]uint64, n)
	for k, id := range s.ids {
		h := maphash.String(s.seed, id)
		i, _ := s.find(id, h)
		s.slots[i] = h>>32<<32 | uint64(k+1)
	}
}
