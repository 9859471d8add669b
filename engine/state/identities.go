package state

import (
	"context"
	"errors"
	"strings"
)

// IdentityIndex is a batch that keeps the identity index: which member
// holds an identity (a Telegram user id, a Matrix user id) on a platform
// type. Events name their member by the platform's user id; the index
// lets an event from a platform account an import or an earlier event
// tied to a member apply to that member (runtime), and makes one
// identity belong to one member. Every store's batch implements it.
type IdentityIndex interface {
	// IdentityOwner is the member holding identity on platform, "" when
	// none does. An entry can outlive the member's claim (the member's
	// identity on that platform changed since): callers check the
	// member's document.
	IdentityOwner(platform, identity string) (string, error)
	// ClaimIdentity records that member holds identity on platform,
	// replacing any earlier owner: callers refuse a claim another member
	// holds first.
	ClaimIdentity(platform, identity, member string) error
}

// IdentityLookup finds a member by a platform identity outside any
// batch, for hearth member show telegram:333. Every store implements it.
type IdentityLookup interface {
	MemberByIdentity(ctx context.Context, platform, identity string) (string, error)
}

// ErrNoIdentityIndex is MemberByIdentity's answer on a read-only store
// whose schema predates the identity index: the commands that write
// (hearth apply, hearth run, hearth replay) migrate it.
var ErrNoIdentityIndex = errors.New("the state predates the identity index, so members are not found by a platform identity; hearth apply, run or replay with this hearth migrates it")

// IdentityRef is a member reference written platform:identity
// (telegram:333, matrix:@alice:example.org): the platform type is the
// part before the first colon, so a Matrix id's own colon stays in the
// identity. ok is false when ref has no colon or an empty side.
func IdentityRef(ref string) (platform, identity string, ok bool) {
	platform, identity, ok = strings.Cut(ref, ":")
	if !ok || platform == "" || identity == "" {
		return "", "", false
	}
	return platform, identity, true
}

// identityKey is the memory store's map key of an identity.
func identityKey(platform, identity string) string { return platform + "\x00" + identity }

var (
	_ IdentityIndex  = (*memBatch)(nil)
	_ IdentityLookup = (*Memory)(nil)
)

func (b *memBatch) IdentityOwner(platform, identity string) (string, error) {
	return b.s.identities[identityKey(platform, identity)], nil
}

func (b *memBatch) ClaimIdentity(platform, identity, member string) error {
	if b.done {
		return errBatchDone
	}
	if b.s.identities == nil {
		b.s.identities = map[string]string{}
	}
	k := identityKey(platform, identity)
	was, had := b.s.identities[k]
	b.identUndo = append(b.identUndo, identUndo{key: k, was: was, had: had})
	b.s.identities[k] = member
	return nil
}

// identUndo is an identity index entry as it was before a batch claimed
// it.
type identUndo struct {
	key, was string
	had      bool
}

// MemberByIdentity is the member holding identity on platform, "" when
// none does (or its document no longer holds it).
func (s *Memory) MemberByIdentity(_ context.Context, platform, identity string) (string, error) {
	id := s.identities[identityKey(platform, identity)]
	if m := s.members[id]; m == nil || m.Identities[platform] != identity {
		return "", nil
	}
	return id, nil
}

// dropIdentities removes the index entries of member id (erasure).
func (s *Memory) dropIdentities(id string) {
	for k, owner := range s.identities {
		if owner == id {
			delete(s.identities, k)
		}
	}
}
