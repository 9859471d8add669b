package sqlite

import (
	"hash/maphash"
	"math"
)

// bloom is a Bloom filter of committed event ids. A new event id, the
// common case, is known to be new without asking the database; only ids
// the filter may contain are looked up.
type bloom struct {
	bits []uint64
	k    int
	seed maphash.Seed
	n    int // ids added
	cap  int // ids it was sized for at a 0.1% false positive rate
}

func newBloom(capacity int) *bloom {
	capacity = max(capacity, 1<<16)
	// 0.1%, not 1%: a false positive is a read of the database on the
	// path of every event, and a read that meets a fold in progress can
	// wait tens of milliseconds. 14.4 bits an id.
	m := int(math.Ceil(-float64(capacity) * math.Log(0.001) / (math.Ln2 * math.Ln2)))
	return &bloom{bits: make([]uint64, (m+63)/64), k: 10, seed: maphash.MakeSeed(), cap: capacity}
}

func (b *bloom) hashes(id string) (uint64, uint64) {
	h := maphash.String(b.seed, id)
	return h, h>>33 | h<<31 | 1
}

func (b *bloom) add(id string) {
	h1, h2 := b.hashes(id)
	m := uint64(len(b.bits) * 64)
	for i := range uint64(b.k) {
		bit := (h1 + i*h2) % m
		b.bits[bit/64] |= 1 << (bit % 64)
	}
	b.n++
}

func (b *bloom) mayContain(id string) bool {
	h1, h2 := b.hashes(id)
	m := uint64(len(b.bits) * 64)
	for i := range uint64(b.k) {
		bit := (h1 + i*h2) % m
		if b.bits[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// full reports that the filter holds more ids than it was sized for, so
// its false positive rate has grown and it should be rebuilt larger.
func (b *bloom) full() bool { return b.n > b.cap }
