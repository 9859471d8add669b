// Package platform is the contract between hearth's engine and the
// platforms communities live on (Discord, Slack, Matrix, the built-in
// local platform ...).
//
// An Adapter is one platform type. Open gives a Conn to one configured
// platform block. A Conn implements any of six small capability
// interfaces — Reader, Applier, Importer, Performer, Streamer, Mailer —
// and the engine asks for each with a type assertion (or Require), so an
// adapter implements only what its platform can do.
//
// Every method takes a request struct and returns a response struct, so
// a field can be added to either without breaking adapters written
// against an older version: add fields whose zero value means "as
// before".
//
// The engine decides what changes; adapters only carry changes out. Plan
// reads live objects with Reader, diffs them attribute by attribute
// against the configuration and state, and hands each difference to
// Applier as one create, update or delete. An adapter never compares,
// merges or "fixes up" objects on its own, because then a plan would not
// say what apply does.
//
// Adapters live outside engine/ (adapters/local ...), and engine/ never
// imports one: cmd/hearth builds a Registry from the adapters it links.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
)

// Adapter is one platform type, such as "local" or "discord".
type Adapter interface {
	// Type is the name used in `platform "TYPE" "NAME" {}`.
	Type() string
	// Spec describes the settings of a platform block of this type; the
	// config loader checks blocks against it and `hearth explain` prints
	// it. Its Type must equal Type().
	Spec() config.PlatformSpec
	// Open connects to one platform block. It checks the settings and
	// may talk to the platform (log in, create the local file), so it
	// can fail with the same errors as any call. With ReadOnly it must
	// change nothing, here or on the platform.
	Open(ctx context.Context, req OpenRequest) (Conn, error)
}

// OpenRequest is what Open needs.
type OpenRequest struct {
	// Name is the platform block's name, "main" in platform "local" "main".
	Name string
	// Settings are the block's attributes by name, as the loader decoded
	// them against Spec. Values from sensitive variables carry the cty
	// mark config.Sensitive: an adapter may use them (Unmark) but must
	// never log them or put them in errors. The Setting helpers do this.
	Settings map[string]cty.Value
	// Dir is the configuration directory, against which relative paths
	// in settings are resolved.
	Dir string
	// Logger receives the adapter's logs; nil means discard.
	Logger *slog.Logger
	// ReadOnly says the caller will only read (a plan, a drift report):
	// Open must write nothing, not even to set up a platform that is not
	// there yet (the local platform's file), and calls that would change
	// the platform may fail. A platform not set up yet reads as empty.
	ReadOnly bool
}

// Conn is an open connection to one platform block. It implements any of
// Reader, Applier, Importer, Performer and Streamer. Unless its adapter
// documents otherwise, a Conn is not safe for concurrent use.
type Conn interface {
	// Close releases what Open acquired. Calls after Close fail.
	Close() error
}

// Reader reads the live objects of a platform.
type Reader interface {
	// Read returns one page of the objects of one kind, in the kind's
	// order (see KindSpec.Order). The adapter turns the platform's own
	// paging (cursors, "after" ids, Link headers) into the opaque
	// PageToken, so the engine pages every platform the same way.
	//
	// A kind the platform does not have is ErrUnsupported; a community
	// that does not exist is ErrNotFound; a token the adapter did not
	// issue is ErrInvalid.
	Read(ctx context.Context, req ReadRequest) (ReadResponse, error)
}

// ReadRequest asks for one page of objects.
type ReadRequest struct {
	Kind Kind
	// Community is the platform id of the community to read in; empty
	// for KindCommunity.
	Community string
	// PageToken continues after the page that returned it; empty starts
	// at the beginning.
	PageToken string
	// PageSize is the most objects wanted; 0 means the adapter's default.
	// Adapters may return fewer, also before the last page.
	PageSize int
}

// ReadResponse is one page.
type ReadResponse struct {
	Objects []Object
	// NextPageToken continues the listing; empty after the last page.
	NextPageToken string
	// Warnings are what people should know about objects of the page
	// that no attribute says, such as a Matrix room too old to hold what
	// hearth would set; plan prints them. Each names the object.
	Warnings []string
}

