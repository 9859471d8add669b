package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// allocate reserves the file's space up to size, so later writes into it
// change no metadata.
func allocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil // the file grows as it is written instead
	}
	return err
}

// datasync makes the file's written data durable, without its metadata
// when that did not change.
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
