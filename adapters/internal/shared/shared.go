// Package shared keeps what the Conns of one adapter share per account
// (a bot's key ledger and quota, an application's access token), so two
// platform blocks on one account, or a block opened again, use one
// record, as the platform itself counts one account.
package shared

import "sync"

// Map holds one *V per key, made on first use. The zero value is ready;
// it is safe for concurrent use.
type Map[V any] struct {
	mu sync.Mutex
	m  map[string]*V
}

// Get returns key's value, made by mk the first time (a zero V when mk
// is nil).
func (m *Map[V]) Get(key string, mk func() *V) *V {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v := m.m[key]; v != nil {
		return v
	}
	if m.m == nil {
		m.m = map[string]*V{}
	}
	var v *V
	if mk != nil {
		v = mk()
	} else {
		v = new(V)
	}
	m.m[key] = v
	return v
}
