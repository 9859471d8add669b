package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// noMemberList is a platform connection that cannot list members, as
// some chat platforms will not without special permission.
type noMemberList struct{ *local.Conn }

func (n noMemberList) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	if req.Kind == platform.KindMember {
		return platform.ReadResponse{}, platform.ErrUnsupported
	}
	return n.Conn.Read(ctx, req)
}

// Where the platform cannot count members, hearth's own count (the
// community document the runtime keeps from joins and leaves) decides
// the split.
func TestSplitOnHearthsCount(t *testing.T) {
	src := strings.Replace(base, `purpose     = "Testing plans"`, `purpose     = "Testing plans"
  capacity    = 2`, 1)
	f := newFixture(t, src)
	f.mustApply(f.mustPlan())
	f.conns["platform.local.main"] = noMemberList{f.conns["platform.local.main"].(*local.Conn)}
	if p := f.mustPlan(); p.HasChanges() || len(p.Warnings) != 0 {
		t.Fatalf("no count yet, yet %q\n%s", p.Warnings, actions(p))
	}
	b, err := f.store.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.(state.CommunityBatch).SaveCommunity(&state.Community{Name: "c", Members: 5}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	p := f.mustPlan()
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "5 members (hearth's count: the platform cannot list members)") ||
		!strings.Contains(p.Warnings[0], "splitting into 3 communities") {
		t.Fatalf("warnings %q", p.Warnings)
	}
	if !strings.Contains(actions(p), "create community.c-3\n") {
		t.Fatalf("no c-3:\n%s", actions(p))
	}
}
