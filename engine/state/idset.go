package state

import (
	"hash/maphash"
	"time"
)

// idSet is the memory store's set of seen event ids. Every event looks
// up an id that is almost always new, in a set that outgrows the caches,
// so the set is laid out for that: an open-addressed table of 8-byte
// slots, each the high 32 bits of the id's hash and the index of the id
// in an append-only list. A new id costs one random memory access (its
// slot) and one sequential one (the list); the id itself is compared only
// when the hash bits match, which is for a repeated id or one in four
// billion others.
//
// A slot's place in the table comes from its hash bits alone, so growing
// the table moves slots without reading an id or hashing it again, and
// the list grows in fixed chunks that are never copied.
type idSet struct {
	seed   maphash.Seed
	slots  []uint64   // hash>>32<<32 | index+1; 0 is empty
	chunks [][]string // the ids, idChunk to a chunk, in the order added
	n      int        // ids in chunks
	gone   int        // ids removed (rolled back) but still in chunks
	// info holds the content digest and event time of ids added with a
	// digest (AddDigest), in chunks beside the ids' chunks; a chunk is
	// made when the first such id lands in it, so a set that never gets
	// one (simulate, bench) pays nothing for them.
	info [][]idInfo
}

// idInfo is a digest (0: unknown) and an event time in Unix nanoseconds.
type idInfo struct {
	digest uint64
	at     int64
}

// idChunk is how many ids a chunk of the list holds.
const idChunk = 1 << 12

func newIDSet() *idSet {
	return &idSet{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

// Len is the number of ids in the set.
func (s *idSet) Len() int { return s.n - s.gone }

func (s *idSet) id(i int) string { return s.chunks[i/idChunk][i%idChunk] }

func (s *idSet) push(id string) int {
	if s.n%idChunk == 0 {
		s.chunks = append(s.chunks, make([]string, 0, idChunk))
	}
	c := &s.chunks[len(s.chunks)-1]
	*c = append(*c, id)
	s.n++
	return s.n - 1
}

// home is where a slot with hash bits hi starts probing: the bits scaled
// to the table, which keeps slots in hash order for any table size.
func home(hi uint64, size int) int { return int(hi * uint64(size) >> 32) }

// find returns the slot holding id, or the empty slot where it would go.
func (s *idSet) find(id string, hi uint64) (int, bool) {
	size := len(s.slots)
	for i := home(hi, size); ; {
		v := s.slots[i]
		if v == 0 {
			return i, false
		}
		if v>>32 == hi && s.id(int(uint32(v))-1) == id {
			return i, true
		}
		if i++; i == size {
			i = 0
		}
	}
}

// place puts a slot value in the first empty slot from its home.
func place(slots []uint64, v uint64) {
	size := len(slots)
	for i := home(v>>32, size); ; {
		if slots[i] == 0 {
			slots[i] = v
			return
		}
		if i++; i == size {
			i = 0
		}
	}
}

func (s *idSet) hash(id string) uint64 { return maphash.String(s.seed, id) >> 32 }

// Has reports whether id is in the set.
func (s *idSet) Has(id string) bool {
	_, ok := s.find(id, s.hash(id))
	return ok
}

// Add puts id in the set and reports whether it was new.
func (s *idSet) Add(id string) bool {
	fresh, _ := s.add(id, idInfo{})
	return fresh
}

// AddDigest is Add keeping digest and at with a new id; for an id in the
// set it returns what was kept with it.
func (s *idSet) AddDigest(id string, at time.Time, digest uint64) (bool, Claimed) {
	fresh, was := s.add(id, idInfo{digest: digest, at: at.UnixNano()})
	if fresh || was.digest == 0 {
		return fresh, Claimed{}
	}
	return false, Claimed{Digest: was.digest, At: time.Unix(0, was.at).UTC()}
}

func (s *idSet) add(id string, inf idInfo) (bool, idInfo) {
	hi := s.hash(id)
	i, ok := s.find(id, hi)
	if ok {
		return false, infoAt(s.info, int(uint32(s.slots[i]))-1)
	}
	k := s.push(id)
	if inf.digest != 0 {
		s.setInfo(k, inf)
	}
	s.slots[i] = hi<<32 | uint64(k+1)
	// Kept at most half full, so a probe seldom leaves its cache line.
	if 2*s.n > len(s.slots) {
		s.rebuild()
	}
	return true, idInfo{}
}

// infoAt is what info holds for the id at list index k.
func infoAt(info [][]idInfo, k int) idInfo {
	if c := k / idChunk; c < len(info) && info[c] != nil {
		return info[c][k%idChunk]
	}
	return idInfo{}
}

func (s *idSet) setInfo(k int, inf idInfo) {
	c := k / idChunk
	for len(s.info) <= c {
		s.info = append(s.info, nil)
	}
	if s.info[c] == nil {
		s.info[c] = make([]idInfo, idChunk)
	}
	s.info[c][k%idChunk] = inf
}

// Remove takes ids out, as a rolled-back batch does. Their places in the
// list stay until the next rebuild.
func (s *idSet) Remove(ids []string) {
	for _, id := range ids {
		if i, ok := s.find(id, s.hash(id)); ok {
			s.slots[i] = 0
			s.gone++
			s.rehashAfter(i)
		}
	}
}

// rehashAfter re-places the run of slots after an emptied one, so no
// probe stops early at the hole (linear probing has no tombstones).
func (s *idSet) rehashAfter(hole int) {
	size := len(s.slots)
	for i := (hole + 1) % size; s.slots[i] != 0; i = (i + 1) % size {
		v := s.slots[i]
		s.slots[i] = 0
		place(s.slots, v)
	}
}

// rebuild doubles the table, or just re-packs it when removed ids hold
// places in the list.
func (s *idSet) rebuild() {
	n := len(s.slots)
	if 2*s.Len() > n/2 {
		n *= 2
	}
	old := s.slots
	s.slots = make([]uint64, n)
	if s.gone == 0 {
		for _, v := range old {
			if v != 0 {
				place(s.slots, v)
			}
		}
		return
	}
	// The slots name exactly the ids still in the set: they get new
	// places in a new list.
	chunks, info := s.chunks, s.info
	s.chunks, s.info, s.n, s.gone = nil, nil, 0, 0
	for _, v := range old {
		if v != 0 {
			k := int(uint32(v)) - 1
			i := s.push(chunks[k/idChunk][k%idChunk])
			if inf := infoAt(info, k); inf.digest != 0 {
				s.setInfo(i, inf)
			}
			place(s.slots, v>>32<<32|uint64(i+1))
		}
	}
}
