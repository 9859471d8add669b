// Package platformtest is the conformance suite every platform adapter
// passes: create, read, update and delete of each kind, import by id,
// paging, the semantics of ErrNotFound, idempotent actions, persistence,
// concurrent use and event streams. An adapter's test calls Run with a
// Factory that makes a fresh platform for each subtest; capabilities the
// adapter's Conn does not implement, and kinds or actions it answers with
// ErrUnsupported, are skipped with a line saying so.
//
// The suite works against the real thing — a file, a server on
// loopback, an in-process fake that follows the platform's documented
// HTTP API — never a mock of the adapter's own code.
package platformtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// Factory makes a fresh, empty platform for one subtest. Subtests run in
// parallel, so it is called from several goroutines at once.
type Factory func(t *testing.T) Platform

// Platform is one platform under test and what the suite needs to drive
// it beyond the contract.
type Platform struct {
	// Open opens a new Conn to this platform; every call reaches the same
	// platform. The suite closes what it opens.
	Open func(t *testing.T) platform.Conn
	// PageSize is the largest page Read returns by default; the suite
	// creates more objects than that to see several pages.
	PageSize int
	// Persistent says a Conn opened later sees what an earlier, closed
	// Conn did, idempotency keys included.
	Persistent bool
	// Concurrent says Conns may be used from several goroutines, and
	// several Conns at once.
	Concurrent bool
	// Community returns the id of an empty community to work in; nil
	// makes one with Apply.
	Community func(t *testing.T, c platform.Conn) string
	// AddMember has a person join a community, as people do by
	// themselves, and returns their member id; nil skips what needs
	// members.
	AddMember func(t *testing.T, c platform.Conn, community, name string) string
	// Channel returns the id of a channel to post in, for platforms
	// whose Conn cannot create channels (webhooks, chat robots); nil
	// creates one with Apply.
	Channel func(t *testing.T, c platform.Conn, community string) string
	// Post has a member post text in a channel and returns the message
	// id; nil skips the stream tests.
	Post func(t *testing.T, c platform.Conn, channel, member, text string) string
	// Muted tells whether member is muted in community on the platform
	// now (cannot post there). With it the Mute test checks that a mute
	// takes, that an unmute lifts it, and what a short mute is once its
	// time is over: ended by the platform, or, with UnmuteAtEnd, still in
	// force until lifted. nil skips those checks.
	Muted func(t *testing.T, c platform.Conn, community, member string) bool
	// UnmuteAtEnd is the adapter's config.PlatformSpec.UnmuteAtEnd: its
	// mutes last until lifted, and hearth lifts them when they end.
	UnmuteAtEnd bool
}

// Run runs the suite.
func Run(t *testing.T, f Factory) {
	if f == nil {
		t.Fatal("platformtest.Run: nil Factory")
	}
	s := &suite{f: f}
	t.Run("Capabilities", s.capabilities)
	t.Run("Closed", s.closed)
	t.Run("Community", s.community)
	t.Run("Channel", func(t *testing.T) {
		s.crud(t, platform.KindChannel,
			platform.Attrs{"name": "welcome", "topic": "Say hi", "position": "3", "category": "Start", "private": "false"},
			[]platform.Attrs{{"topic": "Say hello"}, {"position": "7", "private": "true"}, {"name": "hello", "category": ""}})
	})
	t.Run("Role", func(t *testing.T) {
		s.crud(t, platform.KindRole,
			platform.Attrs{"name": "core", "color": "#F1C40F", "permissions": "send_messages,manage_messages", "hoist": "true", "mentionable": "false", "position": "2"},
			[]platform.Attrs{{"color": "#3498db"}, {"permissions": "manage_messages"}, {"hoist": "false", "mentionable": "true", "position": "5"}})
	})
	t.Run("CreateDefaults", s.createDefaults)
	t.Run("Order", s.order)
	t.Run("Paging", s.paging)
	t.Run("Pin", s.pin)
	t.Run("Member", s.member)
	t.Run("RoleAssignment", s.roleAssignment)
	t.Run("Invalid", s.invalid)
	t.Run("Cancelled", s.cancelled)
	t.Run("Perform", s.perform)
	t.Run("Persistence", s.persistence)
	t.Run("Concurrent", s.concurrent)
	t.Run("Stream", s.stream)
}

type suite struct {
	f Factory
}

var ctxBG = context.Background()

// env is one subtest's platform and first Conn.
type env struct {
	p Platform
	c platform.Conn
}

func (s *suite) env(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	p := s.f(t)
	if p.Open == nil {
		t.Fatal("Platform.Open is nil")
	}
	return &env{p: p, c: open(t, p)}
}

func open(t *testing.T, p Platform) platform.Conn {
	t.Helper()
	c := p.Open(t)
	if c == nil {
		t.Fatal("Platform.Open returned nil")
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// need returns the Conn as a capability or skips the test.
func need[T any](t *testing.T, c platform.Conn) T {
	t.Helper()
	x, ok := c.(T)
	if !ok {
		var zero T
		t.Skipf("the Conn does not implement %T", &zero)
	}
	return x
}

// skipUnsupported skips when err says the platform lacks the feature.
func skipUnsupported(t *testing.T, err error, what string) {
	t.Helper()
	if errors.Is(err, platform.ErrUnsupported) {
		t.Skipf("%s: %v", what, err)
	}
}

func (e *env) community(t *testing.T) string {
	t.Helper()
	if e.p.Community != nil {
		return e.p.Community(t, e.c)
	}
	ap := need[platform.Applier](t, e.c)
	resp, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity,
		Address: "community.test", Attrs: platform.Attrs{"name": "test-" + strconv.Itoa(int(nextName.Add(1))), "title": "Test"}})
	skipUnsupported(t, err, "creating a community")
	if err != nil {
		t.Fatalf("creating a community: %v", err)
	}
	return resp.Object.ID
}

