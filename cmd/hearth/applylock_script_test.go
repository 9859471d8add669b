package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// cmdApplyLock is "applylock DIR ID WHO": leave the apply lock of DIR's
// SQLite state (.hearth/state.db) held with id ID by WHO, as an apply
// killed part way leaves it.
func cmdApplyLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: applylock DIR ID WHO")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(ts.MkAbs(args[0]), ".hearth", "state.db"))
	ts.Check(err)
	defer st.Close()
	ts.Check(st.Lock(ctx, state.LockInfo{ID: args[1], Who: args[2], When: time.Now().UTC()}))
}
