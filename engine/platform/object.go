package platform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of platform object.
type Kind string

const (
	KindCommunity      Kind = "community"
	KindChannel        Kind = "channel"
	KindRole           Kind = "role"
	KindRoleAssignment Kind = "role_assignment"
	KindPin            Kind = "pin"
	KindMember         Kind = "member"
	KindMessage        Kind = "message"
	KindDirectMessage  Kind = "direct_message"
)

// Object is one live object of a platform. Its attributes are a flat map
// of strings so the engine can diff any kind attribute by attribute with
// one piece of code; KindSpec documents the keys of each kind and their
// formats.
type Object struct {
	Kind Kind
	// ID is the platform's id for the object.
	ID string
	// Community is the platform id of the community holding the object;
	// empty for KindCommunity.
	Community string
	// Address is the object's hearth address, such as
	// "community.explorers.channel.welcome", when known: the engine sets
	// it from state and requests; adapters only copy it from an
	// ApplyRequest or ImportRequest, never invent it.
	Address string
	// Attrs hold the attributes, in the canonical form of their formats.
	// A key missing from an object read from a platform means the
	// platform does not have that attribute (Slack roles have no color),
	// so the engine must not plan changes to it; an empty value is an
	// attribute that is there and empty.
	Attrs Attrs
}

// Attrs are an object's attributes by key.
type Attrs map[string]string

// Clone returns a copy, so a caller can keep an object an adapter may
// reuse.
func (a Attrs) Clone() Attrs {
	if a == nil {
		return nil
	}
	return maps.Clone(a)
}

// Clone returns a deep copy of o.
func (o Object) Clone() Object {
	o.Attrs = o.Attrs.Clone()
	return o
}

// Format is how an attribute's value is written.
type Format int

const (
	// FormatText is any text, as is.
	FormatText Format = iota
	// FormatBool is "true" or "false".
	FormatBool
	// FormatInt is a decimal integer without sign for positives or
	// leading zeros: "0", "12", "-3".
	FormatInt
	// FormatColor is "#rrggbb" in lower case, or "" for none.
	FormatColor
	// FormatList is a set of names (lower case letters, digits, "_",
	// "-", "."), sorted, without duplicates, joined by ",": "a,b". The
	// empty set is "". Sorting makes equal sets equal strings, so the
	// engine diffs a list like any other attribute.
	FormatList
	// FormatTime is RFC 3339 in UTC to the second, or "" for none.
	FormatTime
	// FormatID is a platform id, never empty.
	FormatID
)

