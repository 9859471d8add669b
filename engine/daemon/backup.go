package daemon

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// backuper is a store that can copy itself consistently while it is
// written (the SQLite store: VACUUM INTO after folding its journal).
// PostgreSQL state is backed up with pg_dump, which does the same on the
// server.
type backuper interface {
	BackupFile(ctx context.Context) (*os.File, error)
}

// backupState streams a consistent copy of the state to the caller. The
// copy is made in a temporary file next to the state and unlinked at
// once, so a failed or abandoned request leaves nothing; the daemon
// never writes where a caller says, which could be anywhere on its disk
// for a caller who is not on its machine. One at a time: each holds a
// copy of the state on the daemon's disk.
func (d *Daemon) backupState(w http.ResponseWriter, r *http.Request) {
	b, ok := d.opt.Store.(backuper)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this daemon's state is not a SQLite file: " +
			"back PostgreSQL state up with pg_dump (hearth state backup -h says how)"})
		return
	}
	if !d.backingUp.CompareAndSwap(false, true) {
		writeJSON(w, http.StatusConflict, map[string]any{"error": "a backup of this state is being made; try again once it is done"})
		return
	}
	defer d.backingUp.Store(false)
	start := time.Now()
	f, err := b.BackupFile(r.Context())
	if err != nil {
		msg := d.Redact(err.Error())
		d.log.Error("state backup failed", "error", msg)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "backup failed: " + msg})
		return
	}
	defer f.Close()
	copied := time.Since(start)
	info, err := f.Stat()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "backup failed: " + d.Redact(err.Error())})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.sqlite3")
	// The length lets the caller tell a whole copy from one cut short.
	h.Set("Content-Length", strconv.FormatInt(info.Size(), 10))
	h.Set("Content-Disposition", `attachment; filename="hearth-state.db"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	n, err := io.Copy(w, f)
	if err != nil {
		d.log.Warn("state backup not delivered", "bytes", n, "of", info.Size(), "error", err)
		return
	}
	d.log.Info("state backup delivered", "bytes", n, "copy_took", copied.Round(time.Millisecond).String(),
		"took", time.Since(start).Round(time.Millisecond).String())
}