var nextName atomic.Int64

func (e *env) apply(t *testing.T, req platform.ApplyRequest) platform.Object {
	t.Helper()
	ap := need[platform.Applier](t, e.c)
	resp, err := ap.Apply(ctxBG, req)
	skipUnsupported(t, err, fmt.Sprintf("%s of a %s", req.Op, req.Kind))
	if err != nil {
		t.Fatalf("%s %s %s: %v", req.Op, req.Kind, req.ID, err)
	}
	return resp.Object
}

func (e *env) create(t *testing.T, k platform.Kind, community string, attrs platform.Attrs) platform.Object {
	t.Helper()
	return e.apply(t, platform.ApplyRequest{Op: platform.OpCreate, Kind: k, Community: community, Attrs: attrs})
}

func (e *env) readAll(t *testing.T, k platform.Kind, community string) []platform.Object {
	t.Helper()
	r := need[platform.Reader](t, e.c)
	objs, err := platform.ReadAll(ctxBG, r, platform.ReadRequest{Kind: k, Community: community})
	skipUnsupported(t, err, "reading "+string(k))
	if err != nil {
		t.Fatalf("reading %s: %v", k, err)
	}
	return objs
}

func (e *env) member(t *testing.T, community, name string) string {
	t.Helper()
	if e.p.AddMember == nil {
		t.Skip("Platform.AddMember is nil")
	}
	id := e.p.AddMember(t, e.c, community, name)
	if id == "" {
		t.Fatal("AddMember returned an empty id")
	}
	return id
}

func find(objs []platform.Object, id string) (platform.Object, int) {
	n := 0
	var found platform.Object
	for _, o := range objs {
		if o.ID == id {
			found = o
			n++
		}
	}
	return found, n
}

// checkObject checks what every object must satisfy: its kind, an id,
// its community, and only documented attributes in canonical form.
func checkObject(t *testing.T, o platform.Object, k platform.Kind, community string) {
	t.Helper()
	spec, _ := platform.SpecOf(k)
	if o.Kind != k || o.ID == "" || o.Community != community {
		t.Errorf("object %+v: want kind %s, an id and community %q", o, k, community)
	}
	for key, v := range o.Attrs {
		a, ok := spec.Attr(key)
		if !ok {
			t.Errorf("%s %s has undocumented attribute %q", k, o.ID, key)
			continue
		}
		if c, err := platform.Canonical(a.Format, v); err != nil || c != v {
			t.Errorf("%s %s: %s = %q is not canonical %s (%v)", k, o.ID, key, v, a.Format, err)
		}
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v; want %v", what, err, target)
	}
	if c, _ := platform.Classify(err); target != nil && err != nil && c != platform.ClassPermanent {
		t.Errorf("%s: %v is classified %v; want permanent", what, err, c)
	}
}

func canonicalAttrs(t *testing.T, k platform.Kind, a platform.Attrs) platform.Attrs {
	t.Helper()
	spec, _ := platform.SpecOf(k)
	out := platform.Attrs{}
	for key, v := range a {
		as, _ := spec.Attr(key)
		c, err := platform.Canonical(as.Format, v)
		if err != nil {
			t.Fatalf("test data: %s.%s = %q: %v", k, key, v, err)
		}
		out[key] = c
	}
	return out
}

func (s *suite) capabilities(t *testing.T) {
	e := s.env(t)
	caps := platform.Capabilities(e.c)
	if len(caps) == 0 {
		t.Error("the Conn implements no capability")
	}
	t.Logf("capabilities: %v", caps)
}

func (s *suite) closed(t *testing.T) {
	t.Parallel()
	p := s.f(t)
	c := p.Open(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if r, ok := c.(platform.Reader); ok {
		if _, err := r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindCommunity}); err == nil {
			t.Error("Read after Close succeeded")
		}
	}
	if ap, ok := c.(platform.Applier); ok {
		if _, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindCommunity, Attrs: platform.Attrs{"name": "x"}}); err == nil {
			t.Error("Apply after Close succeeded")
		}
	}
	if pf, ok := c.(platform.Performer); ok {
		if _, err := pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "after-close", Community: "c", Channel: "general", Text: "x"}); err == nil {
			t.Error("Perform after Close succeeded")
		}
	}
}

func (s *suite) community(t *testing.T) {
	e := s.env(t)
	if e.p.Community != nil {
		t.Skip("the platform provides its community (Platform.Community)")
	}
	co := e.create(t, platform.KindCommunity, "", platform.Attrs{"name": "explorers", "title": "Explorers", "description": "Builders"})
	checkObject(t, co, platform.KindCommunity, "")
	all := e.readAll(t, platform.KindCommunity, "")
	if got, n := find(all, co.ID); n != 1 || !maps.Equal(got.Attrs, co.Attrs) {
		t.Errorf("read communities: %d of %s, %v; want once with %v", n, co.ID, got.Attrs, co.Attrs)
	}
	up := e.apply(t, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindCommunity, ID: co.ID, Attrs: platform.Attrs{"title": "Future Tech Explorers"}})
	if up.Attrs["title"] != "Future Tech Explorers" || up.Attrs["name"] != "explorers" {
		t.Errorf("after updating the title: %v", up.Attrs)
	}
	e.apply(t, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindCommunity, ID: co.ID})
	if _, n := find(e.readAll(t, platform.KindCommunity, ""), co.ID); n != 0 {
		t.Error("deleted community is still read")
	}
	ap := e.c.(platform.Applier)
	_, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindCommunity, ID: co.ID})
	wantErr(t, err, platform.ErrNotFound, "deleting a deleted community")
	if r, ok := e.c.(platform.Reader); ok {
		_, err := r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel, Community: co.ID})
		wantErr(t, err, platform.ErrNotFound, "reading channels of a deleted community")
	}
}

