package inbound

// recentMax bounds the ids a Recent remembers.
const recentMax = 4096

// Recent remembers the ids of the events delivered lately, so a
// platform's retry of an event already committed is acknowledged
// without delivering it again. It forgets the oldest beyond 4096 ids.
// The zero value is ready; it is not safe for concurrent use (a
// receiver delivers one request at a time under its own lock).
type Recent struct {
	seen  map[string]bool
	order []string // oldest first
}

// Has reports whether id was added and not yet forgotten.
func (r *Recent) Has(id string) bool { return r.seen[id] }

// Add remembers id.
func (r *Recent) Add(id string) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[id] = true
	r.order = append(r.order, id)
	if len(r.order) > recentMax {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
}
