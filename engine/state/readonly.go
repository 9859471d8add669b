package state

import (
	"errors"
	"fmt"
)

// ErrNoState marks a read-only open of a state that was never created (a
// PostgreSQL schema that does not exist or has no hearth tables): a
// command that only reads never creates it, and says so or reads it as
// empty.
var ErrNoState = errors.New("no hearth state there yet")

// OldSchemaError is a read-only open of a state whose schema is older
// than this hearth can read. A command that only reads (plan, drift,
// state list) never migrates: migrating is for the commands that write,
// run with this version on purpose, not for a plan job that happens to
// run a newer hearth.
type OldSchemaError struct {
	Where    string // the state, without credentials
	Version  int    // its schema version
	Readable int    // the oldest this hearth reads
	Current  int    // the one this hearth writes
}

func (e *OldSchemaError) Error() string {
	return fmt.Sprintf("the state %s has schema version %d, older than this hearth reads (%d to %d); commands that only read (plan, drift, state list) never migrate it: run hearth apply or hearth run with this version to migrate",
		e.Where, e.Version, e.Readable, e.Current)
}

// CheckReadable says whether a read-only open may read a schema at
// version v: one from readable (the oldest schema holding every table
// and column the reads of this hearth use) to current (the one its
// migrations make). A newer one needs a newer hearth.
func CheckReadable(where string, v, readable, current int) error {
	switch {
	case v > current:
		return fmt.Errorf("database schema version %d is newer than this hearth knows (%d); upgrade hearth", v, current)
	case v < readable:
		return &OldSchemaError{Where: where, Version: v, Readable: readable, Current: current}
	}
	return nil
}
