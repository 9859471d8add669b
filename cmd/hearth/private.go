package main

import (
	"os"
)

// createPrivate creates (or truncates) path for writing, readable by its
// owner only: plans, outcome lines, reports and imported events name
// members, as the state does. A regular file left by an earlier version
// with a wider mode is narrowed too; a device or pipe (-out /dev/stdout)
// is written as it is.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(fi.Mode().Perm() &^ 0o077); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
