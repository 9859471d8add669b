package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
)

func TestClassify(t *testing.T) {
	rl := &RateLimitError{After: 3 * time.Second}
	for _, tc := range []struct {
		name  string
		err   error
		class Class
		wait  time.Duration
	}{
		{"nil", nil, ClassNone, 0},
		{"not found", fmt.Errorf("channel x: %w", ErrNotFound), ClassPermanent, 0},
		{"invalid", ErrInvalid, ClassPermanent, 0},
		{"unsupported", ErrUnsupported, ClassPermanent, 0},
		{"conflict", ErrConflict, ClassPermanent, 0},
		{"key reused", ErrKeyReused, ClassPermanent, 0},
		{"member not found", fmt.Errorf("member %q is not in community c1: %w", "u1", ErrMemberNotFound), ClassPermanent, 0},
		{"rate limit", fmt.Errorf("apply: %w", rl), ClassTemporary, 3 * time.Second},
		{"temporary", Temporary(errors.New("502"), time.Second), ClassTemporary, time.Second},
		{"permanent", Permanent(errors.New("403 missing access")), ClassPermanent, 0},
		{"unknown", errors.New("connection reset by peer"), ClassTemporary, 0},
		{"cancelled", context.Canceled, ClassTemporary, 0},
		// The outermost explicit mark wins over a sentinel inside.
		{"temporary not found", Temporary(ErrNotFound, 0), ClassTemporary, 0},
		{"permanent rate limit", Permanent(rl), ClassPermanent, 0},
		{"joined", errors.Join(errors.New("a"), rl), ClassTemporary, 3 * time.Second},
		{"negative wait", &RateLimitError{After: -time.Second}, ClassTemporary, 0},
	} {
		c, d := Classify(tc.err)
		if c != tc.class || d != tc.wait {
			t.Errorf("%s: Classify = %v, %s; want %v, %s", tc.name, c, d, tc.class, tc.wait)
		}
	}
	if !errors.Is(Temporary(ErrNotFound, 0), ErrNotFound) {
		t.Error("Temporary hides the wrapped error from errors.Is")
	}
	var got *RateLimitError
	if !errors.As(fmt.Errorf("x: %w", rl), &got) || got.RetryAfter() != 3*time.Second {
		t.Error("errors.As does not find a wrapped RateLimitError")
	}
	// Errors of other packages are classified by their methods, the way
	// engine/outbox marks its own.
	if c, d := Classify(fmt.Errorf("send: %w", foreignRateLimit{})); c != ClassTemporary || d != time.Minute {
		t.Errorf("an error with RetryAfter(): %v, %s", c, d)
	}
	if c, _ := Classify(foreignPermanent{}); c != ClassPermanent {
		t.Errorf("an error with Permanent(): %v", c)
	}
	// And others can classify ours by the same methods.
	var p interface{ Permanent() bool }
	if !errors.As(fmt.Errorf("x: %w", ErrNotFound), &p) || !p.Permanent() {
		t.Error("ErrNotFound does not say it is permanent")
	}
	if Temporary(nil, 0) != nil || Permanent(nil) != nil {
		t.Error("wrapping nil made an error")
	}
	if s := (&RateLimitError{After: time.Second, Global: true}).Error(); !strings.Contains(s, "globally") {
		t.Errorf("message %q", s)
	}
}

// ErrMemberNotFound is a not-found to errors.Is and says which kind
// by its method, which other packages (the outbox) test for; a plain
// not-found does not say it.
func TestMemberNotFound(t *testing.T) {
	err := fmt.Errorf("member %q is not in community c1: %w", "u1", ErrMemberNotFound)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrMemberNotFound) {
		t.Error("a member not found is not ErrNotFound and ErrMemberNotFound to errors.Is")
	}
	if err.Error() != `member "u1" is not in community c1: not found` {
		t.Errorf("message %q", err)
	}
	var m interface{ MemberNotFound() bool }
	if !errors.As(err, &m) || !m.MemberNotFound() {
		t.Error("a member not found does not say so")
	}
	if errors.As(fmt.Errorf("role r: %w", ErrNotFound), &m) || errors.Is(ErrNotFound, ErrMemberNotFound) {
		t.Error("a plain not-found says it is a member's")
	}
}

type foreignRateLimit struct{}

func (foreignRateLimit) Error() string             { return "429" }
func (foreignRateLimit) RetryAfter() time.Duration { return time.Minute }

type foreignPermanent struct{}

