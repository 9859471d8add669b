package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// store is the platform file with its lock. Every operation takes the
// lock, reads the file (or reuses the copy it read last, when the file
// has not changed), and an operation that changes something writes the
// whole file anew before letting go of the lock. So several processes —
// a daemon, a CLI apply, a test posting events — share one platform and
// always see each other's changes.
//
// The lock is flock(2) on a separate file, PATH.lock: the data file is
// replaced by rename on every write, and a lock on the old inode would
// not exclude a process that opened the new one. flock locks belong to
// an open file description, so two Conns in one process exclude each
// other just like two processes.
//
// The lock file also holds a write counter, bumped by every writer. A
// reader reuses its decoded copy only when the counter and the file's
// identity (inode, size, modification time) are those it read: the
// counter alone would miss a hand edit, the identity alone can repeat
// (an inode number reused within one coarse timestamp tick).
type store struct {
	path string
	lock *os.File // nil for a read-only store without a lock file

	// empty is set on a read-only store only, which refuses changes:
	// it is what the store reads while there is no file, so a plan of a
	// platform never applied to sees an empty one and creates nothing.
	empty *db

	cache    *db
	cacheKey fileKey

	// beforeRename, when set (by tests), runs between writing the
	// temporary file and renaming it over the real one, the moment a
	// crash must not damage anything; an error it returns fails the save
	// as a failed rename would.
	beforeRename func() error
}

type fileKey struct {
	gen            uint64
	dev, ino       uint64
	size, mtimeNsc int64
}

func openStore(path string) (*store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &store{path: path, lock: lf}, nil
}

