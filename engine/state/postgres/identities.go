package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/state"
	"github.com/jackc/pgx/v5"
)

// The identity index (state.IdentityIndex) is the identities table. A
// claim is written with its batch, on the condition that the entry is
// still what the batch read: a replica that claimed the identity for
// another member meanwhile fails the commit with ErrConflict, and the
// events applied again find that claim.

// identKey is one identity on one platform type.
type identKey struct{ platform, identity string }

// identClaim is a claim of a batch: the member, and the owner the batch
// read before it ("" for none).
type identClaim struct{ member, was string }

var (
	_ state.IdentityIndex  = (*batch)(nil)
	_ state.IdentityLookup = (*Store)(nil)
)

func (b *batch) IdentityOwner(platform, identity string) (string, error) {
	k := identKey{platform, identity}
	if c, ok := b.claims[k]; ok {
		return c.member, nil
	}
	if owner, ok := b.owners[k]; ok || b.s.noIdentities {
		// (A read-only store before the index: nobody.)
		return owner, nil
	}
	var owner string
	err := b.s.pool.QueryRow(b.ctx, `SELECT member FROM identities WHERE platform = $1 AND identity = $2`, platform, identity).Scan(&owner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", b.s.failure(err)
	}
	if b.owners == nil {
		b.owners = map[identKey]string{}
	}
	b.owners[k] = owner
	return owner, nil
}

func (b *batch) ClaimIdentity(platform, identity, member string) error {
	if b.done {
		return errors.New("batch already finished")
	}
	k := identKey{platform, identity}
	c, ok := b.claims[k]
	if !ok {
		was, err := b.IdentityOwner(platform, identity)
		if err != nil {
			return err
		}
		c.was = was
	}
	c.member = member
	if b.claims == nil {
		b.claims = map[identKey]identClaim{}
	}
	b.claims[k] = c
	return nil
}

// writeIdentities writes the batch's claims, each on the condition that
// its entry is still the one the batch read.
func (b *batch) writeIdentities(ctx context.Context, tx pgx.Tx) error {
	keys := make([]identKey, 0, len(b.claims))
	for k := range b.claims {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y identKey) int {
		if c := strings.Compare(x.platform, y.platform); c != 0 {
			return c
		}
		return strings.Compare(x.identity, y.identity)
	})
	for _, k := range keys {
		c := b.claims[k]
		if c.was == c.member {
			continue
		}
		var q string
		if c.was == "" {
			q = `INSERT INTO identities (platform, identity, member) VALUES ($1, $2, $3) ON CONFLICT (platform, identity) DO NOTHING`
		} else {
			q = `UPDATE identities SET member = $3 WHERE platform = $1 AND identity = $2 AND member = $4`
		}
		args := []any{k.platform, k.identity, c.member}
		if c.was != "" {
			args = append(args, c.was)
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("identities: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: the %s identity %s was claimed by another replica first", ErrConflict, k.platform, k.identity)
		}
	}
	return nil
}

// MemberByIdentity is the member holding identity on platform, "" when
// none does (or its document no longer holds it).
func (s *Store) MemberByIdentity(ctx context.Context, platform, identity string) (string, error) {
	if s.noIdentities {
		return "", state.ErrNoIdentityIndex
	}
	var member string
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT i.member, m.data FROM identities i JOIN members m ON m.id = i.member
		WHERE i.platform = $1 AND i.identity = $2`, platform, identity).Scan(&member, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.failure(err)
	}
	var m state.Member
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("member %s: %w", member, err)
	}
	if m.Identities[platform] != identity {
		return "", nil
	}
	return member, nil
}
