package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/lograte"
	"github.com/hearth-community/hearth/engine/state"
)

// Work a failing state store refuses is logged once a minute per
// message, not every round (the processor tries every second); other
// failures are logged each time.
func TestStoreRefusalsLoggedAtALimitedRate(t *testing.T) {
	var logs bytes.Buffer
	d := &Daemon{log: slog.New(slog.NewJSONHandler(&logs, nil)), storeLogs: lograte.New(storeLogEvery)}
	ctx := context.Background()
	refused := fmt.Errorf("%w since 2026-01-01T00:00:00Z: no space left on device", state.ErrFailing)
	for range 5 {
		d.failed(ctx, "recheck: begin failed", "err", refused)
		d.failed(ctx, "re-evaluating members: begin failed", "err", refused)
		d.failed(ctx, "recheck failed", "err", errors.New("rule blew up"))
	}
	for msg, want := range map[string]int{"recheck: begin failed": 1, "re-evaluating members: begin failed": 1, "recheck failed": 5} {
		if n := strings.Count(logs.String(), `"msg":"`+msg+`"`); n != want {
			t.Errorf("%q logged %d times; want %d", msg, n, want)
		}
	}
}

// failingStore reports itself failing, as the PostgreSQL store does while
// the database is out of reach.
type failingStore struct{ state.Store }

func (failingStore) Health() state.Health {
	return state.Health{Err: errors.New("unexpected EOF"), Failures: 1}
}

// While the store reports that it fails, the driver's own errors (the
// query that found the database gone) are limited as its refusals are.
func TestFailuresLimitedWhileTheStoreFails(t *testing.T) {
	var logs bytes.Buffer
	d := &Daemon{log: slog.New(slog.NewJSONHandler(&logs, nil)), storeLogs: lograte.New(storeLogEvery)}
	d.opt.Store = failingStore{}
	for range 5 {
		d.failed(context.Background(), "recheck failed", "err", errors.New("read tcp 127.0.0.1:5432: connection reset by peer"))
	}
	if n := strings.Count(logs.String(), `"msg":"recheck failed"`); n != 1 {
		t.Errorf("logged %d times while the store fails; want 1:\n%s", n, logs.String())
	}
}
