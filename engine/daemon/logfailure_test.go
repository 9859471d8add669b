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
