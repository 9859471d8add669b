package daemon

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the configuration when its files change, until ctx ends.
// It watches the directory, not the files: editors save by renaming a new
// file over the old one, and Kubernetes swaps a ..data symlink. Bursts of
// changes are debounced into one reload.
func (d *Daemon) Watch(ctx context.Context, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(d.opt.Dir); err != nil {
		return err
	}
	var timer *time.Timer
	fire := make(chan struct{}, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if !relevant(ev.Name) {
				d.log.Debug("configuration directory: change ignored (not a .hcl file)", "file", ev.Name, "op", ev.Op.String())
				continue
			}
			d.log.Debug("configuration directory: change seen; reloading once quiet", "file", ev.Name, "op", ev.Op.String(), "debounce", debounce)
			if timer == nil {
				timer = time.AfterFunc(debounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			d.log.Warn("watching the configuration directory", "err", err)
		case <-fire:
			d.Reload("files")
		}
	}
}

// relevant is a configuration file, or a Kubernetes ConfigMap swap.
func relevant(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".hcl") || strings.HasPrefix(base, "..")
}