// Applier carries out one change decided by the engine.
type Applier interface {
	// Apply creates, updates or deletes one object and returns the
	// object as the platform now has it, with its platform id.
	//
	// An update changes exactly the attributes in Attrs and leaves every
	// other attribute as it is: the engine sends only what it decided to
	// change, so permissions or topics hearth does not manage are never
	// wiped. Updating or deleting an object that does not exist is
	// ErrNotFound. An attribute that is unknown, read-only, or not
	// changeable in place (KindSpec) is ErrInvalid.
	//
	// A create that makes the object in several calls (a Slack channel,
	// then its topic) and fails after the first returns the error and
	// the object as made so far, with its id: the engine records it, so
	// the next plan updates what is left rather than create it again
	// (and hit the name it now has). A create that made nothing returns
	// a response without an id. Creating an object whose name the
	// platform already has is ErrConflict; an adapter that can tell the
	// existing object's id wraps it with Exists, so the error can name
	// the import block that adopts it.
	Apply(ctx context.Context, req ApplyRequest) (ApplyResponse, error)
}

// Op is what Apply does.
type Op string

const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// ApplyRequest is one change.
type ApplyRequest struct {
	Op   Op
	Kind Kind
	// Community is the platform id of the community the object is in;
	// empty for KindCommunity.
	Community string
	// ID is the platform id of the object to update or delete.
	ID string
	// Address is the object's hearth address, for logs and errors; the
	// adapter copies it into the response.
	Address string
	// Attrs are, for a create, the attributes to set (the rest take the
	// platform's defaults); for an update, only those to change; for a
	// delete, nothing. Values are in the canonical form of their format
	// (Canonical).
	Attrs Attrs
}

// ApplyResponse is the result of one change.
type ApplyResponse struct {
	// Object is the object after the change: after a create or update
	// with every attribute the platform has; after a delete, as it was
	// just before.
	Object Object
}

// Deriver is implemented by adapters whose platform has an attribute
// that follows from other attributes rather than from the configuration:
// a Matrix channel's join_rule follows private. Plan adds what Derive
// returns to the configured attributes of each object on the platform
// and diffs them like any other, so a value set before hearth derived it
// (a room an older hearth made public) is a change the plan shows and
// apply makes. It is not a capability: it only names values.
type Deriver interface {
	Derive(req DeriveRequest) DeriveResponse
}

// DeriveRequest is one object as the configuration has it.
type DeriveRequest struct {
	Kind Kind
	// Attrs are the configured attributes, canonical; Derive must not
	// change them.
	Attrs Attrs
}

// DeriveResponse holds the derived attributes, canonical. A key the
// configuration sets is not derived: the plan keeps the configured value.
type DeriveResponse struct {
	Attrs Attrs
}

// Keeper is a platform that never deletes objects of some kinds: a
// Discord server, a Telegram group, a Slack workspace, a Discourse forum,
// which hearth adopts (an import block, or the platform block's own
// community) but cannot make, and so does not unmake. A plan that
// removes such an object forgets it (takes it out of state) and leaves
// it on the platform, instead of a delete that Apply would refuse. It is
// not a capability: it only says what Apply's delete would answer.
type Keeper interface {
	// Keeps says why the platform does not delete objects of kind, in
	// words for the plan ("hearth does not delete Discord servers"), or
	// "" when it does delete them.
	Keeps(kind Kind) string
}

// Importer looks up one existing object by its platform id, so hearth
// can adopt objects made outside it (`import` blocks, `hearth import`).
type Importer interface {
	// Import returns the object, or ErrNotFound when no object of that
	// kind has that id (in that community, when one is given).
	Import(ctx context.Context, req ImportRequest) (ImportResponse, error)
}

// ImportRequest names the object to adopt.
type ImportRequest struct {
	Kind Kind
	// Community, when not empty, is where the object must be.
	Community string
	ID        string
	// Address is the hearth address the object will have; copied into
	// the response.
	Address string
}

// ImportResponse is the object found.
type ImportResponse struct {
	Object Object
}

// Performer carries out actions decided by the rule runtime: messages,
// role changes, moderation.
type Performer interface {
	// Perform does one action at most once per idempotency key: a call
	// with a key already performed does nothing and answers Duplicate
	// with the first call's result, even from another Conn or after a
	// restart (where the adapter can promise that, it documents it). A
	// key reused for a different action is ErrKeyReused.
	//
	// Failures are classified with Classify: a temporary failure
	// (RateLimitError, TemporaryError, a network error) may be retried
	// with the same key after RetryAfter; a permanent one (ErrNotFound,
	// ErrInvalid, ErrUnsupported, PermanentError ...) will fail again.
	Perform(ctx context.Context, req PerformRequest) (PerformResponse, error)
}

// Action is what Perform does.
type Action string