// crud runs create, read, import, updates and delete of one kind.
func (s *suite) crud(t *testing.T, k platform.Kind, create platform.Attrs, updates []platform.Attrs) {
	e := s.env(t)
	co := e.community(t)
	ap := need[platform.Applier](t, e.c)
	resp, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: k, Community: co, Address: "community.test." + string(k) + ".x", Attrs: create})
	skipUnsupported(t, err, "creating a "+string(k))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	obj := resp.Object
	checkObject(t, obj, k, co)
	if obj.Address != "community.test."+string(k)+".x" {
		t.Errorf("create response address %q; want the request's", obj.Address)
	}
	// Keys the platform does not have may be missing; those it has hold
	// what was asked.
	want := canonicalAttrs(t, k, create)
	if !subset(want, obj.Attrs) {
		t.Errorf("created %v; want the requested %v", obj.Attrs, want)
	}
	all := e.readAll(t, k, co)
	got, n := find(all, obj.ID)
	if n != 1 {
		t.Fatalf("read %d objects with id %s; want 1", n, obj.ID)
	}
	checkObject(t, got, k, co)
	if !maps.Equal(got.Attrs, obj.Attrs) {
		t.Errorf("read %v; create returned %v", got.Attrs, obj.Attrs)
	}
	if im, ok := e.c.(platform.Importer); ok {
		r, err := im.Import(ctxBG, platform.ImportRequest{Kind: k, ID: obj.ID, Address: "community.test." + string(k) + ".y"})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if !maps.Equal(r.Object.Attrs, obj.Attrs) || r.Object.Address != "community.test."+string(k)+".y" {
			t.Errorf("imported %+v; want attrs %v and the request's address", r.Object, obj.Attrs)
		}
	}
	prev := obj.Attrs
	for _, u := range updates {
		r, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: k, Community: co, ID: obj.ID, Attrs: u})
		if err != nil {
			t.Fatalf("update %v: %v", u, err)
		}
		// Exactly the keys sent change: an adapter must never reset
		// what the engine did not mention.
		exp := maps.Clone(prev)
		for key, v := range canonicalAttrs(t, k, u) {
			if _, ok := exp[key]; ok {
				exp[key] = v
			}
		}
		// An attribute derived from others (platform.Deriver: Matrix's
		// join_rule from private) follows them.
		if d, ok := e.c.(platform.Deriver); ok {
			for key, v := range d.Derive(platform.DeriveRequest{Kind: k, Attrs: maps.Clone(exp)}).Attrs {
				if _, ok := exp[key]; ok {
					exp[key] = v
				}
			}
		}
		if !maps.Equal(r.Object.Attrs, exp) {
			t.Errorf("after update %v: %v; want %v", u, r.Object.Attrs, exp)
		}
		if got, _ := find(e.readAll(t, k, co), obj.ID); !maps.Equal(got.Attrs, exp) {
			t.Errorf("read after update %v: %v; want %v", u, got.Attrs, exp)
		}
		prev = exp
	}
	if _, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpDelete, Kind: k, Community: co, ID: obj.ID}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, n := find(e.readAll(t, k, co), obj.ID); n != 0 {
		t.Errorf("deleted %s %s is still read", k, obj.ID)
	}
	_, err = ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpDelete, Kind: k, Community: co, ID: obj.ID})
	wantErr(t, err, platform.ErrNotFound, "deleting it again")
	_, err = ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: k, Community: co, ID: obj.ID, Attrs: updates[0]})
	wantErr(t, err, platform.ErrNotFound, "updating it after delete")
	if im, ok := e.c.(platform.Importer); ok {
		_, err := im.Import(ctxBG, platform.ImportRequest{Kind: k, ID: obj.ID})
		wantErr(t, err, platform.ErrNotFound, "importing it after delete")
	}
}

// subset reports whether every key of want that got has holds the same
// value in both.
func subset(want, got platform.Attrs) bool {
	for k, v := range want {
		if g, ok := got[k]; ok && g != v {
			return false
		}
	}
	return true
}

func (s *suite) createDefaults(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	a := e.create(t, platform.KindChannel, co, platform.Attrs{"name": "a", "position": "4"})
	b := e.create(t, platform.KindChannel, co, platform.Attrs{"name": "b"})
	checkObject(t, b, platform.KindChannel, co)
	if pa, pb := a.Attrs["position"], b.Attrs["position"]; pa != "" && pb != "" {
		na, _ := strconv.Atoi(pa)
		nb, _ := strconv.Atoi(pb)
		if nb <= na {
			t.Errorf("a channel created without position is at %d, not after the last (%d)", nb, na)
		}
	}
	r := e.create(t, platform.KindRole, co, platform.Attrs{"name": "plain"})
	checkObject(t, r, platform.KindRole, co)
}

// order checks that Read lists channels and roles by position, whatever
// the order they were created in.
func (s *suite) order(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	for _, k := range []platform.Kind{platform.KindChannel, platform.KindRole} {
		for i, pos := range []string{"5", "1", "3", "1"} {
			e.create(t, k, co, platform.Attrs{"name": fmt.Sprintf("%s-%d", k, i), "position": pos})
		}
		all := e.readAll(t, k, co)
		if len(all) < 4 {
			t.Fatalf("read %d %ss; want at least 4", len(all), k)
		}
		if !sortedByPosition(all) {
			t.Errorf("%ss are not in position order: %v", k, positions(all))
		}
	}
}

func positions(objs []platform.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Attrs["position"])
	}
	return out
}

func sortedByPosition(objs []platform.Object) bool {
	return slices.IsSortedFunc(objs, func(a, b platform.Object) int {
		x, _ := strconv.Atoi(a.Attrs["position"])
		y, _ := strconv.Atoi(b.Attrs["position"])
		return x - y
	})
}

