package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

// noStateError is what a command that only reads the state gets where
// there is none yet. Opening a SQLite store creates the file, and a
// command that only looks must not leave an empty state behind (nor
// answer from one as if it were real).
type noStateError struct {
	Path string
	// Hint says what makes the state the command reads: apply for
	// platform resources, run or replay for members.
	Hint string
}

func (e *noStateError) Error() string {
	return fmt.Sprintf("no state yet at %s: %s", e.Path, e.Hint)
}

const (
	hintApply = "run hearth apply first"
	hintRun   = "run hearth run or hearth replay first"
)

// missingState returns a *noStateError when cfg's state is a SQLite file
// that does not exist yet, nil otherwise (PostgreSQL and memory stores
// have nothing to create by opening).
func missingState(cfg *config.Config, hint string) error {
	if cfg.Settings.State.Backend != "sqlite" || cfg.Settings.State.Path == "" {
		return nil
	}
	if _, err := os.Stat(cfg.Settings.State.Path); errors.Is(err, fs.ErrNotExist) {
		return &noStateError{Path: cfg.Settings.State.Path, Hint: hint}
	}
	return nil
}

// readStore opens cfg's state for a command that only reads it and
// whose natural answer without state is an empty one (a report of
// zeros): where there is none yet, it says so on s.err and returns an
// empty memory store, with noState set.
func readStore(ctx context.Context, s *stdio, cfg *config.Config, name, hint string) (store state.Store, noState, ok bool) {
	if err := missingState(cfg, hint); err != nil {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return state.NewMemory(), true, true
	}
	store, err := openStoreReadOnly(ctx, cfg, hint)
	var none *noStateError
	if errors.As(err, &none) {
		fmt.Fprintf(s.err, "hearth %s: %v\n", name, err)
		return state.NewMemory(), true, true
	}
	if err != nil {
		reportStoreError(s, cfg, name, err)
		return nil, false, false
	}
	return store, false, true
}

// missingForWrite is missingState for commands that write through the
// state lock (pardon, campaign stop, outbox send): a lock file without
// a database is a writer starting up, whose lock they must meet rather
// than report no state.
func missingForWrite(cfg *config.Config, hint string) error {
	err := missingState(cfg, hint)
	if err == nil {
		return nil
	}
	if _, serr := os.Stat(lockPath(cfg.Settings.State.Path)); serr == nil {
		return nil
	}
	return err
}

// openExistingStore opens cfg's state for a command that only reads it,
// or fails with a *noStateError where there is none yet.
func openExistingStore(ctx context.Context, cfg *config.Config, hint string) (state.Store, error) {
	if err := missingState(cfg, hint); err != nil {
		return nil, err
	}
	return openStoreReadOnly(ctx, cfg, hint)
}
