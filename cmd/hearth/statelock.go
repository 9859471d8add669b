package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// A SQLite state is written by one process at a time: hearth run keeps
// the members it works on in memory between batches, so anything written
// behind its back (by a second daemon, or a command writing the file
// directly) is overwritten by its next batch, with the events' ids
// already marked seen. The writer holds an exclusive flock on
// state.db.lock for as long as it runs; the kernel lets it go when the
// process ends, however it ends (a crash, a kill -9), so no stale lock
// is ever left to clean up. The file itself stays; it says who holds the
// lock, for the message the next one gets. PostgreSQL needs none of
// this: replicas share it by design, and member versions make competing
// writes conflict and retry.

// lockHolder is what the lock file says about the process holding it.
type lockHolder struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
}

// stateLock is a held lock; the zero value (a store that needs none)
// releases nothing.
type stateLock struct {
	f *os.File
}

// stateBusyError says another process holds the lock: a daemon (with
// its address when it announced one) or a command writing the state.
type stateBusyError struct {
	Path   string       // the database
	Holder lockHolder   // zero when the lock file does not say
	Daemon announcement // zero unless a daemon announced itself
}

func (e *stateBusyError) Error() string {
	switch {
	case e.Daemon.URL != "":
		return fmt.Sprintf("hearth run (pid %d, %s) serves the state %s", e.Daemon.PID, e.Daemon.URL, e.Path)
	case e.Holder.PID > 0 && e.Holder.Command != "":
		return fmt.Sprintf("%s (pid %d) is using the state %s", e.Holder.Command, e.Holder.PID, e.Path)
	}
	return fmt.Sprintf("another process holds the lock on the state %s (%s)", e.Path, lockPath(e.Path))
}

// daemon reports whether the holder is a daemon whose API can be used.
func (e *stateBusyError) daemon() bool { return e.Daemon.URL != "" }

func lockPath(db string) string { return db + ".lock" }

// lockState takes cfg's SQLite state for this process, named command in
// the lock file, or returns a *stateBusyError saying who has it. Stores
// that are not a SQLite file need no lock.
func lockState(cfg *config.Config, command string) (*stateLock, error) {
	if cfg.Settings.State.Backend != "sqlite" || cfg.Settings.State.Path == "" {
		return &stateLock{}, nil
	}
	db := cfg.Settings.State.Path
	if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(lockPath(db), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the state: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, busyError(cfg)
		}
		return nil, fmt.Errorf("locking the state: %s: %w", lockPath(db), err)
	}
	// Say who holds it. Failing to is no reason not to run: the lock is
	// the flock, the content only makes the next message clearer.
	data, _ := json.Marshal(lockHolder{PID: os.Getpid(), Command: command})
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt(data, 0)
	}
	return &stateLock{f: f}, nil
}

// busyError says who holds cfg's state: the lock file names the
// process, and a daemon's announcement its address.
func busyError(cfg *config.Config) *stateBusyError {
	db := cfg.Settings.State.Path
	e := &stateBusyError{Path: db}
	if data, err := os.ReadFile(lockPath(db)); err == nil {
		_ = json.Unmarshal(data, &e.Holder)
	}
	if a, ok := readAnnouncement(cfg); ok && (e.Holder.PID == 0 || e.Holder.PID == a.PID) {
		e.Daemon = a
	}
	return e
}

// release lets the lock go (the process ending does too).
func (l *stateLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = l.f.Close()
	l.f = nil
}

// lockForWrite takes cfg's state for command name, which writes it
// directly. When a daemon serves the state, it returns that daemon's
// announcement and a nil lock instead, for the command to go through
// its API or to refuse; when another command holds the state, it says
// so and ok is false.
func lockForWrite(s *stdio, cfg *config.Config, name string) (lock *stateLock, daemon announcement, ok bool) {
	lock, err := lockState(cfg, "hearth "+name)
	var busy *stateBusyError
	switch {
	case err == nil:
		return lock, announcement{}, true
	case errors.As(err, &busy) && busy.daemon():
		return nil, busy.Daemon, true
	case errors.As(err, &busy):
		fmt.Fprintf(s.err, "hearth %s: %v; run this again once it is done.\n", name, err)
	default:
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
	}
	return nil, announcement{}, false
}

// processRuns reports whether a process with pid runs on this host. A
// process of another user counts (the kernel refuses the signal, but
// knows the pid).
func processRuns(pid int) (bool, error) {
	switch err := unix.Kill(pid, 0); {
	case err == nil, errors.Is(err, unix.EPERM):
		return true, nil
	case errors.Is(err, unix.ESRCH):
		return false, nil
	default:
		return false, err
	}
}

// holderStatus is what can be told about the process holding the apply
// lock h from host: only a pid recorded on this very host can be looked
// at. A pid the kernel knows may have gone to another process since, so
// a running one is taken at its word; one it does not know ended, and
// left the lock behind.
func holderStatus(h state.LockInfo, host string, runs func(pid int) (bool, error)) state.HolderStatus {
	switch {
	case h.PID <= 0 || h.Host() == "":
		return state.HolderUnchecked
	case h.Host() != host || host == unknownHost:
		return state.HolderElsewhere
	}
	alive, err := runs(h.PID)
	switch {
	case err != nil:
		return state.HolderUnchecked
	case alive:
		return state.HolderRunning
	}
	return state.HolderGone
}

// unlockRisk is what force-unlock says, before asking, about removing
// the lock h whose holder is in the state st.
func unlockRisk(h state.LockInfo, st state.HolderStatus) string {
	switch st {
	case state.HolderGone:
		return fmt.Sprintf("Its process (pid %d) is no longer running on this host: the lock is stale, left by an apply that was killed.", h.PID)
	case state.HolderRunning:
		return fmt.Sprintf("Its process (pid %d) is still running on this host: removing the lock while that apply runs lets another apply change the same objects.", h.PID)
	case state.HolderElsewhere:
		return fmt.Sprintf("It was taken on %s, which cannot be checked from here: removing the lock while that apply runs lets another apply change the same objects.", h.Host())
	}
	return "Removing the lock while that apply runs lets another apply change the same objects."
}
