package state

import (
	"encoding/json"
	"fmt"
)

// Rows is what database/sql and pgx result sets have in common.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// VisitMembers decodes member documents, one per row of a single data
// column, and passes each to fn; the SQL stores list members with it.
func VisitMembers(rows Rows, fn func(*Member) error) error {
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		m := &Member{}
		if err := json.Unmarshal(data, m); err != nil {
			return fmt.Errorf("member record: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}