var formatNames = [...]string{"text", "bool", "int", "color", "list", "time", "id"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// AttrSpec documents one attribute of a kind.
type AttrSpec struct {
	Name   string
	Format Format
	Doc    string
	// Required attributes must be given on create.
	Required bool
	// Settable attributes may be given on create; the others are
	// read-only, computed by the platform.
	Settable bool
	// Mutable attributes may be changed by an update. Settable but not
	// mutable means a change needs delete and create (a pin cannot move
	// to another channel).
	Mutable bool
}

// ReadOnly reports whether the platform computes the attribute.
func (a AttrSpec) ReadOnly() bool { return !a.Settable }

// ForceNew reports whether changing the attribute replaces the object.
func (a AttrSpec) ForceNew() bool { return a.Settable && !a.Mutable }

// KindSpec documents one kind of object.
type KindSpec struct {
	Kind Kind
	Doc  string
	// Scoped kinds live in a community; requests for them need one.
	Scoped bool
	// Managed kinds can be created, updated and deleted with Apply; the
	// others are only read (members join by themselves; messages are
	// sent with Perform).
	Managed bool
	// Order is the order Read returns objects in.
	Order string
	Attrs []AttrSpec
}

// Attr returns the spec of one attribute.
func (k KindSpec) Attr(name string) (AttrSpec, bool) {
	for _, a := range k.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return AttrSpec{}, false
}

// AttrNames lists the attribute keys in documentation order.
func (k KindSpec) AttrNames() []string {
	out := make([]string, len(k.Attrs))
	for i, a := range k.Attrs {
		out[i] = a.Name
	}
	return out
}

// kinds is the documentation of every kind, the one place adapters, the
// engine and the conformance suite read attribute keys from.
var kinds = []KindSpec{
	{
		Kind: KindCommunity, Managed: true,
		Doc:   "A community on the platform: a Discord server, a Slack workspace, a Matrix space, a group of channels in the local platform. Sub-communities (explorers-2) are communities too.",
		Order: "creation",
		Attrs: []AttrSpec{
			{Name: "name", Format: FormatText, Required: true, Settable: true, Mutable: true, Doc: "The community's name on the platform; hearth uses the community block's name."},
			{Name: "title", Format: FormatText, Settable: true, Mutable: true, Doc: "Name people see."},
			{Name: "description", Format: FormatText, Settable: true, Mutable: true, Doc: "What the community is for."},
		},
	},
	{
		Kind: KindChannel, Scoped: true, Managed: true,
		Doc:   "A channel or room.",
		Order: "position, then creation",
		Attrs: []AttrSpec{
			{Name: "name", Format: FormatText, Required: true, Settable: true, Mutable: true, Doc: "Name shown on the platform (the channel block's title, else its name)."},
			{Name: "topic", Format: FormatText, Settable: true, Mutable: true, Doc: "Channel topic; \"\" for none."},
			{Name: "purpose", Format: FormatText, Settable: true, Mutable: true, Doc: "What the channel is for, where the platform keeps it apart from the topic (Slack); \"\" for none."},
			{Name: "color", Format: FormatColor, Settable: true, Mutable: true, Doc: "Color (a Discourse category's); \"\" for the platform's default."},
			{Name: "position", Format: FormatInt, Settable: true, Mutable: true, Doc: "Order among the community's channels; on create, by default after the last."},
			{Name: "category", Format: FormatText, Settable: true, Mutable: true, Doc: "Category or section name; \"\" for none."},
			{Name: "private", Format: FormatBool, Settable: true, Mutable: true, Doc: "Visible to invited members and roles only."},
			{Name: "join_rule", Format: FormatText, Settable: true, Mutable: true, Doc: "Who may join by themselves, where the platform says it apart from private (Matrix: restricted to the space's members, knock_restricted, public, knock, invite). Derived from private (platform.Deriver), not configured."},
		},
	},
	{
		Kind: KindRole, Scoped: true, Managed: true,
		Doc:   "A role or group members hold.",
		Order: "position, then creation",
		Attrs: []AttrSpec{
			{Name: "name", Format: FormatText, Required: true, Settable: true, Mutable: true, Doc: "Name shown on the platform (the role block's title)."},
			{Name: "color", Format: FormatColor, Settable: true, Mutable: true, Doc: "Color; \"\" for none."},
			{Name: "permissions", Format: FormatList, Settable: true, Mutable: true, Doc: "Permission names granted, such as \"manage_messages\"."},
			{Name: "hoist", Format: FormatBool, Settable: true, Mutable: true, Doc: "Holders are listed separately."},
			{Name: "mentionable", Format: FormatBool, Settable: true, Mutable: true, Doc: "The role can be mentioned."},
			{Name: "position", Format: FormatInt, Settable: true, Mutable: true, Doc: "Order among the community's roles; on create, by default after the last."},
		},
	},
	{
		Kind: KindRoleAssignment, Scoped: true, Managed: true,
		Doc:   "A member holding a role. Creating one that exists returns it, as platforms treat \"give role\" as idempotent.",
		Order: "member, then role (by creation)",
		Attrs: []AttrSpec{
			{Name: "member", Format: FormatID, Required: true, Settable: true, Doc: "Platform id of the member."},
			{Name: "role", Format: FormatID, Required: true, Settable: true, Doc: "Platform id of the role."},
		},
	},
	{
		Kind: KindPin, Scoped: true, Managed: true,
		Doc:   "A pinned message, such as the house rules. Creating one posts the text as the platform's app and pins it; its id is the message's id.",
		Order: "pinning",
		Attrs: []AttrSpec{
			{Name: "channel", Format: FormatID, Required: true, Settable: true, Doc: "Platform id of the channel."},
			{Name: "text", Format: FormatText, Required: true, Settable: true, Mutable: true, Doc: "The message text."},
			{Name: "author", Format: FormatText, Doc: "Platform id of the member who wrote it; \"\" for the platform's app (hearth)."},
		},
	},
	{
		Kind: KindMember, Scoped: true,
		Doc:   "A member of a community. Read only: people join by themselves; moderation is done with Perform.",
		Order: "joining",
		Attrs: []AttrSpec{
			{Name: "name", Format: FormatText, Doc: "Display name."},
			{Name: "joined_at", Format: FormatTime, Doc: "When the member joined."},
			{Name: "muted_until", Format: FormatTime, Doc: "End of the member's last mute; \"\" when not muted. A time in the past is a mute that has ended."},
		},
	},
	{
		Kind: KindMessage, Scoped: true,
		Doc:   "A message in a channel. Read only: sent with Perform.",
		Order: "posting",
		Attrs: []AttrSpec{
			{Name: "channel", Format: FormatID, Doc: "Platform id of the channel."},
			{Name: "author", Format: FormatText, Doc: "Platform id of the member who wrote it; \"\" for the platform's app (hearth)."},
			{Name: "text", Format: FormatText, Doc: "The message text."},
			{Name: "pinned", Format: FormatBool, Doc: "Whether it is pinned."},
			{Name: "posted_at", Format: FormatTime, Doc: "When it was posted."},
		},
	},
	{
		Kind: KindDirectMessage, Scoped: true,
		Doc:   "A private message between the platform's app and a member of the community. Read only: sent with Perform.",
		Order: "posting",
		Attrs: []AttrSpec{
			{Name: "member", Format: FormatID, Doc: "Platform id of the member the conversation is with."},
			{Name: "author", Format: FormatText, Doc: "The member's id when they wrote it; \"\" for the platform's app (hearth)."},
			{Name: "text", Format: FormatText, Doc: "The message text."},
			{Name: "posted_at", Format: FormatTime, Doc: "When it was sent."},
		},
	},
}

// Kinds documents every kind, in a stable order.
func Kinds() []KindSpec { return slices.Clone(kinds) }

// SpecOf documents one kind.
func SpecOf(k Kind) (KindSpec, bool) {
	for _, s := range kinds {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// Canonical checks v against f and returns its canonical form, so that
// equal values are equal strings. The engine canonicalizes configured
// values before diffing ("#F1C40F" and "#f1c40f" are one color), and
// adapters canonicalize what they return.
func Canonical(f Format, v string) (string, error) {
	switch f {
	case FormatText:
		return v, nil
	case FormatBool:
		switch v {
		case "true", "false":
			return v, nil
		}
		return "", fmt.Errorf("%q is not a bool; write \"true\" or \"false\"", v)
	case FormatInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not a whole number", v)
		}
		return strconv.FormatInt(n, 10), nil
	case FormatColor:
		if v == "" {
			return "", nil
		}
		if len(v) != 7 || v[0] != '#' {
			return "", fmt.Errorf("%q is not a color; write \"#rrggbb\"", v)
		}
		for _, c := range v[1:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return "", fmt.Errorf("%q is not a color; write \"#rrggbb\"", v)
			}
		}
		return strings.ToLower(v), nil
	case FormatList:
		return canonicalList(v)
	case FormatTime:
		if v == "" {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return "", fmt.Errorf("%q is not an RFC 3339 time", v)
		}
		return FormatTimeValue(t), nil
	case FormatID:
		if v == "" || strings.TrimSpace(v) != v {
			return "", fmt.Errorf("%q is not a platform id", v)
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown format %v", f)
}

func canonicalList(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	items := strings.Split(v, ",")
	for i, it := range items {
		it = strings.TrimSpace(it)
		if !listItem(it) {
			return "", fmt.Errorf("%q is not a name; list items are lower case letters, digits, \"_\", \"-\" and \".\"", it)
		}
		items[i] = it
	}
	slices.Sort(items)
	return strings.Join(slices.Compact(items), ","), nil
}

func listItem(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// FormatBoolValue writes b in FormatBool.
func FormatBoolValue(b bool) string { return strconv.FormatBool(b) }

// FormatIntValue writes n in FormatInt.
func FormatIntValue(n int) string { return strconv.Itoa(n) }

// FormatTimeValue writes t in FormatTime; the zero time is "".
func FormatTimeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// FormatListValue writes items in FormatList, sorting and deduplicating
// them. Items that are not names make an error.
func FormatListValue(items []string) (string, error) {
	return canonicalList(strings.Join(items, ","))
}

// SplitList reads a FormatList value.
func SplitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// CheckApply checks a request against KindSpec — a known kind that Apply
// manages, a community for scoped kinds, an id for updates and deletes,
// only known and writable attributes, the required ones on create, every
// value in its format — and returns it with the values canonical and the
// attributes copied, so adapters share one set of rules and an adapter
// may keep the attributes. Problems wrap ErrInvalid (ErrUnsupported for
// a kind Apply does not manage).
func CheckApply(req ApplyRequest) (ApplyRequest, error) {
	spec, ok := SpecOf(req.Kind)
	if !ok {
		return req, fmt.Errorf("%w: unknown kind %q", ErrInvalid, req.Kind)
	}
	if !spec.Managed {
		return req, fmt.Errorf("%w: %s objects cannot be %sd with Apply", ErrUnsupported, req.Kind, req.Op)
	}
	switch req.Op {
	case OpCreate, OpUpdate, OpDelete:
	default:
		return req, fmt.Errorf("%w: unknown operation %q; use create, update or delete", ErrInvalid, req.Op)
	}
	if spec.Scoped && req.Community == "" {
		return req, fmt.Errorf("%w: a %s is in a community; the request has no community id", ErrInvalid, req.Kind)
	}
	if !spec.Scoped && req.Community != "" {
		return req, fmt.Errorf("%w: a %s is not in a community, yet the request names one", ErrInvalid, req.Kind)
	}
	if req.Op == OpCreate && req.ID != "" {
		return req, fmt.Errorf("%w: create takes no id; the platform assigns it", ErrInvalid)
	}
	if req.Op != OpCreate && req.ID == "" {
		return req, fmt.Errorf("%w: %s of a %s needs its id", ErrInvalid, req.Op, req.Kind)
	}
	if req.Op == OpDelete && len(req.Attrs) > 0 {
		return req, fmt.Errorf("%w: delete takes no attributes", ErrInvalid)
	}
	out := make(Attrs, len(req.Attrs))
	for _, k := range slices.Sorted(maps.Keys(req.Attrs)) {
		a, ok := spec.Attr(k)
		switch {
		case !ok:
			return req, fmt.Errorf("%w: a %s has no attribute %q (it has %s)", ErrInvalid, req.Kind, k, strings.Join(spec.AttrNames(), ", "))
		case a.ReadOnly():
			return req, fmt.Errorf("%w: %s.%s is read-only", ErrInvalid, req.Kind, k)
		case req.Op == OpUpdate && !a.Mutable:
			return req, fmt.Errorf("%w: %s.%s cannot change in place; delete and create the %s", ErrInvalid, req.Kind, k, req.Kind)
		}
		v, err := Canonical(a.Format, req.Attrs[k])
		if err != nil {
			return req, fmt.Errorf("%w: %s.%s: %v", ErrInvalid, req.Kind, k, err)
		}
		if a.Required && v == "" {
			return req, fmt.Errorf("%w: %s.%s must not be empty", ErrInvalid, req.Kind, k)
		}
		out[k] = v
	}
	if req.Op == OpCreate {
		for _, a := range spec.Attrs {
			if _, ok := out[a.Name]; a.Required && !ok {
				return req, fmt.Errorf("%w: creating a %s needs %q", ErrInvalid, req.Kind, a.Name)
			}
		}
	}
	req.Attrs = out
	return req, nil
}
