package daemon

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hearth-community/hearth/engine/config"
)

const (
	// DefaultReloadSettle is how long the configuration directory must be
	// quiet after a change before Watch reads it: a save, or a git
	// checkout of many files, is written by then, and reloads once.
	DefaultReloadSettle = 500 * time.Millisecond
	// DefaultReloadGrace is how long a file that lost all its blocks must
	// stay so before Watch applies a configuration without them: a file
	// truncated to be written again is written well within it.
	DefaultReloadGrace = 10 * time.Second
)

// WatchOptions tune Watch; zero values take the defaults.
type WatchOptions struct {
	// Settle is how long the directory must stay quiet after a change
	// before it is read (DefaultReloadSettle).
	Settle time.Duration
	// Grace is how long a file that had blocks in force and has none
	// left (emptied, as a save that truncates before it writes leaves it)
	// must stay so before a reload that drops its blocks is applied
	// (DefaultReloadGrace). Deleting the file removes them after Settle.
	Grace time.Duration
	// Now and After are the clock the watcher reads and waits on:
	// time.Now and time.After when nil. Tests give a manual one.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// HeldReload is a change to the files the watcher does not apply yet,
// because files that had blocks in force have none left: most likely
// saves under way. GET /v1/status shows it as reload_held.
type HeldReload struct {
	// Since is when the first of Files was found without blocks.
	Since time.Time `json:"since"`
	// Until is when the reload is applied if the files stay as they are.
	Until time.Time  `json:"until"`
	Files []HeldFile `json:"files"`
}

// HeldFile is a file found without the blocks it had in force.
type HeldFile struct {
	File  string    `json:"file"`
	Since time.Time `json:"since"`
	// Blocks are the blocks the reload would remove ("campaign.onboarding").
	Blocks []string `json:"blocks"`
}

// Watch reloads the configuration when its files change, until ctx ends.
// It watches the directory, not the files: editors save by renaming a new
// file over the old one, and Kubernetes swaps a ..data symlink. It reads
// the files once the directory has been quiet for opt.Settle, so a burst
// of changes reloads once, and it holds back a configuration that drops
// every block of a file that is still there (HeldReload) for opt.Grace:
// a save that truncates the file before writing it must not end the
// runs of a campaign the file holds.
func (d *Daemon) Watch(ctx context.Context, opt WatchOptions) error {
	if opt.Settle <= 0 {
		opt.Settle = DefaultReloadSettle
	}
	if opt.Grace <= 0 {
		opt.Grace = DefaultReloadGrace
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = time.After
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer fw.Close()
	if err := fw.Add(d.opt.Dir); err != nil {
		return err
	}
	w := &watcher{d: d, opt: opt, emptied: map[string]time.Time{}}
	w.watchReadFiles(fw)
	d.log.Debug("watching the configuration directory", "dir", d.opt.Dir, "settle", opt.Settle, "grace", opt.Grace, "read_files", len(w.read))
	// One timer at a time, made anew when the time to wake moves.
	var wake <-chan time.Time
	var wakeAt time.Time
	for {
		if at, ok := w.next(); !ok {
			wake, wakeAt = nil, time.Time{}
		} else if !at.Equal(wakeAt) {
			wake, wakeAt = opt.After(at.Sub(opt.Now())), at
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if !w.relevant(ev.Name) {
				d.log.Debug("configuration directory: change ignored (not a .hcl file or one file() read)", "file", ev.Name, "op", ev.Op.String())
				continue
			}
			d.log.Debug("configuration directory: change seen; reloading once quiet", "file", ev.Name, "op", ev.Op.String(), "settle", opt.Settle)
			w.changed(opt.Now())
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			// An overflow loses events: read the files as after a change.
			d.log.Warn("watching the configuration directory", "err", err)
			w.changed(opt.Now())
		case <-wake:
			wakeAt = time.Time{} // woken: a time still ahead is waited for anew
			w.wake(opt.Now())
		case <-d.swapped:
			w.watchReadFiles(fw)
		}
	}
}

// watcher is Watch's state between changes and reloads.
type watcher struct {
	d   *Daemon
	opt WatchOptions
	// quietAt is when the directory has been quiet for Settle since the
	// last change not read yet; zero when every change was read.
	quietAt time.Time
	// emptied are the files found without the blocks they had in force,
	// with when each was first found so.
	emptied map[string]time.Time
	// heldUntil is when a held reload is applied; zero when none is held.
	heldUntil time.Time
	// read are the files the configuration in force read with file(),
	// by absolute path, and dirs the directories watched for them
	// besides the configuration directory.
	read map[string]bool
	dirs map[string]bool
}

// watchReadFiles watches the directories of the files the configuration
// in force read with file() (house_rules = file("rules.md"), one outside
// the configuration directory too), and stops watching those no file
// read any more: a change to one reloads as a change to a .hcl file.
// The directory, not the file, for the reasons Watch gives.
func (w *watcher) watchReadFiles(fw *fsnotify.Watcher) {
	read := map[string]bool{}
	dirs := map[string]bool{}
	if snap := w.d.Snapshot(); snap != nil {
		for name := range snap.Config.ReadFiles {
			path := filepath.FromSlash(name)
			if !filepath.IsAbs(path) {
				path = filepath.Join(w.d.opt.Dir, path)
			}
			path = absPath(path)
			read[path] = true
			if dir := filepath.Dir(path); dir != absPath(w.d.opt.Dir) {
				dirs[dir] = true
			}
		}
	}
	for dir := range dirs {
		if w.dirs[dir] {
			continue
		}
		if err := fw.Add(dir); err != nil {
			// The reload that reads it again says what is wrong with
			// the file; SIGHUP still reloads.
			w.d.log.Warn("not watching the directory of a file the configuration reads; reload with SIGHUP or POST /v1/reload after changing it", "dir", dir, "err", err)
			delete(dirs, dir)
		}
	}
	for dir := range w.dirs {
		if !dirs[dir] {
			// Already gone when the directory was removed.
			_ = fw.Remove(dir)
		}
	}
	if !maps.Equal(dirs, w.dirs) {
		w.d.log.Debug("watching the directories of files the configuration reads", "dirs", slices.Sorted(maps.Keys(dirs)))
	}
	w.read, w.dirs = read, dirs
}

// relevant is a change that may change the configuration: a .hcl file
// in the configuration directory, a file the configuration read with
// file(), or a Kubernetes ConfigMap swap in the directory of either.
func (w *watcher) relevant(path string) bool {
	path = absPath(path)
	if w.read[path] {
		return true
	}
	dir := filepath.Dir(path)
	if dir == absPath(w.d.opt.Dir) {
		return relevant(path)
	}
	return w.dirs[dir] && strings.HasPrefix(filepath.Base(path), "..")
}

// absPath is path made absolute, so that the paths file() was given and
// those fsnotify reports compare whether the directory was given
// relative or not.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

func (w *watcher) changed(now time.Time) { w.quietAt = now.Add(w.opt.Settle) }

// next is when to read the files again.
func (w *watcher) next() (time.Time, bool) {
	switch {
	case !w.quietAt.IsZero():
		return w.quietAt, true
	case !w.heldUntil.IsZero():
		return w.heldUntil, true
	}
	return time.Time{}, false
}

func (w *watcher) wake(now time.Time) {
	if at, ok := w.next(); !ok || now.Before(at) {
		return
	}
	w.quietAt = time.Time{}
	w.d.reload("files", func(old, cfg *config.Config) bool { return w.hold(now, old, cfg) })
}

// hold decides whether the configuration cfg, loaded to replace old,
// waits: while files that had blocks in old have none in cfg (and their
// blocks are not declared elsewhere), for Grace from when each was first
// found so. It logs what it decides and keeps the daemon's held status.
func (w *watcher) hold(now time.Time, old, cfg *config.Config) bool {
	dropped := droppedFiles(old, cfg)
	for path := range w.emptied {
		if _, ok := dropped[path]; !ok {
			delete(w.emptied, path)
		}
	}
	if len(dropped) == 0 {
		if !w.heldUntil.IsZero() {
			w.d.log.Info("reload no longer held: no file is without the blocks in force any more")
		}
		w.heldUntil = time.Time{}
		return false
	}
	paths := make([]string, 0, len(dropped))
	for path := range dropped {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	h := &HeldReload{}
	for _, path := range paths {
		since, seen := w.emptied[path]
		if !seen {
			since = now
			w.emptied[path] = since
		}
		until := since.Add(w.opt.Grace)
		if h.Since.IsZero() || since.Before(h.Since) {
			h.Since = since
		}
		if until.After(h.Until) {
			h.Until = until
		}
		h.Files = append(h.Files, HeldFile{File: filepath.Base(path), Since: since.UTC(), Blocks: dropped[path]})
		if !seen {
			w.d.log.Info("a file has no blocks left, taken as a save under way: the reload waits until it is written, or stays so for the grace",
				"file", filepath.Base(path), "blocks", dropped[path], "until", until.UTC().Format(time.RFC3339), "grace", w.opt.Grace)
		}
	}
	if !now.Before(h.Until) {
		for _, f := range h.Files {
			w.d.log.Info("a file stayed without blocks for the grace: the reload removes them", "file", f.File, "blocks", f.Blocks, "grace", w.opt.Grace.String())
		}
		clear(w.emptied)
		w.heldUntil = time.Time{}
		return false
	}
	h.Since, h.Until = h.Since.UTC(), h.Until.UTC()
	w.heldUntil = h.Until
	w.d.setHeld(h)
	return true
}

// droppedFiles are the files of old that cfg read with no top-level
// block where old had some, each with the blocks that go with it: those
// cfg declares in no file. A file cfg did not read (deleted) is not
// among them: deleting a file is how its blocks are removed.
func droppedFiles(old, cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	var declared map[string]bool
	for path, was := range old.Files {
		now, ok := cfg.Files[path]
		if !ok || len(topBlocks(now)) > 0 {
			continue
		}
		if declared == nil {
			declared = map[string]bool{}
			for _, f := range cfg.Files {
				for _, b := range topBlocks(f) {
					if len(b.Labels) > 0 {
						declared[blockAddr(b)] = true
					}
				}
			}
		}
		var gone []string
		listed := map[string]bool{}
		for _, b := range topBlocks(was) {
			// An unlabelled block (locals, hearth) is not told from one
			// of its kind elsewhere: it counts as gone.
			if a := blockAddr(b); (len(b.Labels) == 0 || !declared[a]) && !listed[a] {
				listed[a] = true
				gone = append(gone, a)
			}
		}
		if len(gone) > 0 {
			out[path] = gone
		}
	}
	return out
}

// topBlocks are a file's top-level blocks, those a parser with errors
// recovered included.
func topBlocks(f *hcl.File) hclsyntax.Blocks {
	if f == nil {
		return nil
	}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		return body.Blocks
	}
	return nil
}

// blockAddr names a block as its references do: "campaign.onboarding".
func blockAddr(b *hclsyntax.Block) string {
	return strings.Join(append([]string{b.Type}, b.Labels...), ".")
}

// relevant is a configuration file, or a Kubernetes ConfigMap swap.
func relevant(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".hcl") || strings.HasPrefix(base, "..")
}
