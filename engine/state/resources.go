package state

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	Who  string    `json:"who"` // user@host
	When time.Time `json:"when"`
	// PID is the holding process's id on the host Who names, so the
	// next command there can tell a lock left by a killed apply; 0 when
	// not recorded (a lock taken by an earlier hearth, or PostgreSQL's,
	// which ends with its holder's session anyway).
	PID int `json:"pid,omitempty"`
}

// Host is the host part of Who ("" when Who names none).
func (l LockInfo) Host() string {
	if i := strings.LastIndexByte(l.Who, '@'); i >= 0 {
		return l.Who[i+1:]
	}
	return ""
}

// HolderStatus is what the command that met a lock found out about the
// process holding it. Only a pid on the command's own host can be
// looked at, so anything else stays unchecked rather than guessed.
type HolderStatus int

const (
	// HolderUnchecked: no pid was recorded with the lock.
	HolderUnchecked HolderStatus = iota
	// HolderRunning: a process with the holder's pid runs on this host.
	HolderRunning
	// HolderGone: no process has the holder's pid on this host, so the
	// lock is stale, left by a process that ended without releasing it.
	HolderGone
	// HolderElsewhere: the holder ran on another host, which this one
	// cannot look at.
	HolderElsewhere
	// HolderSession: the lock is a database session's (PostgreSQL's
	// advisory lock), which the store found alive: such a lock ends
	// with its session, so it is never stale.
	HolderSession
)

// LockedError is returned by Lock when someone else holds the lock.
type LockedError struct {
	Holder LockInfo
	// Dir is the configuration directory the command was given, set by
	// the command, so the force-unlock it suggests works where it is
	// typed; "" and "." are left out.
	Dir string
	// Status is what the command found out about the holder's process
	// (set by the command: the store cannot look at processes).
	Status HolderStatus
	// Session is, with HolderSession, the database session's process id
	// (pg_backend_pid), 0 when not recorded.
	Session int
}

// Unlock is the force-unlock command that removes this lock, as typed
// from where the command that met it ran (DIR quoted for a shell when
// it needs to be).
func (e *LockedError) Unlock() string {
	cmd := "hearth force-unlock " + e.Holder.ID
	if e.Dir != "" && e.Dir != "." {
		cmd += " " + ShellWord(e.Dir)
	}
	return cmd
}

func (e *LockedError) Error() string {
	h := e.Holder
	since := fmt.Sprintf("the state is locked by %s since %s (lock id %s", h.Who, h.When.UTC().Format(time.RFC3339), h.ID)
	switch {
	case e.Status == HolderSession:
		session := "its database session"
		if e.Session > 0 {
			session = fmt.Sprintf("its database session (backend pid %d)", e.Session)
		}
		return fmt.Sprintf("%s), and %s is alive: a PostgreSQL lock ends with its session, so it is never left behind; wait for that apply to finish (-lock-timeout waits), or, if it hangs, stop it or run %s, which ends the session",
			since, session, e.Unlock())
	case e.Status == HolderGone:
		return fmt.Sprintf("%s), but its process (pid %d) is no longer running on this host: the lock is stale, left by a command that was killed; remove it with %s",
			since, h.PID, e.Unlock())
	case e.Status == HolderRunning:
		return fmt.Sprintf("%s, pid %d, still running on this host); wait for it to finish, or, if it hangs, stop it and run %s",
			since, h.PID, e.Unlock())
	case e.Status == HolderElsewhere && h.PID > 0:
		return fmt.Sprintf("%s, pid %d on %s, which cannot be checked from here); if that command is no longer running there, run %s",
			since, h.PID, h.Host(), e.Unlock())
	}
	return fmt.Sprintf("%s); if that apply is no longer running, run %s", since, e.Unlock())
}

// ShellWord quotes s for a POSIX shell when it holds anything but
// characters that stand for themselves there, for the commands that
// messages tell people to run.
func ShellWord(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
