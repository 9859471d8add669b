package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Undoing a restore. Restore moves the state it replaces into a folder
// next to it, state.db.before-restore-TIME; Undo puts the newest such
// folder's files back, first moving the state there now into a folder
// of its own the same way, so an undo is undone by undoing again. The
// files are put back as they were: nothing folds their journal or
// migrates them until a store opens them.

// asideInfix is what names a folder of replaced state: the state's file
// name, this, and the time it was made.
const asideInfix = ".before-restore-"

// asideTime is the layout of the time in an aside folder's name.
const asideTime = "20060102T150405Z"

// Aside is a folder a restore (or an undo) moved a replaced state into.
type Aside struct {
	Path string
	// At is when it was made, read from its name.
	At time.Time
	// n is the number after the time when a restore the same second
	// made a folder already: 1 for none.
	n int
}

// Asides lists the folders of replaced state next to the state at db,
// newest first. A folder renamed by hand out of the pattern is not one.
func Asides(db string) ([]Aside, error) {
	dir, base := filepath.Split(db)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Aside
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), base+asideInfix)
		if !ok || !e.IsDir() {
			continue
		}
		stamp, num, numbered := strings.Cut(rest, "-")
		at, err := time.Parse(asideTime, stamp)
		if err != nil {
			continue
		}
		n := 1
		if numbered {
			if n, err = strconv.Atoi(num); err != nil || n < 2 {
				continue
			}
		}
		out = append(out, Aside{Path: filepath.Join(dir, e.Name()), At: at, n: n})
	}
	slices.SortFunc(out, func(a, b Aside) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return b.n - a.n
	})
	return out, nil
}

// asideName is the time a new aside folder is named after: now, or the
// newest folder's time when the clock reads earlier (set back since),
// so the folder made last is always the newest one Asides gives.
func asideName(db string, now time.Time) time.Time {
	now = now.UTC().Truncate(time.Second)
	if asides, err := Asides(db); err == nil && len(asides) > 0 && asides[0].At.After(now) {
		return asides[0].At
	}
	return now
}

// stateNames are the file names a state at db is made of, as StateFiles
// lists them.
func stateNames(db string) []string {
	j := journalPaths(db)
	base := filepath.Base(db)
	return []string{base, base + "-wal", base + "-shm", base + "-journal", filepath.Base(j[0]), filepath.Base(j[1])}
}

// AsideFiles lists the state files in the aside folder of the state at
// db, in StateFiles order. It refuses a folder holding anything else
// (an undo would put it next to the state) or no database.
func AsideFiles(db, folder string) ([]string, error) {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil, err
	}
	names := stateNames(db)
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !slices.Contains(names, e.Name()) {
			return nil, fmt.Errorf("%s holds %s, which is not a file of the state: move it out of the folder and undo again, or put back by hand what you want of it", folder, e.Name())
		}
		out = append(out, filepath.Join(folder, e.Name()))
	}
	if !slices.Contains(out, filepath.Join(folder, names[0])) {
		return nil, fmt.Errorf("%s holds no %s, so no state to put back", folder, names[0])
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(names, filepath.Base(a)) - slices.Index(names, filepath.Base(b))
	})
	return out, nil
}

// StaleCopies lists the hidden copies of a backup that a restore
// stopped part way (killed, or the machine down) left next to the state
// at db: a restore makes its copy there and renames it into place, or
// removes it when it fails.
func StaleCopies(db string) ([]string, error) {
	dir, base := filepath.Split(db)
	if dir == "" {
		dir = "."
	}
	return filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".restore-*.tmp"))
}

// globEscape quotes what filepath.Match reads as a pattern in a name.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Stale is a stale copy removed.
type Stale struct {
	Name  string
	Bytes int64
}

// removeStale removes the stale copies next to db. The caller holds the
// state lock, which every restore takes before it makes a copy, and the
// open lock exclusively: no copy there belongs to a restore under way.
func removeStale(db string) ([]Stale, error) {
	paths, err := StaleCopies(db)
	if err != nil {
		return nil, err
	}
	var out []Stale
	for _, p := range paths {
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return out, fmt.Errorf("removing %s, left by a restore stopped part way: %w", p, err)
		}
		out = append(out, Stale{Name: filepath.Base(p), Bytes: st.Size()})
	}
	return out, nil
}