func (s *suite) paging(t *testing.T) {
	e := s.env(t)
	r := need[platform.Reader](t, e.c)
	co := e.community(t)
	size := e.p.PageSize
	if size <= 0 || size > 200 {
		size = 10 // request small pages so the test stays quick
	}
	n := 2*size + 3
	ids := map[string]bool{}
	for i := range n {
		// Positions in reverse so the listing order differs from the
		// creation order.
		o := e.create(t, platform.KindChannel, co, platform.Attrs{"name": fmt.Sprintf("c%03d", i), "position": strconv.Itoa(n - i)})
		ids[o.ID] = true
	}
	pages := 0
	seen := map[string]int{}
	var listed []platform.Object
	req := platform.ReadRequest{Kind: platform.KindChannel, Community: co, PageSize: size}
	if size == e.p.PageSize {
		req.PageSize = 0 // the adapter's default page
	}
	for {
		resp, err := r.Read(ctxBG, req)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if len(resp.Objects) > size {
			t.Errorf("page %d has %d objects; the most is %d", pages, len(resp.Objects), size)
		}
		for _, o := range resp.Objects {
			seen[o.ID]++
			listed = append(listed, o)
		}
		if resp.NextPageToken == "" {
			break
		}
		if pages > n+1 {
			t.Fatal("paging does not end")
		}
		req.PageToken = resp.NextPageToken
	}
	if pages < 3 {
		t.Errorf("%d objects came in %d pages of at most %d", n, pages, size)
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("channel %s listed %d times", id, seen[id])
		}
	}
	if !sortedByPosition(listed) {
		t.Errorf("paged listing not in position order: %v", positions(listed))
	}

	// Changes between pages: objects that exist throughout are listed
	// exactly once, a deleted one not at all.
	first, err := r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel, Community: co, PageSize: size})
	if err != nil || first.NextPageToken == "" {
		t.Fatalf("first page: %v (token %q)", err, first.NextPageToken)
	}
	// Whether this one, created before the cursor, shows is the
	// adapter's business; it must not disturb the others.
	e.create(t, platform.KindChannel, co, platform.Attrs{"name": "early", "position": "-100"})
	victim := listed[len(listed)-1]
	e.apply(t, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindChannel, Community: co, ID: victim.ID})
	rest, err := platform.ReadAll(ctxBG, r, platform.ReadRequest{Kind: platform.KindChannel, Community: co, PageSize: size, PageToken: first.NextPageToken})
	if err != nil {
		t.Fatal(err)
	}
	seen = map[string]int{}
	for _, o := range append(first.Objects, rest...) {
		seen[o.ID]++
	}
	for id := range ids {
		want := 1
		if id == victim.ID {
			want = 0
		}
		if seen[id] != want {
			t.Errorf("with changes between pages, channel %s listed %d times; want %d", id, seen[id], want)
		}
	}

	_, err = r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel, Community: co, PageToken: "not-a-token"})
	wantErr(t, err, platform.ErrInvalid, "a made-up page token")
	_, err = r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindRole, Community: co, PageToken: first.NextPageToken})
	if err == nil {
		t.Error("a channel page token was accepted for roles")
	}
}

func (s *suite) pin(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	ch := e.create(t, platform.KindChannel, co, platform.Attrs{"name": "rules"})
	pin := e.create(t, platform.KindPin, co, platform.Attrs{"channel": ch.ID, "text": "Be kind."})
	checkObject(t, pin, platform.KindPin, co)
	if pin.Attrs["text"] != "Be kind." || pin.Attrs["channel"] != ch.ID {
		t.Errorf("pin %v", pin.Attrs)
	}
	got, n := find(e.readAll(t, platform.KindPin, co), pin.ID)
	if n != 1 || !maps.Equal(got.Attrs, pin.Attrs) {
		t.Errorf("read pin %d times, %v; want once, %v", n, got.Attrs, pin.Attrs)
	}
	up := e.apply(t, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindPin, Community: co, ID: pin.ID, Attrs: platform.Attrs{"text": "Be kind. No spam."}})
	if up.Attrs["text"] != "Be kind. No spam." || up.Attrs["channel"] != ch.ID {
		t.Errorf("updated pin %v", up.Attrs)
	}
	ap := e.c.(platform.Applier)
	_, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindPin, Community: co, ID: pin.ID, Attrs: platform.Attrs{"channel": "elsewhere"}})
	wantErr(t, err, platform.ErrInvalid, "moving a pin to another channel in place")
	if im, ok := e.c.(platform.Importer); ok {
		r, err := im.Import(ctxBG, platform.ImportRequest{Kind: platform.KindPin, Community: co, ID: pin.ID})
		if err != nil || r.Object.Attrs["text"] != "Be kind. No spam." {
			t.Errorf("import pin: %v, %v", r.Object, err)
		}
	}
	e.apply(t, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindPin, Community: co, ID: pin.ID})
	if _, n := find(e.readAll(t, platform.KindPin, co), pin.ID); n != 0 {
		t.Error("deleted pin still read")
	}
	_, err = ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindPin, Community: co, ID: pin.ID})
	wantErr(t, err, platform.ErrNotFound, "deleting a deleted pin")
	_, err = ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindPin, Community: co, Attrs: platform.Attrs{"channel": "no-such-channel", "text": "x"}})
	wantErr(t, err, platform.ErrNotFound, "pinning in a missing channel")
}

func (s *suite) member(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	id := e.member(t, co, "Ann")
	got, n := find(e.readAll(t, platform.KindMember, co), id)
	if n != 1 {
		t.Fatalf("member %s read %d times", id, n)
	}
	checkObject(t, got, platform.KindMember, co)
	if name, ok := got.Attrs["name"]; ok && name != "Ann" {
		t.Errorf("member name %q; want Ann", name)
	}
	if im, ok := e.c.(platform.Importer); ok {
		r, err := im.Import(ctxBG, platform.ImportRequest{Kind: platform.KindMember, Community: co, ID: id})
		if err != nil || !maps.Equal(r.Object.Attrs, got.Attrs) {
			t.Errorf("import member: %+v, %v", r.Object, err)
		}
		_, err = im.Import(ctxBG, platform.ImportRequest{Kind: platform.KindMember, Community: co, ID: "nobody"})
		wantErr(t, err, platform.ErrNotFound, "importing a missing member")
	}
	if ap, ok := e.c.(platform.Applier); ok {
		_, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindMember, Community: co, Attrs: platform.Attrs{"name": "Bob"}})
		if err == nil || !platform.IsPermanent(err) {
			t.Errorf("creating a member with Apply: %v; want a permanent error", err)
		}
	}
}

