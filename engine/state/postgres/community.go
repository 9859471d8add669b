package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-community/hearth/engine/state"
)

var (
	_ state.CommunityBatch  = (*batch)(nil)
	_ state.CommunityReader = (*Store)(nil)
)

// A community document is kept as counters, so replicas that count
// events into one community at once add up instead of overwriting each
// other (migration 4). The series of a document map to rows:
//
//	members             bucket 0
//	h/FIGURE            bucket = hour number   (Community.Hours)
//	d/FIGURE            bucket = day number    (Community.Days)
//	last_active         bucket = day number    (Community.LastActive)
//
// A batch reads the sums, lets the runtime change the document, and at
// commit adds the differences to its store's shard. Buckets a document
// dropped as too old are not subtracted: they are left behind, and a
// read keeps only the buckets the document would.
const (
	seriesMembers    = "members"
	seriesLastActive = "last_active"
)

// communityRead is a document as read, and the document the runtime
// changes, whose differences are written at commit.
type communityRead struct {
	base, doc *state.Community
	versions  map[string]int64 // alert name -> version read; absent when new
	saved     bool
}

// Community reads a community's document: the sum of every replica's
// counters and the stored alert state.
func (b *batch) Community(name string) (*state.Community, error) {
	if r, ok := b.comms[name]; ok {
		return r.doc, nil
	}
	base, versions, err := b.s.readCommunity(b.ctx, b.s.pool, name)
	if err != nil {
		return nil, b.s.failure(err)
	}
	if base == nil {
		return nil, state.ErrNotFound
	}
	if b.comms == nil {
		b.comms = map[string]*communityRead{}
	}
	b.comms[name] = &communityRead{base: base, doc: cloneCommunity(base), versions: versions}
	return b.comms[name].doc, nil
}

