package postgres

import (
	"context"
	"fmt"
	"time"
)

// Server is a daemon serving the state, as it records itself (Serve).
type Server struct {
	ID string
	// Bus is the stream of the event bus it reads, "" for a daemon
	// without -bus, which applies the events it takes itself.
	Bus     string
	Address string
	// Seen is how long ago its last heartbeat was, by the database's
	// clock; set on what Serve returns.
	Seen time.Duration
}

// ServedError refuses a daemon a state that another serves in a way
// that does not mix with its own: replicas on a bus split members by
// partition, and a daemon without one (or on another stream) would
// apply events of members another replica owns.
type ServedError struct {
	Other Server
}

func (e *ServedError) Error() string {
	ago := e.Other.Seen.Round(time.Second)
	if e.Other.Bus == "" {
		return fmt.Sprintf("this state is served by hearth run without -bus (%s at %s, last seen %s ago)", e.Other.ID, e.Other.Address, ago)
	}
	return fmt.Sprintf("this state is served by replicas on bus %s (%s at %s, last seen %s ago)", e.Other.Bus, e.Other.ID, e.Other.Address, ago)
}

// serveLock serializes Serve calls per schema, so two daemons of
// different kinds starting together cannot both find the other absent.
const serveLock = `hashtextextended(current_schema() || '/hearth/serve', 0)`

// dbNow is the database's clock in Unix nanoseconds: every replica's
// heartbeat is compared on one clock.
const dbNow = `(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint`

// Serve records me as serving the state until ttl from now, unless a
// daemon of another kind (another me.Bus) has a heartbeat that has not
// expired: then it returns a *ServedError naming the most recent one.
// Call it on start and then well within ttl, as a heartbeat. Servers of
// another kind whose heartbeat expired are forgotten and returned, for
// the log: they stopped without saying so, or lost the database.
func (s *Store) Serve(ctx context.Context, me Server, ttl time.Duration) (stale []Server, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+serveLock+`)`); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id, bus, address, `+dbNow+` - seen_at, expires_at > `+dbNow+`
		FROM servers WHERE bus <> $1 AND id <> $2 ORDER BY seen_at DESC`, me.Bus, me.ID)
	if err != nil {
		return nil, err
	}
	var fresh *Server
	for rows.Next() {
		var o Server
		var seen int64
		var live bool
		if err := rows.Scan(&o.ID, &o.Bus, &o.Address, &seen, &live); err != nil {
			rows.Close()
			return nil, err
		}
		o.Seen = time.Duration(seen)
		if live && fresh == nil {
			fresh = &o
		} else if !live {
			stale = append(stale, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if fresh != nil {
		return nil, &ServedError{Other: *fresh}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM servers WHERE expires_at <= `+dbNow+` AND id <> $1`, me.ID); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO servers (id, bus, address, seen_at, expires_at) VALUES ($1, $2, $3, `+dbNow+`, `+dbNow+` + $4)
		ON CONFLICT (id) DO UPDATE SET bus = excluded.bus, address = excluded.address, seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
		me.ID, me.Bus, me.Address, ttl.Nanoseconds())
	if err != nil {
		return nil, err
	}
	return stale, tx.Commit(ctx)
}

// Leave forgets a server that stops, so a daemon of another kind may
// start at once rather than after its heartbeat expires.
func (s *Store) Leave(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM servers WHERE id = $1`, id)
	return err
}