func (s *suite) roleAssignment(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	m := e.member(t, co, "Ann")
	role := e.create(t, platform.KindRole, co, platform.Attrs{"name": "core"})
	ra := e.create(t, platform.KindRoleAssignment, co, platform.Attrs{"member": m, "role": role.ID})
	checkObject(t, ra, platform.KindRoleAssignment, co)
	if ra.Attrs["member"] != m || ra.Attrs["role"] != role.ID {
		t.Errorf("assignment %v", ra.Attrs)
	}
	if got, n := find(e.readAll(t, platform.KindRoleAssignment, co), ra.ID); n != 1 || !maps.Equal(got.Attrs, ra.Attrs) {
		t.Errorf("read assignment %d times: %v", n, got.Attrs)
	}
	again := e.create(t, platform.KindRoleAssignment, co, platform.Attrs{"member": m, "role": role.ID})
	if again.ID != ra.ID {
		t.Errorf("assigning a held role made %s; want the existing %s", again.ID, ra.ID)
	}
	if _, n := find(e.readAll(t, platform.KindRoleAssignment, co), ra.ID); n != 1 {
		t.Errorf("after assigning twice, read %d times", n)
	}
	if im, ok := e.c.(platform.Importer); ok {
		if r, err := im.Import(ctxBG, platform.ImportRequest{Kind: platform.KindRoleAssignment, ID: ra.ID}); err != nil || r.Object.ID != ra.ID {
			t.Errorf("import assignment: %v, %v", r.Object, err)
		}
	}
	ap := e.c.(platform.Applier)
	_, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRoleAssignment, Community: co, Attrs: platform.Attrs{"member": "nobody", "role": role.ID}})
	wantErr(t, err, platform.ErrNotFound, "assigning a role to someone not in the community")
	e.apply(t, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindRoleAssignment, Community: co, ID: ra.ID})
	_, err = ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindRoleAssignment, Community: co, ID: ra.ID})
	wantErr(t, err, platform.ErrNotFound, "deleting a deleted assignment")

	// Deleting a role takes it from its holders.
	e.create(t, platform.KindRoleAssignment, co, platform.Attrs{"member": m, "role": role.ID})
	e.apply(t, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.KindRole, Community: co, ID: role.ID})
	for _, a := range e.readAll(t, platform.KindRoleAssignment, co) {
		if a.Attrs["role"] == role.ID {
			t.Errorf("assignment %s of a deleted role remains", a.ID)
		}
	}
}

func (s *suite) invalid(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	ap := need[platform.Applier](t, e.c)
	for _, tc := range []struct {
		what string
		req  platform.ApplyRequest
		want error
	}{
		{"unknown attribute", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "x", "colour": "red"}}, platform.ErrInvalid},
		{"missing name", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"topic": "t"}}, platform.ErrInvalid},
		{"bad bool", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "x", "private": "yes"}}, platform.ErrInvalid},
		{"bad color", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindRole, Community: co, Attrs: platform.Attrs{"name": "x", "color": "gold"}}, platform.ErrInvalid},
		{"no community", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Attrs: platform.Attrs{"name": "x"}}, platform.ErrInvalid},
		{"missing community", platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: "no-such-community", Attrs: platform.Attrs{"name": "x"}}, platform.ErrNotFound},
		{"update without id", platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"topic": "t"}}, platform.ErrInvalid},
		{"update of a missing channel", platform.ApplyRequest{Op: platform.OpUpdate, Kind: platform.KindChannel, Community: co, ID: "no-such-channel", Attrs: platform.Attrs{"topic": "t"}}, platform.ErrNotFound},
		{"unknown op", platform.ApplyRequest{Op: "upsert", Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "x"}}, platform.ErrInvalid},
		{"unknown kind", platform.ApplyRequest{Op: platform.OpCreate, Kind: "emoji", Community: co, Attrs: platform.Attrs{"name": "x"}}, platform.ErrInvalid},
	} {
		_, err := ap.Apply(ctxBG, tc.req)
		wantErr(t, err, tc.want, tc.what)
	}
	if all := e.readAll(t, platform.KindChannel, co); len(all) != 0 {
		t.Errorf("refused requests left %d channels", len(all))
	}
	r := need[platform.Reader](t, e.c)
	_, err := r.Read(ctxBG, platform.ReadRequest{Kind: platform.KindChannel})
	wantErr(t, err, platform.ErrInvalid, "reading channels without a community")
	_, err = r.Read(ctxBG, platform.ReadRequest{Kind: "emoji", Community: co})
	if err == nil || !platform.IsPermanent(err) {
		t.Errorf("reading an unknown kind: %v; want a permanent error", err)
	}
}

func (s *suite) cancelled(t *testing.T) {
	e := s.env(t)
	co := e.community(t)
	ap := need[platform.Applier](t, e.c)
	ctx, cancel := context.WithCancel(ctxBG)
	cancel()
	if _, err := ap.Apply(ctx, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co, Attrs: platform.Attrs{"name": "late"}}); err == nil {
		t.Error("Apply with a cancelled context succeeded")
	}
	if all := e.readAll(t, platform.KindChannel, co); len(all) != 0 {
		t.Errorf("a cancelled Apply created %d channels", len(all))
	}
}

