package main

import (
	"io"
	"os"
	"strings"
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

// createOutput is createPrivate for an output file flag, where "-" is
// stdout (standard output, which stdoutFlags took from the command).
func createOutput(path string, stdout io.Writer) (io.WriteCloser, error) {
	if path == "-" && stdout != nil {
		return nopCloser{stdout}, nil
	}
	return createPrivate(path)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// stdoutFlags lets one output file flag be "-", standard output, as
// import -out takes it, so its lines can be piped (-outcomes - | jq).
// The command's own output (its summary) then goes to standard error,
// so that standard output holds the file alone. flags are each flag's
// name and value. It returns the stdio to write the rest with, and
// standard output for the flag given "-" (nil when none is); false, with
// the exit status, when more than one is, which it says.
func stdoutFlags(s *stdio, cmd string, flags ...[2]string) (*stdio, io.Writer, int, bool) {
	var dash []string
	for _, f := range flags {
		if f[1] == "-" {
			dash = append(dash, f[0])
		}
	}
	switch len(dash) {
	case 0:
		return s, nil, 0, true
	case 1:
		rest := *s
		rest.out, rest.outTTY = s.err, s.errTTY
		return &rest, s.out, 0, true
	}
	code := argError(s, cmd, strings.Join(dash, " and ")+" are both \"-\": only one of them can write to standard output")
	return s, nil, code, false
}
