package local_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
)

// A role or a direct message for a member the local platform does not
// have is ErrMemberNotFound, which the outbox tries again, with what to
// do in its text; an mb-N id the file never issued says so instead.
func TestMemberMissing(t *testing.T) {
	f := setup(t, local.New())
	role := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "regular"}}).ID
	other := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "lab"}}).ID
	bo, err := f.c.Join(ctx, local.JoinRequest{Community: other, Name: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		member string
		req    platform.PerformRequest
		want   string
		never  bool
	}{
		{"u07", platform.PerformRequest{Action: platform.ActionRoleAdd, Role: role}, `member "u07" is not on the local platform; hearth local join -id u07 explorers adds them`, false},
		{"u07", platform.PerformRequest{Action: platform.ActionDirectMessage, Text: "hi"}, `hearth local join -id u07 explorers adds them`, false},
		{bo.ID, platform.PerformRequest{Action: platform.ActionRoleAdd, Role: role}, `member "` + bo.ID + `" is not in community explorers (` + f.community + `) on the local platform; hearth local join -id ` + bo.ID + ` explorers brings them back`, false},
		{"mb-99", platform.PerformRequest{Action: platform.ActionRoleAdd, Role: role}, `member "mb-99" is not on the local platform, which never gave out that id`, true},
	} {
		req := tc.req
		req.Key, req.Community, req.Member = "k-"+tc.member+string(req.Action), f.community, tc.member
		_, err := f.c.Perform(ctx, req)
		if !errors.Is(err, platform.ErrMemberNotFound) || !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("%s for %s: %v; want ErrMemberNotFound", req.Action, tc.member, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s for %s: %q; want it to say %q", req.Action, tc.member, err, tc.want)
		}
		var mm *local.MemberMissingError
		if !errors.As(err, &mm) || mm.NeverIssued != tc.never || mm.Community != f.community {
			t.Errorf("%s for %s: %#v", req.Action, tc.member, mm)
		}
	}
}

