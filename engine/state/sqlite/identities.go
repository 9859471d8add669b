package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/state"
)

// The identity index (state.IdentityIndex) is the identities table. A
// batch's claims are written with its job; until then they are pinned in
// memory (pinIdent), so the next batch finds the member an import just
// claimed a Telegram id for before the writer has written it.

// identKey is one identity on one platform type.
type identKey struct{ platform, identity string }

// identRow is one entry of the index.
type identRow struct{ platform, identity, member string }

// pinnedIdent is an identity claim in batches not yet written, and how
// many of them claim it.
type pinnedIdent struct {
	member string
	pins   int
}

func sortIdents(rows []identRow) {
	slices.SortFunc(rows, func(a, b identRow) int {
		if c := strings.Compare(a.platform, b.platform); c != 0 {
			return c
		}
		return strings.Compare(a.identity, b.identity)
	})
}

var (
	_ state.IdentityIndex  = (*batch)(nil)
	_ state.IdentityLookup = (*Store)(nil)
)

func (b *batch) IdentityOwner(platform, identity string) (string, error) {
	k := identKey{platform, identity}
	if member, ok := b.idents[k]; ok {
		return member, nil
	}
	s := b.store
	s.mu.Lock()
	p, ok := s.pinIdent[k]
	s.mu.Unlock()
	if ok || s.noIdentities {
		// (A read-only store before the index: nobody.)
		return p.member, nil
	}
	var member string
	err := s.db.QueryRowContext(b.ctx, `SELECT member FROM identities WHERE platform = ? AND identity = ?`, platform, identity).Scan(&member)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return member, err
}

func (b *batch) ClaimIdentity(platform, identity, member string) error {
	if b.done {
		return errors.New("batch already finished")
	}
	if b.idents == nil {
		b.idents = map[identKey]string{}
	}
	b.idents[identKey{platform, identity}] = member
	return nil
}

// pinIdents keeps a job's claims in memory until it is written; s.mu is
// held.
func (s *Store) pinIdents(rows []identRow) {
	for _, r := range rows {
		if s.pinIdent == nil {
			s.pinIdent = map[identKey]pinnedIdent{}
		}
		k := identKey{r.platform, r.identity}
		s.pinIdent[k] = pinnedIdent{r.member, s.pinIdent[k].pins + 1}
	}
}

// unpinIdents drops a written job's claims from memory; s.mu is held.
func (s *Store) unpinIdents(rows []identRow) {
	for _, r := range rows {
		k := identKey{r.platform, r.identity}
		if p := s.pinIdent[k]; p.pins <= 1 {
			delete(s.pinIdent, k)
		} else {
			s.pinIdent[k] = pinnedIdent{p.member, p.pins - 1}
		}
	}
}

// writeIdents writes a job's claims, the last one of an identity
// winning. A job read back from the journal has none: its members'
// identities are indexed where no other member holds them.
func writeIdents(ctx context.Context, s *Store, tx *sql.Tx, j *job) error {
	if j.readBack {
		var rows []identRow
		for i, doc := range j.docs {
			m := &state.Member{}
			if err := state.DecodeMember(doc, m); err != nil {
				return fmt.Errorf("member %s: %w", j.mids[i], err)
			}
			for p, id := range m.Identities {
				rows = append(rows, identRow{p, id, m.ID})
			}
		}
		if err := insertIdents(ctx, s, tx, rows, ` ON CONFLICT (platform, identity) DO NOTHING`); err != nil {
			return err
		}
	}
	return insertIdents(ctx, s, tx, j.idents, ` ON CONFLICT (platform, identity) DO UPDATE SET member = excluded.member`)
}

func insertIdents(ctx context.Context, s *Store, tx *sql.Tx, rows []identRow, tail string) error {
	return s.insertRows(ctx, tx, `INSERT INTO identities (platform, identity, member) VALUES `, `(?, ?, ?)`, tail, len(rows), func(i int) []any {
		return []any{rows[i].platform, rows[i].identity, rows[i].member}
	})
}

// indexIdentities fills the identity index from the members stored, in
// the migration that adds it. Where two members hold one identity (as
// hearth let them before), the first by id keeps it.
func indexIdentities(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT data FROM members ORDER BY id`)
	if err != nil {
		return err
	}
	var idents []identRow
	err = state.VisitMembers(rows, func(m *state.Member) error {
		for p, id := range m.Identities {
			idents = append(idents, identRow{p, id, m.ID})
		}
		return nil
	})
	rows.Close()
	if err != nil {
		return fmt.Errorf("indexing identities: %w", err)
	}
	for _, r := range idents {
		if _, err := tx.ExecContext(ctx, `INSERT INTO identities (platform, identity, member) VALUES (?, ?, ?) ON CONFLICT (platform, identity) DO NOTHING`,
			r.platform, r.identity, r.member); err != nil {
			return err
		}
	}
	return nil
}

// MemberByIdentity is the member holding identity on platform, "" when
// none does (or its document no longer holds it). It reads what batches
// committed before it wrote.
func (s *Store) MemberByIdentity(ctx context.Context, platform, identity string) (string, error) {
	if s.noIdentities {
		return "", state.ErrNoIdentityIndex
	}
	if err := s.Flush(ctx); err != nil {
		return "", err
	}
	var member string
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT i.member, m.data FROM identities i JOIN members m ON m.id = i.member
		WHERE i.platform = ? AND i.identity = ?`, platform, identity).Scan(&member, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	m := &state.Member{}
	if err := state.DecodeMember(data, m); err != nil {
		return "", fmt.Errorf("member %s: %w", member, err)
	}
	if m.Identities[platform] != identity {
		return "", nil
	}
	return member, nil
}