const (
	// ActionChannelMessage posts Text in Channel as the platform's app.
	ActionChannelMessage Action = "channel_message"
	// ActionDirectMessage sends Text to Member privately.
	ActionDirectMessage Action = "direct_message"
	// ActionRoleAdd gives Role to Member; holding it already is success
	// (PerformResponse.Held says which).
	ActionRoleAdd Action = "role_add"
	// ActionRoleRemove takes Role from Member; not holding it is success.
	ActionRoleRemove Action = "role_remove"
	// ActionMute stops Member posting for Duration.
	ActionMute Action = "mute"
	// ActionUnmute ends a mute; not being muted is success.
	ActionUnmute Action = "unmute"
	// ActionKick removes Member from the community; they may come back.
	ActionKick Action = "kick"
	// ActionBan removes Member and keeps them out, for Duration or, when
	// it is zero, until ActionUnban.
	ActionBan Action = "ban"
	// ActionUnban lifts a ban; no ban is ErrNotFound.
	ActionUnban Action = "unban"
	// ActionDeleteMessage removes Message (moderation "remove").
	ActionDeleteMessage Action = "message_delete"
	// ActionBadgeGrant gives Member the platform's own badge named Badge
	// (a Discourse badge), mirroring a hearth badge they earned.
	ActionBadgeGrant Action = "badge_grant"
	// ActionBadgeRevoke takes back from Member the platform's badge named
	// Badge, as hearth revoked the badge it mirrors (revoke_when); not
	// holding it is success.
	ActionBadgeRevoke Action = "badge_revoke"
	// ActionTrustLevel sets Member's trust level on the platform (a
	// Discourse trust level, "0" to "4") to Level. With Lock the level is
	// locked there, so the platform's own promotions and demotions leave
	// it; without, a lock the member has is lifted first, and the
	// platform's own rules go on from the level set. With Raise (a
	// promotion) a member the platform already put higher keeps their
	// level. An empty Level sets no level and only lifts a lock: the
	// member moved to a tier that sets none.
	ActionTrustLevel Action = "trust_level"
	// ActionMoveMember moves Member out of Community into the community
	// Into, a sub-community of the same capacity family with room (see
	// config.PlatformSpec.MovesMembers): the person keeps their account,
	// leaves Community's channels and roles and is in Into's. A member
	// already in Into, and out of Community, is success.
	ActionMoveMember Action = "member_move"
)

// Actions lists every action, in a stable order.
func Actions() []Action {
	return []Action{ActionChannelMessage, ActionDirectMessage, ActionRoleAdd, ActionRoleRemove,
		ActionMute, ActionUnmute, ActionKick, ActionBan, ActionUnban, ActionDeleteMessage, ActionBadgeGrant, ActionBadgeRevoke, ActionTrustLevel, ActionMoveMember}
}

// PerformRequest is one action. Which fields an action reads is said at
// its constant; the others must be empty.
type PerformRequest struct {
	Action Action
	// Key is the idempotency key, required: the outbox entry's id.
	Key string
	// Community is the platform id of the community acted in.
	Community string
	// Channel, Member, Role and Message are platform ids.
	Channel string
	Member  string
	Role    string
	Message string
	// Badge is the platform's name of a badge, for ActionBadgeGrant and
	// ActionBadgeRevoke.
	Badge string
	// Level is the trust level ActionTrustLevel sets, "0" to "4"; Lock
	// locks it there; Raise only raises it.
	Level string
	Lock  bool
	Raise bool
	// Into is the platform id of the community ActionMoveMember moves
	// Member into.
	Into string
	Text string
	// Mentions, for messages, are the places of Text where the template
	// mentioned the member (member.mention on a platform whose mention
	// the adapter makes: config.Mention.Marked), in order; empty where it
	// did not.
	Mentions []Mention
	// Reason is recorded with moderation actions (audit log).
	Reason   string
	Duration time.Duration
}

