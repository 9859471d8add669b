package plan

import (
	"errors"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// readError is an error of a platform block's reads, so that Unreached
// knows the block a plan's read failed on after the error was wrapped
// with what was being read. Its text is err's.
type readError struct {
	addr string
	err  error
}

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// Unreached is err, from opening or reading the platforms of cfg, as a
// diagnostic on the platform block when the platform could not be
// reached or refused the credentials (platform.DiagnoseConn), as
// Terraform reports a provider it cannot configure: the block, the
// address called, what to check, and the error itself. Other errors are
// returned as they are.
//
// A block that did not open because a credential setting is empty
// (platform.EmptySettingError) is a diagnostic on that setting, naming
// the variable to set.
func Unreached(cfg *config.Config, err error) error {
	var be *BlockError
	if err == nil || errors.As(err, &be) {
		return err
	}
	var oe *platform.OpenError
	var empty *platform.EmptySettingError
	if errors.As(err, &oe) && errors.As(err, &empty) {
		rng, written := oe.Platform.SettingRanges[empty.Setting]
		if !written {
			rng = oe.Platform.DeclRange
		}
		summary, detail := empty.Hint(oe.Platform)
		return blockError(rng, err, summary, "%s", detail)
	}
	f, ok := platform.DiagnoseConn(err)
	if !ok {
		return err
	}
	var p *config.Platform
	cause := err
	var re *readError
	switch {
	case errors.As(err, &oe):
		p, cause = oe.Platform, oe.Err
	case errors.As(err, &re):
		for _, cp := range cfg.Platforms {
			if cp.Addr() == re.addr {
				p = cp
			}
		}
	}
	if p == nil {
		return err
	}
	return blockError(p.DeclRange, err, f.Summary(p.Addr()), "%s\n\nThe error: %s", f.Hint(p), cause)
}