func (foreignPermanent) Error() string   { return "403" }
func (foreignPermanent) Permanent() bool { return true }

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		f       Format
		in, out string
		bad     bool
	}{
		{FormatText, " as is ", " as is ", false},
		{FormatBool, "true", "true", false},
		{FormatBool, "True", "", true},
		{FormatInt, "007", "7", false},
		{FormatInt, "-3", "-3", false},
		{FormatInt, "+4", "4", false},
		{FormatInt, "1.5", "", true},
		{FormatColor, "#F1C40F", "#f1c40f", false},
		{FormatColor, "", "", false},
		{FormatColor, "#fff", "", true},
		{FormatColor, "#gggggg", "", true},
		{FormatList, "b,a,b", "a,b", false},
		{FormatList, " send_messages , manage_messages", "manage_messages,send_messages", false},
		{FormatList, "", "", false},
		{FormatList, "a,,b", "", true},
		{FormatList, "Manage", "", true},
		{FormatTime, "2026-03-01T13:00:00.5+01:00", "2026-03-01T12:00:00Z", false},
		{FormatTime, "", "", false},
		{FormatTime, "yesterday", "", true},
		{FormatID, "ch-1", "ch-1", false},
		{FormatID, "", "", true},
		{FormatID, " ch-1", "", true},
		{Format(99), "x", "", true},
	} {
		got, err := Canonical(tc.f, tc.in)
		if (err != nil) != tc.bad || got != tc.out {
			t.Errorf("Canonical(%v, %q) = %q, %v; want %q, error %v", tc.f, tc.in, got, err, tc.out, tc.bad)
		}
	}
	if s, err := FormatListValue([]string{"view_channel", "add_reactions", "view_channel"}); err != nil || s != "add_reactions,view_channel" {
		t.Errorf("FormatListValue = %q, %v", s, err)
	}
	if got := SplitList(""); got != nil {
		t.Errorf("SplitList(\"\") = %v", got)
	}
}

// TestKindSpecs keeps the documentation table consistent: every kind
// documented, attribute names unique, required ones settable.
func TestKindSpecs(t *testing.T) {
	seen := map[Kind]bool{}
	for _, k := range Kinds() {
		if seen[k.Kind] || k.Doc == "" || k.Order == "" {
			t.Errorf("kind %q: duplicate or undocumented", k.Kind)
		}
		seen[k.Kind] = true
		names := map[string]bool{}
		for _, a := range k.Attrs {
			if names[a.Name] || a.Doc == "" {
				t.Errorf("%s.%s: duplicate or undocumented", k.Kind, a.Name)
			}
			names[a.Name] = true
			if a.Required && !a.Settable || a.Mutable && !a.Settable {
				t.Errorf("%s.%s: required or mutable but not settable", k.Kind, a.Name)
			}
		}
		if k.Managed != slicesAny(k.Attrs, func(a AttrSpec) bool { return a.Settable }) {
			t.Errorf("%s: managed kinds, and only they, have settable attributes", k.Kind)
		}
	}
	if _, ok := SpecOf("emoji"); ok {
		t.Error("SpecOf knows an undocumented kind")
	}
	pin, _ := SpecOf(KindPin)
	if ch, _ := pin.Attr("channel"); !ch.ForceNew() {
		t.Error("moving a pin should force a new one")
	}
	if au, _ := pin.Attr("author"); !au.ReadOnly() {
		t.Error("a pin's author should be read-only")
	}
}

func slicesAny[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if f(x) {
			return true
		}
	}
	return false
}

