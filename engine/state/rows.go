package state

import (
	"fmt"
	"sort"
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
		if err := DecodeMember(data, m); err != nil {
			return fmt.Errorf("member record: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScanIDs reads rows of one text column, the SQL stores' member id lists.
func ScanIDs(rows Rows) ([]string, error) {
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// DueRow is a member whose recheck time, in Unix nanoseconds, has come.
type DueRow struct {
	ID string
	At int64
}

// ScanDue reads rows of (id, recheck_at), the SQL stores' due queries.
func ScanDue(rows Rows) ([]DueRow, error) {
	var list []DueRow
	for rows.Next() {
		var d DueRow
		if err := rows.Scan(&d.ID, &d.At); err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

// DueIDs orders due members by recheck time, then id, and returns at most
// limit of their ids (all when limit < 0).
func DueIDs(list []DueRow, limit int) []string {
	sort.Slice(list, func(i, j int) bool {
		if list[i].At != list[j].At {
			return list[i].At < list[j].At
		}
		return list[i].ID < list[j].ID
	})
	if limit < 0 || limit > len(list) {
		limit = len(list)
	}
	ids := make([]string, limit)
	for i := range ids {
		ids[i] = list[i].ID
	}
	return ids
}

// ScanTallies reads counters from rows of (key, n); the SQL stores read
// their tallies with it.
func ScanTallies(rows Rows) (Tallies, error) {
	out := Tallies{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
