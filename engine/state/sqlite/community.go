package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hearth-community/hearth/engine/state"
)

var (
	_ state.CommunityBatch  = (*batch)(nil)
	_ state.CommunityReader = (*Store)(nil)
)

// Community returns a community document: the batch's own, the newest
// one committed or being written, or the database's.
func (b *batch) Community(name string) (*state.Community, error) {
	if c, ok := b.comms[name]; ok {
		return c, nil
	}
	s := b.store
	s.mu.Lock()
	c := s.comms[name]
	s.mu.Unlock()
	if c == nil {
		var data []byte
		err := s.db.QueryRowContext(b.ctx, `SELECT data FROM communities WHERE name = ?`, name).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, state.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		c = &state.Community{}
		if err := json.Unmarshal(data, c); err != nil {
			return nil, fmt.Errorf("community %s: %w", name, err)
		}
	}
	if b.comms == nil {
		b.comms = map[string]*state.Community{}
	}
	b.comms[name] = c
	return c, nil
}

// SaveCommunity writes the document with the batch.
func (b *batch) SaveCommunity(c *state.Community) error {
	if b.comms == nil {
		b.comms = map[string]*state.Community{}
	}
	b.comms[c.Name] = c
	return nil
}

// Communities lists the community documents by name, after background
// writes.
func (s *Store) Communities() ([]*state.Community, error) {
	ctx := context.Background()
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM communities ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*state.Community
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		c := &state.Community{}
		if err := json.Unmarshal(data, c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