func TestCheckApply(t *testing.T) {
	ok := ApplyRequest{Op: OpCreate, Kind: KindRole, Community: "co-1", Attrs: Attrs{"name": "core", "color": "#ABCDEF", "permissions": "b,a"}}
	got, err := CheckApply(ok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrs["color"] != "#abcdef" || got.Attrs["permissions"] != "a,b" {
		t.Errorf("not canonical: %v", got.Attrs)
	}
	if ok.Attrs["color"] != "#ABCDEF" {
		t.Error("CheckApply changed the caller's attributes")
	}
	for _, tc := range []struct {
		name string
		req  ApplyRequest
		want error
	}{
		{"unknown kind", ApplyRequest{Op: OpCreate, Kind: "emoji"}, ErrInvalid},
		{"read-only kind", ApplyRequest{Op: OpCreate, Kind: KindMember, Community: "co-1", Attrs: Attrs{"name": "x"}}, ErrUnsupported},
		{"bad op", ApplyRequest{Op: "merge", Kind: KindChannel, Community: "co-1"}, ErrInvalid},
		{"no community", ApplyRequest{Op: OpCreate, Kind: KindChannel, Attrs: Attrs{"name": "x"}}, ErrInvalid},
		{"community for a community", ApplyRequest{Op: OpCreate, Kind: KindCommunity, Community: "co-1", Attrs: Attrs{"name": "x"}}, ErrInvalid},
		{"create with id", ApplyRequest{Op: OpCreate, Kind: KindChannel, Community: "co-1", ID: "ch-1", Attrs: Attrs{"name": "x"}}, ErrInvalid},
		{"update without id", ApplyRequest{Op: OpUpdate, Kind: KindChannel, Community: "co-1"}, ErrInvalid},
		{"delete with attrs", ApplyRequest{Op: OpDelete, Kind: KindChannel, Community: "co-1", ID: "ch-1", Attrs: Attrs{"name": "x"}}, ErrInvalid},
		{"unknown attr", ApplyRequest{Op: OpCreate, Kind: KindChannel, Community: "co-1", Attrs: Attrs{"name": "x", "nsfw": "true"}}, ErrInvalid},
		{"read-only attr", ApplyRequest{Op: OpCreate, Kind: KindPin, Community: "co-1", Attrs: Attrs{"channel": "ch-1", "text": "x", "author": "mb-1"}}, ErrInvalid},
		{"force-new attr in update", ApplyRequest{Op: OpUpdate, Kind: KindPin, Community: "co-1", ID: "msg-1", Attrs: Attrs{"channel": "ch-2"}}, ErrInvalid},
		{"missing required", ApplyRequest{Op: OpCreate, Kind: KindPin, Community: "co-1", Attrs: Attrs{"channel": "ch-1"}}, ErrInvalid},
		{"empty required", ApplyRequest{Op: OpUpdate, Kind: KindChannel, Community: "co-1", ID: "ch-1", Attrs: Attrs{"name": ""}}, ErrInvalid},
		{"bad value", ApplyRequest{Op: OpCreate, Kind: KindChannel, Community: "co-1", Attrs: Attrs{"name": "x", "position": "first"}}, ErrInvalid},
	} {
		if _, err := CheckApply(tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestCheckPerform(t *testing.T) {
	good := []PerformRequest{
		{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi"},
		{Action: ActionRoleAdd, Key: "k", Community: "co-1", Member: "mb-1", Role: "ro-1", Reason: "tier core"},
		{Action: ActionMute, Key: "k", Community: "co-1", Member: "mb-1", Duration: time.Hour},
		{Action: ActionBan, Key: "k", Community: "co-1", Member: "mb-1"},
		{Action: ActionDeleteMessage, Key: "k", Community: "co-1", Message: "msg-1", Channel: "ch-1"},
		{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Level: "0"},
		{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Level: "4", Lock: true},
		{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1"},
		{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Level: "2", Raise: true},
		{Action: ActionBadgeRevoke, Key: "k", Community: "co-1", Member: "mb-1", Badge: "Regular"},
		{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi Ann, Zoë", Mentions: []Mention{{ID: "1", Start: 3, End: 6}, {ID: "2", Start: 8, End: 12}}},
		{Action: ActionDirectMessage, Key: "k", Community: "co-1", Member: "mb-1", Text: "Ann", Mentions: []Mention{{ID: "1", Start: 0, End: 3}}},
	}
	for _, r := range good {
		if err := CheckPerform(r); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []struct {
		req  PerformRequest
		want error
	}{
		{PerformRequest{Action: "hug", Key: "k", Community: "co-1"}, ErrUnsupported},
		{PerformRequest{Action: ActionKick, Community: "co-1", Member: "mb-1"}, ErrInvalid},
		{PerformRequest{Action: ActionKick, Key: strings.Repeat("k", MaxKeyLen+1), Community: "co-1", Member: "mb-1"}, ErrInvalid},
		{PerformRequest{Action: ActionKick, Key: "k", Member: "mb-1"}, ErrInvalid},
		{PerformRequest{Action: ActionMute, Key: "k", Community: "co-1", Member: "mb-1"}, ErrInvalid},
		{PerformRequest{Action: ActionKick, Key: "k", Community: "co-1", Member: "mb-1", Role: "ro-1"}, ErrInvalid},
		{PerformRequest{Action: ActionBan, Key: "k", Community: "co-1", Member: "mb-1", Duration: -time.Second}, ErrInvalid},
		{PerformRequest{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Level: "5"}, ErrInvalid},
		{PerformRequest{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Lock: true}, ErrInvalid},
		{PerformRequest{Action: ActionTrustLevel, Key: "k", Community: "co-1", Level: "2"}, ErrInvalid},
		{PerformRequest{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Raise: true}, ErrInvalid},
		{PerformRequest{Action: ActionTrustLevel, Key: "k", Community: "co-1", Member: "mb-1", Level: "2", Raise: true, Lock: true}, ErrInvalid},
		{PerformRequest{Action: ActionBadgeGrant, Key: "k", Community: "co-1", Member: "mb-1", Badge: "b", Level: "2"}, ErrInvalid},
		{PerformRequest{Action: ActionBadgeRevoke, Key: "k", Community: "co-1", Member: "mb-1"}, ErrInvalid},
		// Mentions: only with messages, inside the text, in order, whole
		// characters, with an id.
		{PerformRequest{Action: ActionKick, Key: "k", Community: "co-1", Member: "mb-1", Mentions: []Mention{{ID: "1", Start: 0, End: 1}}}, ErrInvalid},
		{PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi", Mentions: []Mention{{ID: "1", Start: 1, End: 3}}}, ErrInvalid},
		{PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi", Mentions: []Mention{{ID: "1", Start: 1, End: 1}}}, ErrInvalid},
		{PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi Ann", Mentions: []Mention{{ID: "1", Start: 3, End: 6}, {ID: "1", Start: 0, End: 2}}}, ErrInvalid},
		{PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "Zoë", Mentions: []Mention{{ID: "1", Start: 0, End: 3}}}, ErrInvalid},
		{PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "co-1", Channel: "ch-1", Text: "hi", Mentions: []Mention{{Start: 0, End: 2}}}, ErrInvalid},
	}
	for _, tc := range bad {
		if err := CheckPerform(tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v; want %v", tc.req, err, tc.want)
		}
	}
	for _, a := range Actions() {
		if _, ok := actionFields[a]; !ok {
			t.Errorf("action %s has no field list", a)
		}
	}
}

func TestSettings(t *testing.T) {
	s := map[string]cty.Value{
		"path":    cty.StringVal("p.json").Mark(config.Sensitive),
		"token":   cty.ListValEmpty(cty.String).Mark(config.Sensitive),
		"size":    cty.NumberIntVal(50),
		"half":    cty.NumberFloatVal(2.5),
		"on":      cty.True,
		"null":    cty.NullVal(cty.String),
		"unknown": cty.UnknownVal(cty.String),
		"numstr":  cty.StringVal("12"),
	}
	if v, err := SettingString(s, "path", "d"); err != nil || v != "p.json" {
		t.Errorf("sensitive string: %q, %v", v, err)
	}
	if v, err := SettingString(s, "missing", "d"); err != nil || v != "d" {
		t.Errorf("missing: %q, %v", v, err)
	}
	if v, err := SettingString(s, "null", "d"); err != nil || v != "d" {
		t.Errorf("null: %q, %v", v, err)
	}
	if _, err := SettingString(s, "unknown", "d"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown: %v", err)
	}
	_, err := SettingString(s, "token", "")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "sensitive") {
		t.Errorf("sensitive wrong type: %v", err)
	}
	if n, err := SettingInt(s, "size", 0); err != nil || n != 50 {
		t.Errorf("int: %d, %v", n, err)
	}
	if n, err := SettingInt(s, "numstr", 0); err != nil || n != 12 {
		t.Errorf("int from string: %d, %v", n, err)
	}
	if _, err := SettingInt(s, "half", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("fraction: %v", err)
	}
	if b, err := SettingBool(s, "on", false); err != nil || !b {
		t.Errorf("bool: %v, %v", b, err)
	}
	if v, err := SettingString(nil, "x", "d"); err != nil || v != "d" {
		t.Errorf("nil settings: %q, %v", v, err)
	}
}

// sliceReader is a Reader over a fixed list, paging by offset, with a
// switch to misbehave the way a buggy adapter could.
type sliceReader struct {
	objs       []Object
	stuckToken bool
}

func (r *sliceReader) Read(_ context.Context, req ReadRequest) (ReadResponse, error) {
	start := 0
	if req.PageToken != "" {
		n, err := strconv.Atoi(req.PageToken)
		if err != nil {
			return ReadResponse{}, ErrInvalid
		}
		start = n
	}
	end := min(start+2, len(r.objs))
	resp := ReadResponse{Objects: r.objs[start:end]}
	if end < len(r.objs) {
		resp.NextPageToken = strconv.Itoa(end)
		if r.stuckToken {
			resp.NextPageToken = "2"
		}
	}
	return resp, nil
}

func TestReadAll(t *testing.T) {
	var objs []Object
	for i := range 5 {
		objs = append(objs, Object{Kind: KindChannel, ID: strconv.Itoa(i)})
	}
	got, err := ReadAll(context.Background(), &sliceReader{objs: objs}, ReadRequest{Kind: KindChannel})
	if err != nil || len(got) != 5 || got[4].ID != "4" {
		t.Errorf("ReadAll = %v, %v", got, err)
	}
	_, err = ReadAll(context.Background(), &sliceReader{objs: objs, stuckToken: true}, ReadRequest{Kind: KindChannel})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a repeating token: %v; want an error, not a loop", err)
	}
	n := 0
	for o, err := range All(context.Background(), &sliceReader{objs: objs}, ReadRequest{Kind: KindChannel}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; o.ID == "2" {
			break
		}
	}
	if n != 3 {
		t.Errorf("breaking out of All after 3 read %d", n)
	}
}

// registryAdapter is a minimal Adapter for registry tests.
type registryAdapter struct{ typ, specType string }

func (a registryAdapter) Type() string { return a.typ }
func (a registryAdapter) Spec() config.PlatformSpec {
	return config.PlatformSpec{Type: a.specType}
}
func (a registryAdapter) Open(context.Context, OpenRequest) (Conn, error) {
	return nil, errors.New("cannot open")
}

func TestRegistry(t *testing.T) {
	r, err := NewRegistry(registryAdapter{"b", "b"}, registryAdapter{"a", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Types(), ","); got != "a,b" {
		t.Errorf("types %s", got)
	}
	if _, ok := r.Lookup("a"); !ok {
		t.Error("lookup a")
	}
	if len(r.Specs()) != 2 {
		t.Errorf("specs %v", r.Specs())
	}
	for _, bad := range [][]Adapter{
		{registryAdapter{"a", "a"}, registryAdapter{"a", "a"}},
		{registryAdapter{"", ""}},
		{registryAdapter{"a", "b"}},
		{nil},
	} {
		if _, err := NewRegistry(bad...); err == nil {
			t.Errorf("NewRegistry(%v) accepted", bad)
		}
	}
	_, err = r.Open(context.Background(), &config.Platform{Type: "a", Name: "main"}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "platform.a.main") {
		t.Errorf("open error should name the block: %v", err)
	}
	// A block read from a file is named with its file and line, where
	// the setting or token to fix is.
	p := &config.Platform{Type: "a", Name: "main", DeclRange: hcl.Range{Filename: "club/main.hcl", Start: hcl.Pos{Line: 12}}}
	if _, err := r.Open(context.Background(), p, "", nil); err == nil || err.Error() != "platform.a.main (club/main.hcl:12): cannot open" {
		t.Errorf("open error: %v; want the block's file and line", err)
	}
}

type readOnlyConn struct{ sliceReader }

func (readOnlyConn) Close() error { return nil }

func TestRequire(t *testing.T) {
	var c Conn = &readOnlyConn{}
	if _, err := Require[Reader](c, "platform.x.main"); err != nil {
		t.Error(err)
	}
	_, err := Require[Importer](c, "platform.x.main")
	if !errors.Is(err, ErrUnsupported) || err.Error() != "platform.x.main cannot import objects (it can: read): not supported by this platform" {
		t.Errorf("Require: %v", err)
	}
	if got := Capabilities(c); len(got) != 1 || got[0] != CapRead {
		t.Errorf("capabilities %v", got)
	}
}

type mailConn struct{}

func (mailConn) Close() error { return nil }
func (mailConn) Mail(context.Context, MailRequest) (MailResponse, error) {
	return MailResponse{}, nil
}

func TestMailer(t *testing.T) {
	if got := Capabilities(mailConn{}); len(got) != 1 || got[0] != CapMail {
		t.Errorf("capabilities %v; want mail", got)
	}
	if _, err := Require[Performer](mailConn{}, "platform.email.news"); err == nil || !strings.Contains(err.Error(), "it can: mail") {
		t.Errorf("Require: %v", err)
	}
	ok := MailRequest{Key: "k", To: "ann@example.org", Subject: "Hi", Text: "Hello"}
	if err := CheckMail(ok); err != nil {
		t.Errorf("CheckMail(%+v): %v", ok, err)
	}
	for _, bad := range []MailRequest{
		{To: "ann@example.org", Subject: "Hi", Text: "Hello"},
		{Key: "k", Subject: "Hi", Text: "Hello"},
		{Key: "k", To: "ann", Subject: "Hi", Text: "Hello"},
		{Key: "k", To: "ann@example.org", Text: "Hello"},
		{Key: "k", To: "ann@example.org", Subject: "Hi\nBcc: x@example.org", Text: "Hello"},
		{Key: "k", To: "ann@example.org", Subject: "Hi"},
		{Key: strings.Repeat("k", MaxKeyLen+1), To: "ann@example.org", Subject: "Hi", Text: "Hello"},
	} {
		if err := CheckMail(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckMail(%+v): %v; want ErrInvalid", bad, err)
		}
	}
}

func TestCheckGroupBot(t *testing.T) {
	msg := PerformRequest{Action: ActionChannelMessage, Key: "k", Community: "c", Channel: "general", Text: "hi"}
	cases := []struct {
		name    string
		req     PerformRequest
		channel string
		want    error
		says    string
	}{
		{"its channel", msg, "general", nil, ""},
		{"any channel when unset", msg, "", nil, ""},
		{"another channel", msg, "news", ErrNotFound, `posts in channel "news", not "general"`},
		{"a direct message", PerformRequest{Action: ActionDirectMessage, Key: "k", Community: "c", Member: "m", Text: "hi"}, "", ErrUnsupported, "cannot " + string(ActionDirectMessage)},
		{"a malformed request", PerformRequest{Action: ActionChannelMessage, Community: "c", Channel: "general", Text: "hi"}, "", ErrInvalid, "idempotency key"},
	}
	for _, c := range cases {
		err := CheckGroupBot(c.req, "Example bot", c.channel)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: got %v; want %v saying %q", c.name, err, c.want, c.says)
		}
	}
}

// An int attribute that ParseInt takes but JSON does not spell so ("+5",
// "05") is written as a string: the -json plan must still encode, and
// read back to the same attributes.
func TestJSONAttrsUnusualInts(t *testing.T) {
	attrs := Attrs{"position": "+5", "name": "a"}
	for _, v := range []string{"+5", "05", "-0", "7", "-3"} {
		attrs["position"] = v
		data, err := json.Marshal(JSONAttrs(KindChannel, attrs))
		if err != nil {
			t.Fatalf("position %q: %v", v, err)
		}
		back, err := JSONAttrsOf(data)
		if err != nil || back["position"] != v {
			t.Fatalf("position %q read back from %s as %q, %v", v, data, back["position"], err)
		}
	}
}

// A list attribute (a role's permissions) is a JSON array of its names,
// [] for none; a value not in the form hearth writes stays a string, so a
// reader still sees it. Both read back to the same attributes, and so
// does the one string older plans carry.
func TestJSONAttrsLists(t *testing.T) {
	for _, tc := range []struct {
		v, json string
	}{
		{"kick_members,manage_messages", `["kick_members","manage_messages"]`},
		{"manage_messages", `["manage_messages"]`},
		{"", `[]`},
		{"manage_messages,kick_members", `"manage_messages,kick_members"`}, // not sorted
		{"kick members", `"kick members"`},
	} {
		attrs := Attrs{"name": "mods", "permissions": tc.v}
		data, err := json.Marshal(JSONAttrs(KindRole, attrs))
		if err != nil {
			t.Fatalf("%q: %v", tc.v, err)
		}
		if want := `"permissions":` + tc.json; !strings.Contains(string(data), want) {
			t.Errorf("%q written as %s; want %s", tc.v, data, want)
		}
		back, err := JSONAttrsOf(data)
		if err != nil || back["permissions"] != tc.v || back["name"] != "mods" {
			t.Errorf("%q read back from %s as %q, %v", tc.v, data, back, err)
		}
	}
	back, err := JSONAttrsOf([]byte(`{"permissions":"kick_members,manage_messages"}`))
	if err != nil || back["permissions"] != "kick_members,manage_messages" {
		t.Errorf("the string form of older plans read as %q, %v", back, err)
	}
	for _, bad := range []string{`{"permissions":[1]}`, `{"permissions":["a,b"]}`, `{"permissions":[""]}`, `{"permissions":[["a"]]}`, `{"permissions":["a",null]}`} {
		if got, err := JSONAttrsOf([]byte(bad)); err == nil {
			t.Errorf("%s read as %q; want an error", bad, got)
		}
	}
}
