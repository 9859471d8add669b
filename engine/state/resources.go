package state

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Resource is one platform object hearth manages: which platform id a
// hearth address has, and the attributes hearth last applied to it.
// Plan matches live objects by ID, never by name, because platforms let
// names repeat.
type Resource struct {
	Address  string `json:"address"`
	Platform string `json:"platform"` // platform block address, platform.local.main
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	// Community is the platform id of the community holding the object,
	// empty for communities; deletes need it after the config has
	// forgotten the community.
	Community string            `json:"community,omitempty"`
	Attrs     map[string]string `json:"attrs"`
	// PreventDestroy is the block's prevent_destroy when last applied.
	// It is kept in state because a removed block can no longer say it.
	PreventDestroy bool `json:"prevent_destroy,omitempty"`
}

// LockInfo says who holds the apply lock.
type LockInfo struct {
	ID   string    `json:"id"`
	Who  string    `json:"who"`
	When time.Time `json:"when"`
}

// LockedError is returned by Lock when someone else holds the lock.
type LockedError struct {
	Holder LockInfo
	// Dir is the configuration directory the command was given, set by
	// the command, so the force-unlock it suggests works where it is
	// typed; "" and "." are left out.
	Dir string
}

func (e *LockedError) Error() string {
	unlock := e.Holder.ID
	if e.Dir != "" && e.Dir != "." {
		unlock += " " + e.Dir
	}
	return fmt.Sprintf("the state is locked by %s since %s (lock id %s); if that apply is no longer running, run hearth force-unlock %s",
		e.Holder.Who, e.Holder.When.UTC().Format(time.RFC3339), e.Holder.ID, unlock)
}

// ErrNotLocked is returned by Unlock for a lock id nobody holds.
var ErrNotLocked = errors.New("no lock with that id")

// memResources are the Memory store's resources, serial and lock.
type memResources struct {
	mu        sync.Mutex
	resources map[string]Resource
	serial    int64
	lock      *LockInfo
	// grants are the role assignments hearth made (RoleGrant); they
	// change no serial: the daemon writes them as it gives roles, and
	// a saved plan must not go stale for it.
	grants map[grantKey]RoleGrant
}

func cloneResource(r Resource) Resource {
	r.Attrs = maps.Clone(r.Attrs)
	return r
}

// Resources returns every resource, by address, and the serial.
func (s *Memory) Resources(ctx context.Context) ([]Resource, int64, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Resource, 0, len(m.resources))
	for _, a := range slices.Sorted(maps.Keys(m.resources)) {
		out = append(out, cloneResource(m.resources[a]))
	}
	return out, m.serial, nil
}

// PutResource inserts or replaces a resource and bumps the serial.
func (s *Memory) PutResource(ctx context.Context, r Resource) (int64, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resources == nil {
		m.resources = map[string]Resource{}
	}
	m.resources[r.Address] = cloneResource(r)
	m.serial++
	return m.serial, nil
}

// DeleteResource forgets an address and bumps the serial.
func (s *Memory) DeleteResource(ctx context.Context, address string) (int64, error) {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.resources, address)
	m.serial++
	return m.serial, nil
}

// Lock takes the apply lock or fails with *LockedError.
func (s *Memory) Lock(ctx context.Context, info LockInfo) error {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lock != nil {
		return &LockedError{Holder: *m.lock}
	}
	m.lock = &info
	return nil
}

// Unlock releases the lock with that id, or fails with ErrNotLocked.
func (s *Memory) Unlock(ctx context.Context, id string) error {
	m := &s.res
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lock == nil || m.lock.ID != id {
		return fmt.Errorf("%w: %q", ErrNotLocked, id)
	}
	m.lock = nil
	return nil
}