func (s *suite) perform(t *testing.T) {
	e := s.env(t)
	pf := need[platform.Performer](t, e.c)
	co := e.community(t)
	// Objects are made when a subtest first needs them, so a platform
	// that only performs (a chat robot) runs the subtests it can.
	var chID, roleID, ann, bob string
	channel := func(t *testing.T) string {
		t.Helper()
		if chID == "" {
			if e.p.Channel != nil {
				chID = e.p.Channel(t, e.c, co)
			} else {
				chID = e.create(t, platform.KindChannel, co, platform.Attrs{"name": "general"}).ID
			}
		}
		return chID
	}
	role := func(t *testing.T) string {
		t.Helper()
		if roleID == "" {
			roleID = e.create(t, platform.KindRole, co, platform.Attrs{"name": "core"}).ID
		}
		return roleID
	}
	members := func(t *testing.T) {
		t.Helper()
		if ann == "" {
			ann = e.member(t, co, "Ann")
			bob = e.member(t, co, "Bob")
		}
	}
	keyN := 0
	key := func() string { keyN++; return fmt.Sprintf("test-key-%d", keyN) }
	do := func(t *testing.T, req platform.PerformRequest) platform.PerformResponse {
		t.Helper()
		resp, err := pf.Perform(ctxBG, req)
		skipUnsupported(t, err, string(req.Action))
		if err != nil {
			t.Fatalf("%s: %v", req.Action, err)
		}
		return resp
	}
	count := func(t *testing.T, k platform.Kind, match func(platform.Object) bool) int {
		t.Helper()
		r, ok := e.c.(platform.Reader)
		if !ok {
			return -1
		}
		objs, err := platform.ReadAll(ctxBG, r, platform.ReadRequest{Kind: k, Community: co})
		if errors.Is(err, platform.ErrUnsupported) {
			return -1
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if match(o) {
				n++
			}
		}
		return n
	}

	t.Run("ChannelMessage", func(t *testing.T) {
		req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key(), Community: co, Channel: channel(t), Text: "Hello, explorers!"}
		first := do(t, req)
		if first.Duplicate {
			t.Error("first call answered Duplicate")
		}
		second := do(t, req)
		if !second.Duplicate || second.ID != first.ID {
			t.Errorf("repeat with the same key: %+v; want Duplicate with id %q", second, first.ID)
		}
		if n := count(t, platform.KindMessage, func(o platform.Object) bool { return o.Attrs["text"] == "Hello, explorers!" }); n >= 0 && n != 1 {
			t.Errorf("the message was posted %d times", n)
		}
		other := req
		other.Text = "Something else"
		_, err := pf.Perform(ctxBG, other)
		wantErr(t, err, platform.ErrKeyReused, "the same key for another message")
		missing := req
		missing.Key, missing.Channel = key(), "no-such-channel"
		_, err = pf.Perform(ctxBG, missing)
		wantErr(t, err, platform.ErrNotFound, "posting in a missing channel")
		nokey := req
		nokey.Key = ""
		_, err = pf.Perform(ctxBG, nokey)
		wantErr(t, err, platform.ErrInvalid, "no idempotency key")
	})
	t.Run("DirectMessage", func(t *testing.T) {
		members(t)
		req := platform.PerformRequest{Action: platform.ActionDirectMessage, Key: key(), Community: co, Member: ann, Text: "Welcome, Ann"}
		first := do(t, req)
		if again := do(t, req); !again.Duplicate || again.ID != first.ID {
			t.Errorf("repeat: %+v", again)
		}
		if n := count(t, platform.KindDirectMessage, func(o platform.Object) bool { return o.Attrs["text"] == "Welcome, Ann" }); n >= 0 && n != 1 {
			t.Errorf("the direct message was sent %d times", n)
		}
		req.Key, req.Member = key(), "nobody"
		_, err := pf.Perform(ctxBG, req)
		wantErr(t, err, platform.ErrNotFound, "a direct message to someone not in the community")
	})
	t.Run("Roles", func(t *testing.T) {
		members(t)
		role := role(t)
		holds := func() int {
			return count(t, platform.KindRoleAssignment, func(o platform.Object) bool {
				return o.Attrs["member"] == ann && o.Attrs["role"] == role
			})
		}
		// Held says whether the member held the role before, so the
		// engine takes back only what it gave; HeldUnknown where the
		// adapter cannot tell, but never a wrong answer, and a retry of
		// a key answers as its first call did.
		add := platform.PerformRequest{Action: platform.ActionRoleAdd, Key: key(), Community: co, Member: ann, Role: role}
		first := do(t, add)
		if first.Held == platform.HeldYes {
			t.Errorf("the first add says the member held the role already")
		}
		if again := do(t, add); again.Held != first.Held {
			t.Errorf("a retry of the first add says held %q, the first call %q", again.Held, first.Held)
		}
		if second := do(t, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: key(), Community: co, Member: ann, Role: role}); second.Held == platform.HeldNo {
			t.Errorf("a second add says the member did not hold the role")
		}
		if n := holds(); n >= 0 && n != 1 {
			t.Errorf("after two adds, %d assignments", n)
		}
		do(t, platform.PerformRequest{Action: platform.ActionRoleRemove, Key: key(), Community: co, Member: ann, Role: role})
		do(t, platform.PerformRequest{Action: platform.ActionRoleRemove, Key: key(), Community: co, Member: ann, Role: role})
		if n := holds(); n > 0 {
			t.Errorf("after remove, %d assignments", n)
		}
		_, err := pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionRoleAdd, Key: key(), Community: co, Member: ann, Role: "no-such-role"})
		wantErr(t, err, platform.ErrNotFound, "adding a missing role")
	})
	t.Run("Mute", func(t *testing.T) {
		members(t)
		// "?" when the platform cannot show mutes.
		mutedUntil := func() string {
			if _, ok := e.c.(platform.Reader); !ok {
				return "?"
			}
			got, _ := find(e.readAll(t, platform.KindMember, co), bob)
			if v, ok := got.Attrs["muted_until"]; ok {
				return v
			}
			return "?"
		}
		do(t, platform.PerformRequest{Action: platform.ActionMute, Key: key(), Community: co, Member: bob, Duration: time.Hour, Reason: "spam"})
		if v := mutedUntil(); v == "" {
			t.Error("muted member has no muted_until")
		}
		if e.p.Muted != nil && !e.p.Muted(t, e.c, co, bob) {
			t.Error("muted member is not muted on the platform")
		}
		do(t, platform.PerformRequest{Action: platform.ActionUnmute, Key: key(), Community: co, Member: bob})
		if v := mutedUntil(); v != "" && v != "?" {
			t.Errorf("unmuted member has muted_until %q", v)
		}
		if e.p.Muted == nil {
			return
		}
		if e.p.Muted(t, e.c, co, bob) {
			t.Error("unmuted member is still muted on the platform")
		}
		// Expiry: a short mute past its time has ended on a platform
		// that ends mutes by itself, and is still in force on one whose
		// mutes last until lifted (hearth's unmute at the end lifts it).
		do(t, platform.PerformRequest{Action: platform.ActionMute, Key: key(), Community: co, Member: bob, Duration: 2 * time.Second, Reason: "spam"})
		time.Sleep(3 * time.Second)
		switch muted := e.p.Muted(t, e.c, co, bob); {
		case e.p.UnmuteAtEnd && !muted:
			t.Error("a mute past its time ended by itself: the adapter's UnmuteAtEnd should be false")
		case !e.p.UnmuteAtEnd && muted:
			t.Error("a mute past its time is still in force: the adapter's spec must say UnmuteAtEnd, so hearth lifts it")
		}
		do(t, platform.PerformRequest{Action: platform.ActionUnmute, Key: key(), Community: co, Member: bob})
		if e.p.Muted(t, e.c, co, bob) {
			t.Error("the unmute at a mute's end left the member muted")
		}
	})
	t.Run("DeleteMessage", func(t *testing.T) {
		ch := channel(t)
		msg := do(t, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key(), Community: co, Channel: ch, Text: "oops"})
		if msg.ID == "" {
			t.Skip("the platform gives posted messages no id (a webhook robot), so they cannot be deleted")
		}
		do(t, platform.PerformRequest{Action: platform.ActionDeleteMessage, Key: key(), Community: co, Message: msg.ID, Reason: "spam"})
		if n := count(t, platform.KindMessage, func(o platform.Object) bool { return o.ID == msg.ID }); n > 0 {
			t.Error("deleted message still read")
		}
		_, err := pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionDeleteMessage, Key: key(), Community: co, Message: msg.ID})
		wantErr(t, err, platform.ErrNotFound, "deleting a deleted message")
	})
	t.Run("KickBan", func(t *testing.T) {
		members(t)
		inCommunity := func(id string) int {
			return count(t, platform.KindMember, func(o platform.Object) bool { return o.ID == id })
		}
		carl := e.member(t, co, "Carl")
		do(t, platform.PerformRequest{Action: platform.ActionKick, Key: key(), Community: co, Member: carl, Reason: "rude"})
		if n := inCommunity(carl); n > 0 {
			t.Error("kicked member is still a member")
		}
		_, err := pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionKick, Key: key(), Community: co, Member: carl})
		wantErr(t, err, platform.ErrNotFound, "kicking someone not in the community")
		do(t, platform.PerformRequest{Action: platform.ActionBan, Key: key(), Community: co, Member: bob, Reason: "spam"})
		if n := inCommunity(bob); n > 0 {
			t.Error("banned member is still a member")
		}
		do(t, platform.PerformRequest{Action: platform.ActionUnban, Key: key(), Community: co, Member: bob})
		_, err = pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionUnban, Key: key(), Community: co, Member: bob})
		wantErr(t, err, platform.ErrNotFound, "lifting a ban that is not there")
	})
	t.Run("Shape", func(t *testing.T) {
		_, err := pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: key(), Community: co, Channel: channel(t)})
		wantErr(t, err, platform.ErrInvalid, "a message without text")
		someone := cmp.Or(ann, "member-1")
		_, err = pf.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionKick, Key: key(), Community: co, Member: someone, Text: "bye"})
		wantErr(t, err, platform.ErrInvalid, "a kick with text")
		_, err = pf.Perform(ctxBG, platform.PerformRequest{Action: "hug", Key: key(), Community: co, Member: someone})
		if err == nil || !platform.IsPermanent(err) {
			t.Errorf("an unknown action: %v; want a permanent error", err)
		}
	})
}