// openReadOnly opens the platform file at path to read only: it creates
// neither the file, nor its directory, nor the lock file. Without a lock
// file reads take no lock, which is safe because writers replace the
// file by rename: a read sees the old file or the new one, whole.
func openReadOnly(path string, ws Workspace) (*store, error) {
	s := &store{path: path, empty: newDB(ws)}
	lf, err := os.Open(path + ".lock")
	switch {
	case err == nil:
		s.lock = lf
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return s, nil
}

// ErrReadOnly is returned by changes through a Conn opened read-only
// (platform.OpenRequest.ReadOnly).
var ErrReadOnly = errors.New("the local platform was opened read-only (for a plan), so it cannot be changed through this connection")

func (s *store) close() error {
	if s.lock == nil {
		return nil
	}
	return s.lock.Close()
}

// flock takes the lock, waiting until ctx ends. It polls with LOCK_NB
// instead of blocking in the kernel, because a blocked flock cannot be
// cancelled and a plan must stop on Ctrl-C even while an apply elsewhere
// holds the platform.
func (s *store) flock(ctx context.Context, how int) error {
	if s.lock == nil {
		return nil
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(s.lock.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return fmt.Errorf("locking %s: %w", s.lock.Name(), err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the lock on %s (another hearth is using the local platform): %w", s.path, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 50*time.Millisecond)
	}
}

func (s *store) unlock() {
	if s.lock == nil {
		return
	}
	// Closing the file at the end would unlock too; an error here leaves
	// the lock held only until then.
	_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
}

// view runs fn on the platform under a shared lock; fn must not change
// the db.
func (s *store) view(ctx context.Context, fn func(*db) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.flock(ctx, syscall.LOCK_SH); err != nil {
		return err
	}
	defer s.unlock()
	d, err := s.load()
	if err != nil {
		return err
	}
	return fn(d)
}

// update runs fn under the exclusive lock and saves the platform when fn
// reports a change. fn works on the cached db in place; when anything
// fails the cache is dropped, so a half-made change is never seen: the
// next operation reads the file, which still holds the last good state.
func (s *store) update(ctx context.Context, fn func(*db) (bool, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.empty != nil {
		return platform.Permanent(ErrReadOnly)
	}
	if err := s.flock(ctx, syscall.LOCK_EX); err != nil {
		return err
	}
	defer s.unlock()
	d, err := s.load()
	if err != nil {
		return err
	}
	changed, err := fn(d)
	if err != nil {
		s.cache = nil
		return err
	}
	if !changed {
		return nil
	}
	d.changed()
	if err := s.save(d); err != nil {
		s.cache = nil
		return err
	}
	return nil
}

// create writes a new, empty platform unless the file exists; under the
// exclusive lock, so two processes starting at once make one workspace.
// An existing workspace takes ws's name, since the platform block's
// settings say what it is called. create also removes temporary files a
// crashed writer left behind, which is safe because writers only make
// them while holding the lock.
func (s *store) create(ctx context.Context, ws Workspace) (created bool, err error) {
	if err := s.flock(ctx, syscall.LOCK_EX); err != nil {
		return false, err
	}
	defer s.unlock()
	if stale, _ := filepath.Glob(s.path + ".tmp-*"); len(stale) > 0 {
		for _, p := range stale {
			_ = os.Remove(p)
		}
	}
	if _, err := os.Stat(s.path); err == nil {
		d, err := s.load()
		if err != nil || d.ws.Name == ws.Name {
			return false, err
		}
		d.ws.Name = ws.Name
		if err := s.save(d); err != nil {
			s.cache = nil
			return false, err
		}
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, s.save(newDB(ws))
}

// load returns the platform as the file holds it now, from the cache
// when the file has not changed. The lock is held.
func (s *store) load() (*db, error) {
	key, err := s.key()
	if s.empty != nil && errors.Is(err, fs.ErrNotExist) {
		return s.empty, nil
	}
	if err != nil {
		return nil, err
	}
	if s.cache != nil && key == s.cacheKey {
		return s.cache, nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, s.missing(err)
	}
	d, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	s.cache, s.cacheKey = d, key
	return d, nil
}

func (s *store) missing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the local platform file %s has disappeared (deleted while hearth was using it?); open the platform again to start an empty one: %w", s.path, err)
	}
	return err
}

func (s *store) key() (fileKey, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fileKey{}, s.missing(err)
	}
	k := fileKey{gen: s.gen(), size: fi.Size(), mtimeNsc: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.dev, k.ino = uint64(st.Dev), st.Ino
	}
	return k, nil
}

// gen reads the write counter; a short or unreadable lock file counts as
// zero, which only costs a reread.
func (s *store) gen() uint64 {
	if s.lock == nil {
		return 0
	}
	var b [8]byte
	if n, _ := s.lock.ReadAt(b[:], 0); n < 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(b[:])
}

// decode parses and checks a platform file, with positions in errors.
func decode(data []byte) (*db, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, corrupt("the file is empty")
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(data, se.Offset)
			return nil, corrupt("not valid JSON at line %d, column %d: %v", line, col, se)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			line, col := position(data, te.Offset)
			return nil, corrupt("at line %d, column %d: %s must be %s, not %s", line, col, te.Field, te.Type, te.Value)
		}
		return nil, corrupt("%v", err)
	}
	return load(&f)
}

// position turns a json error offset — the count of bytes read, the
// offending one included — into the 1-based line and column of that byte.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off-1, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// save writes the platform atomically: a temporary file in the same
// directory, synced, then renamed over the old one, then the directory
// synced. A crash at any point leaves either the old file or the new
// one, never a mix. The lock is held.
func (s *store) save(d *db) error {
	data, err := json.MarshalIndent(d.file(), "", " ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Bump the counter before the rename: a crash in between makes
	// readers reread an unchanged file, the harmless direction.
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.gen()+1)
	if _, err := s.lock.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("bumping the write counter in %s: %w", s.lock.Name(), err)
	}
	if s.beforeRename != nil {
		if err := s.beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	if df, err := os.Open(dir); err == nil {
		// Without this the rename itself may not survive a power cut.
		_ = df.Sync()
		df.Close()
	}
	key, err := s.key()
	if err != nil {
		return err
	}
	s.cache, s.cacheKey = d, key
	return nil
}

// readFile decodes the file afresh, for Snapshot: a copy callers may
// keep, sharing nothing with the cache.
func (s *store) readFile(ctx context.Context) (*File, error) {
	var f *File
	err := s.view(ctx, func(*db) error {
		data, err := os.ReadFile(s.path)
		if s.empty != nil && errors.Is(err, fs.ErrNotExist) {
			f = s.empty.file()
			return nil
		}
		if err != nil {
			return s.missing(err)
		}
		d, err := decode(data)
		if err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		f = d.file()
		return nil
	})
	return f, err
}
