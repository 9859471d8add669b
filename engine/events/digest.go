package events

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Digest is a stable 64-bit hash of what an event says: its type,
// member id, time, community and attributes. Two events with one id and
// different digests are different events, which a sender reusing ids
// sends by mistake; the same event sent again has the same digest.
// The member's name and identities are left out: a retry may tell them
// more fully. Source is left out too: it says how the event came.
//
// Stores keep digests beside event ids, so the hash must never change:
// it is XXH64 of a canonical JSON form (canonicalDigestForm), with
// object keys in byte order, numbers by their value (1, 1.0 and 1e0 are
// one number), and the time in UTC nanoseconds. 0 is never a digest: it
// stands for unknown.
func Digest(ev *Event) uint64 {
	var d Digester
	return d.Digest(ev)
}

// Digester computes digests reusing one buffer, for many events in a
// row; the zero value is ready. It is not safe for concurrent use.
type Digester struct {
	buf  []byte
	keys []string
}

// Digest is the package's Digest.
func (d *Digester) Digest(ev *Event) uint64 {
	d.buf = d.canonical(d.buf[:0], ev)
	h := xxhash.Sum64(d.buf)
	if h == 0 {
		return 1
	}
	return h
}

// canonical appends the form Digest hashes:
//
//	{"type":T,"member":M,"at":NANOS,"community":C,"attrs":{...}}
//
// with every field present, absent attributes written as {}, as an
// event without attributes and one with "attrs": {} say the same.
func (d *Digester) canonical(b []byte, ev *Event) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, ev.Type)
	b = append(b, `,"member":`...)
	b = appendJSONString(b, ev.Member.ID)
	b = append(b, `,"at":`...)
	b = appendNanos(b, ev.At)
	b = append(b, `,"community":`...)
	b = appendJSONString(b, ev.Community)
	b = append(b, `,"attrs":`...)
	b = d.appendObject(b, ev.Attrs, 0)
	return append(b, '}')
}

// appendNanos writes t as nanoseconds since 1970 UTC, a decimal integer
// for any year (UnixNano overflows after 2262).
func appendNanos(b []byte, t time.Time) []byte {
	sec, ns := t.Unix(), int64(t.Nanosecond())
	if sec < 0 { // -1.5 s is Unix -2 and 500 ms: written -1500000000
		b = append(b, '-')
		sec, ns = -sec, -ns
		if ns < 0 {
			sec, ns = sec-1, ns+1e9
		}
	}
	if sec == 0 {
		return strconv.AppendInt(b, ns, 10)
	}
	b = strconv.AppendInt(b, sec, 10)
	for p := int64(1e8); p > ns && p > 1; p /= 10 { // nine digits
		b = append(b, '0')
	}
	return strconv.AppendInt(b, ns, 10)
}

// maxDigestDepth bounds nesting: an event read from JSON has at most
// MaxDepth levels, and deeper values built in Go are cut off here
// rather than recursed into without end.
const maxDigestDepth = 32

func (d *Digester) appendObject(b []byte, m map[string]any, depth int) []byte {
	b = append(b, '{')
	if len(m) == 0 {
		return append(b, '}')
	}
	// The keys of all levels share one slice: each level sorts its own
	// tail of it.
	start := len(d.keys)
	for k := range m {
		d.keys = append(d.keys, k)
	}
	slices.Sort(d.keys[start:])
	for i := start; i < start+len(m); i++ {
		if i > start {
			b = append(b, ',')
		}
		k := d.keys[i]
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = d.appendValue(b, m[k], depth+1)
	}
	d.keys = d.keys[:start]
	return append(b, '}')
}

func (d *Digester) appendValue(b []byte, v any, depth int) []byte {
	if depth > maxDigestDepth {
		return append(b, `"…"`...)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		if x > math.MaxInt64 {
			return appendNumber(b, float64(x))
		}
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendNumber(b, x)
	case float32:
		return appendNumber(b, float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.AppendInt(b, i, 10)
		}
		if f, err := x.Float64(); err == nil {
			return appendNumber(b, f)
		}
		return appendJSONString(b, x.String())
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = d.appendValue(b, e, depth+1)
		}
		return append(b, ']')
	case map[string]any:
		return d.appendObject(b, x, depth)
	}
	// A value built in Go of another type (a []string, a struct): as
	// JSON would carry it, read back the way events are.
	data, err := json.Marshal(v)
	if err != nil {
		return append(b, `"?"`...)
	}
	var back any
	if json.Unmarshal(data, &back) != nil {
		return append(b, `"?"`...)
	}
	return d.appendValue(b, back, depth)
}

// appendNumber writes a float by its value: a whole one that an int64
// holds exactly as that integer (so 1.0 is 1, and -0 is 0), any other
// in the shortest form that reads back as the same float.
func appendNumber(b []byte, f float64) []byte {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) { // not JSON: never from a body
		return strconv.AppendQuote(b, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONString writes s as a JSON string, escaping only what JSON
// requires: a quote, a backslash and control characters. Other bytes
// are kept as they are, so each string has one form.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
