//go:build !linux

package sqlite

import "os"

// allocate does nothing where fallocate is missing: the file grows as it
// is written.
func allocate(*os.File, int64) error { return nil }

// datasync is a full sync (on macOS, F_FULLFSYNC).
func datasync(f *os.File) error { return f.Sync() }