// Adopt puts a member hearth knows from events into a community under
// their own id, with no event; the role then goes to them, the file
// keeps them (as version 2), and they post like anyone.
func TestAdopt(t *testing.T) {
	clk := newClock()
	f := setup(t, &local.Adapter{Now: clk.Now})
	role := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "regular"}}).ID
	events := func() int {
		snap, err := f.c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(snap.Events)
	}
	before := events()
	joined := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	changed, err := f.c.Adopt(ctx, local.AdoptRequest{Community: f.community, Member: "u07", Name: "Gus", JoinedAt: joined})
	if err != nil || !changed {
		t.Fatalf("Adopt: %v, %v", changed, err)
	}
	if changed, err := f.c.Adopt(ctx, local.AdoptRequest{Community: f.community, Member: "u07", Name: "Gus"}); err != nil || changed {
		t.Errorf("Adopt again: %v, %v; want nothing changed", changed, err)
	}
	if n := events(); n != before {
		t.Errorf("Adopt emitted %d events; hearth has the join already", n-before)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: "r1", Community: f.community, Member: "u07", Role: role}); err != nil {
		t.Fatalf("role for the adopted member: %v", err)
	}
	members, err := platform.ReadAll(ctx, f.c, platform.ReadRequest{Kind: platform.KindMember, Community: f.community})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range members {
		names = append(names, m.ID+"="+m.Attrs["name"])
	}
	// By join time: Gus joined in February, Ann at the clock's March.
	if got := strings.Join(names, " "); got != "u07=Gus "+f.ann+"=Ann" {
		t.Errorf("members: %s", got)
	}
	if _, err := f.c.Post(ctx, local.PostRequest{Channel: f.channel, Member: "u07", Text: "hello"}); err != nil {
		t.Errorf("the adopted member posts: %v", err)
	}
	// A join after them goes on with the platform's own ids.
	m, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, Name: "Cy"})
	if err != nil || m.ID != "mb-2" {
		t.Errorf("join after an adoption: %s, %v; want mb-2", m.ID, err)
	}

	// Reopened, the file holds them.
	data, err := os.ReadFile(f.c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"version": 2`) || !strings.Contains(string(data), `"id": "u07"`) {
		t.Errorf("file after an adoption:\n%s", data)
	}
	f.c.Close()
	c := openAt(t, local.New(), f.dir, nil)
	objs, err := platform.ReadAll(ctx, c, platform.ReadRequest{Kind: platform.KindRoleAssignment, Community: f.community})
	if err != nil || len(objs) != 1 || objs[0].Attrs["member"] != "u07" {
		t.Errorf("role assignments after reopening: %v, %v", objs, err)
	}

	for _, tc := range []struct {
		req  local.AdoptRequest
		want error
	}{
		{local.AdoptRequest{Community: f.community, Member: "mb-42"}, platform.ErrNotFound},
		{local.AdoptRequest{Community: f.community, Member: "a b"}, platform.ErrInvalid},
		{local.AdoptRequest{Community: f.community, Member: "a:b"}, platform.ErrInvalid},
		{local.AdoptRequest{Community: "co-9", Member: "u08"}, platform.ErrNotFound},
	} {
		if _, err := c.Adopt(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("Adopt %+v: %v; want %v", tc.req, err, tc.want)
		}
	}
}

// A banned member is not adopted back into the community.
func TestAdoptBanned(t *testing.T) {
	f := setup(t, local.New())
	if _, err := f.c.Adopt(ctx, local.AdoptRequest{Community: f.community, Member: "u09"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, platform.PerformRequest{Action: platform.ActionBan, Key: "b", Community: f.community, Member: "u09"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Adopt(ctx, local.AdoptRequest{Community: f.community, Member: "u09"}); !errors.Is(err, platform.ErrConflict) {
		t.Errorf("adopting a banned member: %v; want ErrConflict", err)
	}
}

// Join with an ID makes the member hearth knows from events join under
// that id, with a member.joined; the name defaults to the id.
func TestJoinWithID(t *testing.T) {
	f := setup(t, local.New())
	m, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, ID: "u11"})
	if err != nil || m.ID != "u11" || m.Attrs["name"] != "u11" {
		t.Fatalf("Join -id: %+v, %v", m, err)
	}
	snap, err := f.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := string(snap.Events[len(snap.Events)-1].Event)
	if !strings.Contains(last, `"member.joined"`) || !strings.Contains(last, `"u11"`) {
		t.Errorf("last event: %s", last)
	}
	// Again: in the community already, nothing changes.
	if m, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, ID: "u11"}); err != nil || m.ID != "u11" {
		t.Errorf("second Join -id: %+v, %v", m, err)
	}
	if _, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, ID: "mb-5"}); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("Join -id mb-5: %v; want ErrInvalid", err)
	}
}

// The outbox gives a role for a member the local platform does not have
// a few more tries (ErrMemberNotFound), and a join in between makes the
// next one succeed.
func TestOutboxRetriesUntilJoin(t *testing.T) {
	f := setup(t, local.New())
	role := apply(t, f.c, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: f.community, Attrs: platform.Attrs{"name": "regular"}}).ID
	req := platform.PerformRequest{Action: platform.ActionRoleAdd, Key: "r", Community: f.community, Member: "u12", Role: role}
	_, err := f.c.Perform(ctx, req)
	var missing interface{ MemberNotFound() bool }
	if !errors.As(err, &missing) || !missing.MemberNotFound() || !errors.Is(err, platform.ErrMemberNotFound) {
		t.Fatalf("first try: %v", err)
	}
	if c, _ := platform.Classify(err); c != platform.ClassPermanent {
		t.Errorf("class %s: the outbox's member retries, not its backoff, apply", c)
	}
	var notReady *outbox.NotReadyError
	if errors.As(err, &notReady) {
		t.Error("a missing member is not a missing target")
	}
	if _, err := f.c.Join(ctx, local.JoinRequest{Community: f.community, ID: "u12", Name: "Hal"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Perform(ctx, req); err != nil {
		t.Errorf("after the join: %v", err)
	}
}

// Members with brought ids page like others: small pages, the same join
// time, each listed once.
func TestAdoptedPaging(t *testing.T) {
	f := setup(t, &local.Adapter{PageSize: 2})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"u5", "u1", "u4", "u2", "u3"} {
		if _, err := f.c.Adopt(ctx, local.AdoptRequest{Community: f.community, Member: id, JoinedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	members, err := platform.ReadAll(ctx, f.c, platform.ReadRequest{Kind: platform.KindMember, Community: f.community})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	if got := strings.Join(ids, " "); got != "u5 u1 u4 u2 u3 "+f.ann {
		t.Errorf("members in pages of two: %s", got)
	}
}