func (s *suite) persistence(t *testing.T) {
	e := s.env(t)
	if !e.p.Persistent {
		t.Skip("the platform does not persist (Platform.Persistent)")
	}
	co := e.community(t)
	ch := e.create(t, platform.KindChannel, co, platform.Attrs{"name": "kept", "topic": "still here"})
	req := platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "persist-1", Community: co, Channel: ch.ID, Text: "once"}
	var first platform.PerformResponse
	if pf, ok := e.c.(platform.Performer); ok {
		var err error
		if first, err = pf.Perform(ctxBG, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := open(t, e.p)
	e2 := &env{p: e.p, c: c2}
	got, n := find(e2.readAll(t, platform.KindChannel, co), ch.ID)
	if n != 1 || !maps.Equal(got.Attrs, ch.Attrs) {
		t.Errorf("after reopening: %d of %s, %v; want %v", n, ch.ID, got.Attrs, ch.Attrs)
	}
	if pf, ok := c2.(platform.Performer); ok {
		again, err := pf.Perform(ctxBG, req)
		if err != nil || !again.Duplicate || again.ID != first.ID {
			t.Errorf("the same key after reopening: %+v, %v; want Duplicate of %q", again, err, first.ID)
		}
	}
}

func (s *suite) concurrent(t *testing.T) {
	e := s.env(t)
	if !e.p.Concurrent {
		t.Skip("the platform is not safe for concurrent use (Platform.Concurrent)")
	}
	co := e.community(t)
	conns := []platform.Conn{e.c, open(t, e.p)}
	const workers, each = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, len(conns)*workers*each)
	for ci, c := range conns {
		ap := need[platform.Applier](t, c)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					_, err := ap.Apply(ctxBG, platform.ApplyRequest{Op: platform.OpCreate, Kind: platform.KindChannel, Community: co,
						Attrs: platform.Attrs{"name": fmt.Sprintf("c%d-w%d-%d", ci, w, i)}})
					if err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent create: %v", err)
	}
	all := e.readAll(t, platform.KindChannel, co)
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, o := range all {
		ids[o.ID] = true
		names[o.Attrs["name"]] = true
	}
	if want := len(conns) * workers * each; len(all) != want || len(ids) != want || len(names) != want {
		t.Errorf("%d concurrent creates gave %d channels, %d ids, %d names", want, len(all), len(ids), len(names))
	}

	if _, ok := e.c.(platform.Performer); !ok {
		return
	}
	ch := all[0]
	var fresh atomic.Int32
	results := make(chan string, 2*workers)
	for _, c := range conns {
		p := c.(platform.Performer)
		for range workers {
			wg.Go(func() {
				resp, err := p.Perform(ctxBG, platform.PerformRequest{Action: platform.ActionChannelMessage, Key: "race", Community: co, Channel: ch.ID, Text: "only once"})
				if err != nil {
					t.Errorf("concurrent perform: %v", err)
					return
				}
				if !resp.Duplicate {
					fresh.Add(1)
				}
				results <- resp.ID
			})
		}
	}
	wg.Wait()
	close(results)
	if fresh.Load() != 1 {
		t.Errorf("%d concurrent calls with one key performed %d times; want 1", 2*workers, fresh.Load())
	}
	var first string
	for id := range results {
		if first == "" {
			first = id
		}
		if id != first {
			t.Errorf("concurrent calls with one key got ids %q and %q", first, id)
		}
	}
}

