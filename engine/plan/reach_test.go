package plan_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// refusingConn is a platform whose reads find nothing listening.
type refusingConn struct{ platform.Conn }

func (refusingConn) Read(context.Context, platform.ReadRequest) (platform.ReadResponse, error) {
	err := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/bot123:SECRET/communities", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	return platform.ReadResponse{}, platform.Temporary(fmt.Errorf("local GET /communities: %w", err), 0)
}

// A read that cannot reach its platform, after the platform opened, is
// a diagnostic on the platform block, as a failed open is: plan and
// drift say which block, which host (not the path, which may hold a
// token) and what to check, with the error.
func TestUnreachedReadIsBlockError(t *testing.T) {
	f := newFixture(t, base)
	f.mustApply(f.mustPlan())
	f.conns["platform.local.main"] = refusingConn{f.conns["platform.local.main"]}
	_, planErr := f.plan(plan.Options{})
	_, driftErr := plan.Drift(context.Background(), f.cfg, f.store, f.conns)
	for name, err := range map[string]error{"plan": planErr, "drift": driftErr} {
		var be *plan.BlockError
		if !errors.As(err, &be) {
			t.Fatalf("%s: %v; want a BlockError", name, err)
		}
		d := be.Diagnostic
		if d.Summary != "Cannot reach platform.local.main" || d.Subject == nil || d.Subject.Start.Line != 2 {
			t.Errorf("%s: summary %q at %v; want Cannot reach platform.local.main at line 2", name, d.Summary, d.Subject)
		}
		if !strings.Contains(d.Detail, "Nothing accepts connections at http://127.0.0.1:1.") || !strings.Contains(d.Detail, "connection refused") {
			t.Errorf("%s: detail lacks the host or the error:\n%s", name, d.Detail)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: the cause is not kept in the chain", name)
		}
	}
}