// SaveCommunity writes the document's changes with the batch.
func (b *batch) SaveCommunity(c *state.Community) error {
	if b.comms == nil {
		b.comms = map[string]*communityRead{}
	}
	r := b.comms[c.Name]
	if r == nil {
		// A document the batch did not read starts from nothing stored;
		// if another replica stored one meanwhile, its counters add up
		// and its alerts make the commit fail (a new alert row exists).
		r = &communityRead{base: &state.Community{Name: c.Name}, versions: map[string]int64{}}
		b.comms[c.Name] = r
	}
	r.doc, r.saved = c, true
	return nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readCommunity sums a community's counters; nil when nothing is stored.
func (s *Store) readCommunity(ctx context.Context, q querier, name string) (*state.Community, map[string]int64, error) {
	c := &state.Community{Name: name}
	found := false
	rows, err := q.Query(ctx, `SELECT series, bucket, sum(n)::bigint FROM community_counts WHERE community = $1 GROUP BY series, bucket ORDER BY series, bucket`, name)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var series string
		var bucket, n int64
		if err := rows.Scan(&series, &bucket, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		// Buckets at zero stay: members who moved on from a day leave it
		// at zero, as the document itself does.
		found = true
		switch {
		case series == seriesMembers:
			c.Members = int(n)
		case series == seriesLastActive:
			c.LastActive = append(c.LastActive, state.Bucket{Day: state.Day(bucket), Count: int(n)})
		case strings.HasPrefix(series, "h/"):
			if c.Hours == nil {
				c.Hours, c.Days = map[string]state.Series{}, map[string]state.Series{}
			}
			f := series[2:]
			c.Hours[f] = append(c.Hours[f], state.Bucket{Day: state.Day(bucket), Count: int(n)})
		case strings.HasPrefix(series, "d/"):
			if c.Hours == nil {
				c.Hours, c.Days = map[string]state.Series{}, map[string]state.Series{}
			}
			f := series[2:]
			c.Days[f] = append(c.Days[f], state.Bucket{Day: state.Day(bucket), Count: int(n)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// Keep what the document itself would keep.
	c.LastActive = state.Keep(c.LastActive, state.Horizon)
	for f, sr := range c.Hours {
		c.Hours[f] = state.Keep(sr, state.KeepHours)
	}
	for f, sr := range c.Days {
		c.Days[f] = state.Keep(sr, state.KeepDays)
	}
	versions := map[string]int64{}
	rows, err = q.Query(ctx, `SELECT name, data, version FROM community_alerts WHERE community = $1`, name)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var alert string
		var data []byte
		var v int64
		if err := rows.Scan(&alert, &data, &v); err != nil {
			return nil, nil, err
		}
		st := &state.AlertState{}
		if err := json.Unmarshal(data, st); err != nil {
			return nil, nil, fmt.Errorf("community %s alert %s: %w", name, alert, err)
		}
		if c.Alerts == nil {
			c.Alerts = map[string]*state.AlertState{}
		}
		c.Alerts[alert], versions[alert] = st, v
		found = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, versions, nil
	}
	return c, versions, nil
}

func cloneCommunity(c *state.Community) *state.Community {
	out := *c
	out.Hours, out.Days = cloneSeries(c.Hours), cloneSeries(c.Days)
	out.LastActive = slices.Clone(c.LastActive)
	if c.Alerts != nil {
		out.Alerts = make(map[string]*state.AlertState, len(c.Alerts))
		for k, v := range c.Alerts {
			cp := *v
			out.Alerts[k] = &cp
		}
	}
	return &out
}

func cloneSeries(m map[string]state.Series) map[string]state.Series {
	if m == nil {
		return nil
	}
	out := make(map[string]state.Series, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// countDelta is one counter change of a community.
type countDelta struct {
	series string
	bucket int64
	n      int64
}

// deltas are what changed from base to doc, counter by counter.
func deltas(base, doc *state.Community) []countDelta {
	var out []countDelta
	if d := doc.Members - base.Members; d != 0 {
		out = append(out, countDelta{seriesMembers, 0, int64(d)})
	}
	series := func(name string, was, now state.Series) {
		old := map[state.Day]int{}
		for _, b := range was {
			old[b.Day] = b.Count
		}
		for _, b := range now {
			if d := b.Count - old[b.Day]; d != 0 {
				out = append(out, countDelta{name, int64(b.Day), int64(d)})
			}
		}
	}
	series(seriesLastActive, base.LastActive, doc.LastActive)
	for _, f := range slices.Sorted(maps.Keys(doc.Hours)) {
		series("h/"+f, base.Hours[f], doc.Hours[f])
	}
	for _, f := range slices.Sorted(maps.Keys(doc.Days)) {
		series("d/"+f, base.Days[f], doc.Days[f])
	}
	return out
}

// writeCommunities adds the saved documents' changes to this store's
// shard and writes alert states that changed, each only if it is still
// the version read: two replicas never both fire one alert.
func (b *batch) writeCommunities(ctx context.Context, tx pgx.Tx) error {
	for _, name := range slices.Sorted(maps.Keys(b.comms)) {
		r := b.comms[name]
		if !r.saved {
			continue
		}
		ds := deltas(r.base, r.doc)
		if len(ds) > 0 || r.base.Members == 0 && len(r.base.Alerts) == 0 {
			// A document with no counters yet still gets its members row,
			// so it is listed.
			series, buckets, ns := []string{seriesMembers}, []int64{0}, []int64{0}
			for _, d := range ds {
				series, buckets, ns = append(series, d.series), append(buckets, d.bucket), append(ns, d.n)
			}
			_, err := tx.Exec(ctx, `INSERT INTO community_counts (community, series, bucket, shard, n)
				SELECT $1, s, b, $5, sum(n) FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(s, b, n) GROUP BY s, b ORDER BY s, b
				ON CONFLICT (community, series, bucket, shard) DO UPDATE SET n = community_counts.n + excluded.n`,
				name, series, buckets, ns, b.s.shard)
			if err != nil {
				return fmt.Errorf("community %s: %w", name, err)
			}
			if err := b.trimCommunity(ctx, tx, r.doc); err != nil {
				return fmt.Errorf("community %s: %w", name, err)
			}
		}
		for _, alert := range slices.Sorted(maps.Keys(r.doc.Alerts)) {
			st := r.doc.Alerts[alert]
			if was := r.base.Alerts[alert]; was != nil && reflect.DeepEqual(*was, *st) {
				continue
			}
			data, err := json.Marshal(st)
			if err != nil {
				return err
			}
			v, known := r.versions[alert]
			var tag int64
			if known {
				res, err := tx.Exec(ctx, `UPDATE community_alerts SET data = $3, version = version + 1 WHERE community = $1 AND name = $2 AND version = $4`, name, alert, data, v)
				if err != nil {
					return fmt.Errorf("community %s alert %s: %w", name, alert, err)
				}
				tag = res.RowsAffected()
			} else {
				res, err := tx.Exec(ctx, `INSERT INTO community_alerts (community, name, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, name, alert, data)
				if err != nil {
					return fmt.Errorf("community %s alert %s: %w", name, alert, err)
				}
				tag = res.RowsAffected()
			}
			if tag != 1 {
				return fmt.Errorf("%w: alert %s of community %s was changed by another replica", ErrConflict, alert, name)
			}
		}
	}
	return nil
}

// Communities lists the community documents by name.
func (s *Store) Communities() ([]*state.Community, error) {
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT community FROM community_counts UNION SELECT community FROM community_alerts ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []*state.Community
	for _, name := range names {
		c, _, err := s.readCommunity(ctx, s.pool, name)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// trimCommunity deletes, at most once a minute per community and store,
// the counters older than any document keeps, measured from the newest
// buckets of doc (event time, not the clock). Only old buckets go, which
// no replica is still adding to.
func (b *batch) trimCommunity(ctx context.Context, tx pgx.Tx, doc *state.Community) error {
	var hour, day state.Day
	for _, sr := range doc.Hours {
		if len(sr) > 0 {
			hour = max(hour, sr[len(sr)-1].Day)
		}
	}
	for _, sr := range doc.Days {
		if len(sr) > 0 {
			day = max(day, sr[len(sr)-1].Day)
		}
	}
	if hour == 0 && day == 0 {
		return nil
	}
	b.s.mu.Lock()
	last := b.s.trimmed[doc.Name]
	due := time.Since(last) >= time.Minute
	if due {
		if b.s.trimmed == nil {
			b.s.trimmed = map[string]time.Time{}
		}
		b.s.trimmed[doc.Name] = time.Now()
	}
	b.s.mu.Unlock()
	if !due {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM community_counts WHERE community = $1 AND ((series LIKE 'h/%' AND bucket <= $2) OR (series LIKE 'd/%' AND bucket <= $3))`,
		doc.Name, int64(hour)-state.KeepHours, int64(day)-state.KeepDays)
	return err
}
