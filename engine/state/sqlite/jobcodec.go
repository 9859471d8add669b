package sqlite

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// A job's journal record holds what writeJob writes, nothing more: event
// ids with their times (and, from version 2, their content digests),
// member documents with their recheck times, community documents,
// outcomes, outbox actions (from version 3, with when each was queued)
// and tally changes.

// Record versions: 1 and 2 were written before queue times were kept,
// without and with digests; 3 and 4 are the same with each action's
// queue time after its document. A record of 1 or 2 read back gives its
// actions their own time as their queue time, as the migration that
// added queued_at gave the rows before it.
const (
	jobVersion                 = 1
	jobVersionDigests          = 2
	jobVersionQueued           = 3
	jobVersionQueuedAndDigests = 4
)

func appendJob(b []byte, j *job) []byte {
	v := byte(jobVersionQueued)
	if j.digest != nil {
		v = jobVersionQueuedAndDigests
	}
	e := jobEncoder{b: append(b, v)}
	e.uint(uint64(len(j.ids)))
	for i, id := range j.ids {
		e.str(id)
		e.int(j.at[i])
		if j.digest != nil {
			e.uint(j.digest[i])
		}
	}
	e.uint(uint64(len(j.mids)))
	for i, id := range j.mids {
		e.str(id)
		e.bytes(j.docs[i])
		e.int(j.recheck[i])
	}
	e.uint(uint64(len(j.cnames)))
	for i, name := range j.cnames {
		e.str(name)
		e.bytes(j.cdocs[i])
	}
	e.uint(uint64(len(j.outcomes)))
	for _, o := range j.outcomes {
		for _, s := range []string{o.Kind, o.Member, o.Name, o.Change, o.Rule, o.Event, o.From, o.To, o.Detail} {
			e.str(s)
		}
		e.int(o.At.UnixNano())
		e.int(int64(o.Points))
	}
	e.uint(uint64(len(j.adocs)))
	for i, d := range j.adocs {
		e.bytes(d)
		e.int(j.queued[i])
	}
	e.uint(uint64(len(j.tallies)))
	for i, k := range j.tallies {
		e.str(k)
		e.int(j.tallyN[i])
	}
	return e.b
}

var errJobShort = errors.New("journal record: truncated")

// decodeJob reads a record written by appendJob. It never panics on bad
// input: the journal is read back after crashes.
func decodeJob(data []byte) (*job, error) {
	if len(data) == 0 || data[0] < jobVersion || data[0] > jobVersionQueuedAndDigests {
		return nil, fmt.Errorf("journal record: unknown version")
	}
	digests := data[0] == jobVersionDigests || data[0] == jobVersionQueuedAndDigests
	queued := data[0] >= jobVersionQueued
	d := jobDecoder{b: data[1:]}
	// Identity claims are not journaled: writeJob takes them from the
	// member documents of a job read back.
	j := &job{readBack: true}
	for range d.count() {
		j.ids = append(j.ids, d.str())
		j.at = append(j.at, d.int())
		if digests {
			j.digest = append(j.digest, d.uint())
		}
	}
	for range d.count() {
		j.mids = append(j.mids, d.str())
		j.docs = append(j.docs, d.bytes())
		j.recheck = append(j.recheck, d.int())
	}
	for range d.count() {
		j.cnames = append(j.cnames, d.str())
		j.cdocs = append(j.cdocs, d.bytes())
	}
	for range d.count() {
		var o state.Outcome
		for _, s := range []*string{&o.Kind, &o.Member, &o.Name, &o.Change, &o.Rule, &o.Event, &o.From, &o.To, &o.Detail} {
			*s = d.str()
		}
		o.At = time.Unix(0, d.int()).UTC()
		o.Points = int(d.int())
		j.outcomes = append(j.outcomes, o)
	}
	for range d.count() {
		data := d.bytes()
		var at int64
		if queued {
			at = d.int()
		}
		if d.err != nil {
			break
		}
		var a state.Action
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("journal record: action: %w", err)
		}
		if !queued {
			at = a.At.UnixNano()
		}
		j.actions, j.adocs, j.queued = append(j.actions, a), append(j.adocs, data), append(j.queued, at)
	}
	for range d.count() {
		j.tallies = append(j.tallies, d.str())
		j.tallyN = append(j.tallyN, d.int())
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail(fmt.Errorf("journal record: %d bytes after the end", len(d.b)))
	}
	if d.err != nil {
		return nil, d.err
	}
	return j, nil
}

type jobEncoder struct{ b []byte }

func (e *jobEncoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *jobEncoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *jobEncoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *jobEncoder) bytes(p []byte) {
	e.uint(uint64(len(p)))
	e.b = append(e.b, p...)
}

// jobDecoder keeps the first error; reads after it return zero values.
type jobDecoder struct {
	b   []byte
	err error
}

func (d *jobDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *jobDecoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errJobShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *jobDecoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errJobShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length, which cannot be more than the bytes left: every
// entry takes at least one.
func (d *jobDecoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail(errJobShort)
		return 0
	}
	return int(n)
}

func (d *jobDecoder) bytes() []byte {
	n := d.count()
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *jobDecoder) str() string { return string(d.bytes()) }