// Mention is a part of a message's text that mentions someone:
// Text[Start:End] (byte offsets) shows them, the member whose id on the
// platform is ID. The adapter makes the mention of it: a Matrix pill, a
// Telegram text_mention, Discourse's @username in its place.
type Mention struct {
	ID    string `json:"id"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// PerformResponse is the result of an action.
type PerformResponse struct {
	// ID is the platform id of what the action made, such as the message
	// posted; empty when it made nothing.
	ID string
	// Duplicate says the key had been performed before and nothing was
	// done now; ID is the first call's.
	Duplicate bool
	// Held says, for ActionRoleAdd, whether the member held the role
	// before the action (for a duplicate, before the first call): a
	// role given by hand stays the moderators' to take, so the engine
	// records as its own only a role the action gave. HeldUnknown when
	// the adapter cannot tell.
	Held Holding
}

// Holding is whether a member held a role before ActionRoleAdd.
type Holding string

const (
	// HeldUnknown: the adapter cannot tell; the engine takes the role as
	// given by the action.
	HeldUnknown Holding = ""
	// HeldYes: the member held the role; the action changed nothing.
	HeldYes Holding = "held"
	// HeldNo: the action gave the member the role.
	HeldNo Holding = "not_held"
)

// HeldIf is HeldYes when held, else HeldNo: for adapters that know.
func HeldIf(held bool) Holding {
	if held {
		return HeldYes
	}
	return HeldNo
}

// Streamer delivers what members do as hearth events.
type Streamer interface {
	// Stream calls handle with each event, in order, one at a time. When
	// handle returns nil the event counts as delivered; the caller keeps
	// its Cursor (after committing the event's effects) and passes it as
	// After to resume there, so a crash loses nothing. When handle
	// returns an error, Stream stops and returns it.
	//
	// Without Follow, Stream returns nil once it has delivered what is
	// there; with Follow it waits for more until ctx ends and then
	// returns ctx.Err().
	Stream(ctx context.Context, req StreamRequest, handle func(context.Context, Delivery) error) error
}

// StreamRequest says where a stream starts.
type StreamRequest struct {
	// After is a Delivery.Cursor: resume after that event. Empty starts
	// as early as the platform can: the local platform replays its whole
	// log, a gateway starts now.
	After string
	// Follow keeps waiting for new events.
	Follow bool
	// Communities maps platform community ids to hearth community names,
	// which adapters put in events.Event.Community; adapters whose
	// communities carry the hearth name (local) may do without.
	Communities map[string]string
	// Refused, when set, hears each request an adapter's own endpoint
	// (a webhook, an events API) refuses: reason "unverified" for a
	// signature or secret that does not check, so an operator sees a
	// sender with a wrong secret in the metrics, not only in a 401 the
	// sender gets. Without it the adapter logs the refusal itself.
	Refused func(reason string, err error)
}

// Delivery is one event of a stream.
type Delivery struct {
	// Event has a stable ID: the same platform occurrence always gets
	// the same ID, so the runtime's deduplication makes redelivery
	// harmless.
	Event events.Event
	// Cursor is where to resume after this event.
	Cursor string
}

// Capability names one of the optional interfaces.
type Capability string

const (
	CapRead    Capability = "read"
	CapApply   Capability = "apply"
	CapImport  Capability = "import"
	CapPerform Capability = "perform"
	CapStream  Capability = "stream"
	CapMail    Capability = "mail"
)

// Capabilities lists what c implements, in a stable order.
func Capabilities(c Conn) []Capability {
	var out []Capability
	if _, ok := c.(Reader); ok {
		out = append(out, CapRead)
	}
	if _, ok := c.(Applier); ok {
		out = append(out, CapApply)
	}
	if _, ok := c.(Importer); ok {
		out = append(out, CapImport)
	}
	if _, ok := c.(Performer); ok {
		out = append(out, CapPerform)
	}
	if _, ok := c.(Streamer); ok {
		out = append(out, CapStream)
	}
	if _, ok := c.(Mailer); ok {
		out = append(out, CapMail)
	}
	return out
}

// Require returns c as capability interface T, or an error wrapping
// ErrUnsupported that names what is missing, for messages such as
// "platform.slack.main cannot import objects".
func Require[T any](c Conn, what string) (T, error) {
	t, ok := c.(T)
	if !ok {
		var caps []string
		for _, cp := range Capabilities(c) {
			caps = append(caps, string(cp))
		}
		have := "nothing"
		if len(caps) > 0 {
			have = strings.Join(caps, ", ")
		}
		return t, fmt.Errorf("%s cannot %s (it can: %s): %w", what, verbOf(&t), have, ErrUnsupported)
	}
	return t, nil
}

// verbOf words a capability for Require's message; p is a pointer to
// the interface type, which a type switch can match without reflection.
func verbOf(p any) string {
	switch p.(type) {
	case *Reader:
		return "read objects"
	case *Applier:
		return "apply changes"
	case *Importer:
		return "import objects"
	case *Performer:
		return "perform actions"
	case *Streamer:
		return "stream events"
	case *Mailer:
		return "send email"
	}
	return "do this"
}