func (s *suite) stream(t *testing.T) {
	e := s.env(t)
	st := need[platform.Streamer](t, e.c)
	if e.p.Post == nil {
		t.Skip("Platform.Post is nil")
	}
	co := e.community(t)
	ch := e.create(t, platform.KindChannel, co, platform.Attrs{"name": "help"})
	ann := e.member(t, co, "Ann")
	e.p.Post(t, e.c, ch.ID, ann, "How do I start?")
	e.p.Post(t, e.c, ch.ID, ann, "Found it, thanks")

	collect := func(after string) []platform.Delivery {
		t.Helper()
		var out []platform.Delivery
		ctx, cancel := context.WithTimeout(ctxBG, 10*time.Second)
		defer cancel()
		err := st.Stream(ctx, platform.StreamRequest{After: after}, func(_ context.Context, d platform.Delivery) error {
			out = append(out, d)
			return nil
		})
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		return out
	}
	all := collect("")
	var posts []platform.Delivery
	for _, d := range all {
		if err := d.Event.Check(); err != nil {
			t.Errorf("event %+v: %v", d.Event, err)
		}
		if d.Cursor == "" {
			t.Errorf("event %s has no cursor", d.Event.ID)
		}
		if d.Event.Type == "message.posted" && d.Event.Member.ID == ann {
			posts = append(posts, d)
		}
	}
	if len(posts) != 2 {
		t.Fatalf("streamed %d message.posted events of the member; want 2 (all: %v)", len(posts), types(all))
	}
	if posts[0].Event.Attrs["text"] != nil && posts[0].Event.Attrs["text"] != "How do I start?" {
		t.Errorf("first post text %v", posts[0].Event.Attrs["text"])
	}
	again := collect("")
	if !slices.EqualFunc(all, again, func(a, b platform.Delivery) bool { return a.Event.ID == b.Event.ID && a.Cursor == b.Cursor }) {
		t.Errorf("streaming twice gave different ids: %v and %v", ids(all), ids(again))
	}
	rest := collect(posts[0].Cursor)
	if len(rest) == 0 || rest[0].Event.ID == posts[0].Event.ID {
		t.Errorf("resuming after %s redelivered it: %v", posts[0].Cursor, ids(rest))
	}
	if !slices.ContainsFunc(rest, func(d platform.Delivery) bool { return d.Event.ID == posts[1].Event.ID }) {
		t.Errorf("resuming after the first post lost the second: %v", ids(rest))
	}

	// A handler error stops the stream and comes back.
	stop := errors.New("stop")
	calls := 0
	err := st.Stream(ctxBG, platform.StreamRequest{}, func(context.Context, platform.Delivery) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("handler error: Stream returned %v after %d calls; want the handler's error after 1", err, calls)
	}

	// Following: a new post arrives without asking again, and cancelling
	// ends the stream.
	last := all[len(all)-1].Cursor
	got := make(chan platform.Delivery, 16)
	ctx, cancel := context.WithCancel(ctxBG)
	done := make(chan error, 1)
	go func() {
		done <- st.Stream(ctx, platform.StreamRequest{After: last, Follow: true}, func(_ context.Context, d platform.Delivery) error {
			got <- d
			return nil
		})
	}()
	e.p.Post(t, e.c, ch.ID, ann, "One more thing")
	select {
	case d := <-got:
		if d.Event.Type != "message.posted" {
			t.Errorf("followed event %s; want message.posted", d.Event.Type)
		}
	case <-time.After(10 * time.Second):
		t.Error("a following stream did not deliver a new post within 10s")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled stream returned %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("a cancelled stream did not return")
	}
}

func types(ds []platform.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Event.Type)
	}
	return out
}

func ids(ds []platform.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Event.ID)
	}
	return out
}
