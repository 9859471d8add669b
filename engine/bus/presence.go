package bus

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Info is what a replica says about itself beside its heartbeat, read
// anew at each one: the configuration's fingerprint changes on reload.
type Info struct {
	Hash    string // the configuration's fingerprint
	Version string // hearth's version
	Address string // where its API listens
}

// Replica is one live replica as its last heartbeat describes it, for
// GET /v1/status.
type Replica struct {
	ID      string `json:"id"`
	Address string `json:"address,omitempty"`
	Hash    string `json:"hash,omitempty"`
	Version string `json:"version,omitempty"`
	// Partitions are those it held at its last heartbeat.
	Partitions []int     `json:"partitions"`
	Started    time.Time `json:"started_at,omitzero"`
	Seen       time.Time `json:"last_seen"`
	Self       bool      `json:"self,omitempty"`
}

// presence is a heartbeat's value in the replicas bucket. Replicas of
// hearth before it wrote only the time (RFC 3339); those are read as a
// replica that says nothing of its configuration.
type presence struct {
	Hash       string    `json:"hash,omitempty"`
	Version    string    `json:"version,omitempty"`
	Address    string    `json:"address,omitempty"`
	Started    time.Time `json:"started_at"`
	Partitions []int     `json:"partitions"`
	Seen       time.Time `json:"seen"`
}

func (b *Bus) heartbeat(ctx context.Context) error {
	p := presence{Started: b.started, Partitions: b.Owned(), Seen: time.Now().UTC()}
	if b.opt.Info != nil {
		info := b.opt.Info()
		p.Hash, p.Version, p.Address = info.Hash, info.Version, info.Address
	}
	if p.Partitions == nil {
		p.Partitions = []int{}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = b.members.Put(ctx, b.opt.Replica, data)
	return err
}

// readReplicas reads every live replica's heartbeat. One that expires
// between listing and reading is left out.
func (b *Bus) readReplicas(ctx context.Context, keys []string) ([]Replica, error) {
	out := make([]Replica, 0, len(keys))
	for _, k := range keys {
		e, err := b.members.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r := Replica{ID: k, Seen: e.Created(), Self: k == b.opt.Replica}
		var p presence
		if json.Unmarshal(e.Value(), &p) == nil {
			r.Address, r.Hash, r.Version, r.Partitions, r.Started = p.Address, p.Hash, p.Version, p.Partitions, p.Started
		}
		if r.Partitions == nil {
			r.Partitions = []int{}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// mismatch describes live replicas that run different configurations,
// as "id=hash" pairs in id order; "" when those that say agree.
// Replicas that do not say (older hearths) are left out.
func mismatch(rs []Replica) string {
	hashes := map[string]bool{}
	var pairs []string
	for _, r := range rs {
		if r.Hash == "" {
			continue
		}
		hashes[r.Hash] = true
		pairs = append(pairs, r.ID+"="+shortHash(r.Hash))
	}
	if len(hashes) < 2 {
		return ""
	}
	return strings.Join(pairs, ", ")
}

func shortHash(h string) string { return h[:min(12, len(h))] }

// noteReplicas keeps the replicas last read, and logs when their
// configurations start or stop differing: once per change, not at each
// heartbeat. During a rolling deploy they differ for a while, which is
// why this warns and does not stop anything. Agreement counts once it
// has held for a lease: a replica missing from one listing (a heartbeat
// late by a moment) would otherwise end a mismatch and start it again.
func (b *Bus) noteReplicas(rs []Replica) {
	m := mismatch(rs)
	b.mu.Lock()
	b.replicas, b.mismatch = rs, m
	warn, agreed := false, false
	switch {
	case m != "":
		b.agreeSince = time.Time{}
		warn = m != b.warned
		b.warned = m
	case b.warned == "":
	case b.agreeSince.IsZero():
		b.agreeSince = time.Now()
	case time.Since(b.agreeSince) >= b.opt.Lease:
		b.warned, agreed = "", true
	}
	b.mu.Unlock()
	if warn {
		b.log.Warn("bus: live replicas run different configurations; each applies events with its own, so a member's results depend on which replica owns their partition (normal for the length of a rolling deploy, a problem if it lasts)",
			"replicas", m)
	}
	if agreed {
		b.log.Info("bus: live replicas run the same configuration again")
	}
}

// Replicas lists the live replicas as their last heartbeats describe
// them, and whether their configurations differ.
func (b *Bus) Replicas() ([]Replica, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.replicas), b.mismatch != ""
}

// ReplicaStatus is Replicas for GET /v1/status.
func (b *Bus) ReplicaStatus() (any, bool) {
	rs, mismatched := b.Replicas()
	if rs == nil {
		rs = []Replica{}
	}
	return rs, mismatched
}

// ReplicaName is the name a replica goes by: name with the characters a
// bucket key cannot hold replaced, or host-pid-random when name is "".
func ReplicaName(name string) string {
	if name == "" {
		name = defaultReplica()
	}
	return keyChars.ReplaceAllString(name, "_")
}