// Undone says what Undo did.
type Undone struct {
	// From is the folder whose files were put back, and Back their
	// names; the emptied folder is removed.
	From string
	Back []string
	// Aside is the folder the replaced state was moved into, and Moved
	// its files' names; both empty when there was no state.
	Aside string
	Moved []string
	// Stale are the copies a restore stopped part way had left,
	// removed.
	Stale []Stale
	// Info is what the state put back holds; Unreadable says why it
	// could not be read instead (a damaged state is put back as it was,
	// since it may be what the restore replaced).
	Info       Info
	Unreadable error
}

// Undo puts the files of folder, one of Asides(db), back in place of
// the state at db, which no process may have open (as Restore: the
// caller holds the state lock; stores open elsewhere are waited for a
// few seconds, then ErrInUse). The state there now is first moved into
// a new aside folder named after now, so undoing again puts it back.
// Nothing is deleted but the emptied folder and stale copies a restore
// stopped part way left (Undone.Stale); if a move fails, every file
// moved goes back where it was.
func Undo(ctx context.Context, folder, db string, now time.Time) (Undone, error) {
	return undo(ctx, folder, db, now, restoreWaitForOpen)
}

func undo(ctx context.Context, folder, db string, now time.Time, wait time.Duration) (res Undone, err error) {
	release, err := holdForSwap(ctx, db, wait)
	if err != nil {
		return res, err
	}
	defer release()
	dir, base := filepath.Split(db)
	if dir == "" {
		dir = "."
	}
	back, err := AsideFiles(db, folder)
	if err != nil {
		return res, err
	}
	old, err := StateFiles(db)
	if err != nil {
		return res, err
	}
	if res.Stale, err = removeStale(db); err != nil {
		return res, err
	}
	res.From = folder

	// From here the state changes: the steps finish or are undone.
	if len(old) > 0 {
		if res.Aside, err = asideFolder(dir, base, asideName(db, now)); err != nil {
			return res, err
		}
	}
	var moved, returned []string
	rollback := func(cause error) (Undone, error) {
		var failed []string
		for _, p := range returned {
			if err := os.Rename(filepath.Join(dir, filepath.Base(p)), p); err != nil {
				failed = append(failed, filepath.Base(p)+" (into "+folder+")")
			}
		}
		for _, p := range moved {
			if err := os.Rename(filepath.Join(res.Aside, filepath.Base(p)), p); err != nil {
				failed = append(failed, filepath.Base(p)+" (from "+res.Aside+")")
			}
		}
		if len(failed) > 0 {
			return Undone{}, fmt.Errorf("%w; putting the files back failed too: move %s by hand", cause, strings.Join(failed, ", "))
		}
		if res.Aside != "" {
			os.Remove(res.Aside)
		}
		syncDir(dir)
		return Undone{}, fmt.Errorf("%w; every file is where it was", cause)
	}
	for _, p := range old {
		if err := os.Rename(p, filepath.Join(res.Aside, filepath.Base(p))); err != nil {
			return rollback(fmt.Errorf("moving %s aside: %w", filepath.Base(p), err))
		}
		moved = append(moved, p)
		res.Moved = append(res.Moved, filepath.Base(p))
	}
	if res.Aside != "" {
		if err := syncDir(res.Aside); err != nil {
			return rollback(err)
		}
	}
	for _, p := range back {
		if err := os.Rename(p, filepath.Join(dir, filepath.Base(p))); err != nil {
			return rollback(fmt.Errorf("putting %s back: %w", filepath.Base(p), err))
		}
		returned = append(returned, p)
		res.Back = append(res.Back, filepath.Base(p))
	}
	if err := syncDir(dir); err != nil {
		return rollback(err)
	}
	// Emptied, it has done its work; should a file have come in
	// meanwhile, it stays with that file.
	_ = os.Remove(folder)
	res.Info, res.Unreadable = Describe(ctx, db)
	return res, nil
}
