package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MemberFilter selects the members of a list (GET /v1/members, hearth
// member list) and the page of them wanted.
type MemberFilter struct {
	// Query keeps members whose id or name holds it, in any case.
	Query string
	// Segment and Tier keep a segment's or tier's members; members who
	// left are in neither, as the dashboard's bars count them, unless
	// SegmentForLeft says the segment is one written for them
	// (config.SegmentsForLeft: its rule reads member.left).
	Segment, Tier  string
	SegmentForLeft bool
	// Left, when set, keeps only members who left (true) or only those
	// who did not (false).
	Left *bool
	// Referrer keeps the members this member referred (Member.Referrer).
	Referrer string
	// After starts the page past this id: the Next of the page before.
	After string
	// Limit is the page's size, at least 1.
	Limit int
	// Sort orders the list (MemberSorts): "" or "id", by id; "points",
	// most points first (a leaderboard); "joined", the longest-standing
	// members first; "last_active", the most recently active first.
	// Ties go by id. With a sort, After is a page's Next as that sort
	// gives it ("VALUE:ID").
	Sort string
}

// MemberSorts are the orders a member list takes (MemberFilter.Sort).
func MemberSorts() []string { return []string{"id", "points", "joined", "last_active"} }

// MemberHit is one member of a list: enough to tell them apart and open
// the one wanted.
type MemberHit struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Tier         string    `json:"tier"`
	Points       int       `json:"points"`
	LastActiveAt time.Time `json:"last_active_at,omitzero"`
	Left         bool      `json:"left,omitempty"`
	JoinedAt     time.Time `json:"joined_at,omitzero"`
}

// sortValue is the member's value for a sort, as a number compared
// first, larger first: points, or a time in Unix nanoseconds (joined
// negated, so the earliest comes first). 0 for the id order.
func (h MemberHit) sortValue(sort string) int64 {
	switch sort {
	case "points":
		return int64(h.Points)
	case "joined":
		if h.JoinedAt.IsZero() {
			return math.MinInt64 // unknown: last
		}
		return -h.JoinedAt.UnixNano()
	case "last_active":
		if h.LastActiveAt.IsZero() {
			return math.MinInt64 // never active: last
		}
		return h.LastActiveAt.UnixNano()
	}
	return 0
}

// sortCursor is where a sorted page ends, for MemberFilter.After.
type sortCursor struct {
	value int64
	id    string
}

// past says whether a member of sort value v and id comes after the
// cursor: larger values first, then ids in order.
func (c sortCursor) past(v int64, id string) bool {
	return v < c.value || v == c.value && id > c.id
}

// ErrMemberList is a member list asked for in a way it cannot be given:
// an unknown sort, or an After that is no sorted page's Next.
var ErrMemberList = errors.New("invalid member list")

// parseCursor reads an After of a sorted list: "VALUE:ID".
func parseCursor(after string) (sortCursor, error) {
	v, id, ok := strings.Cut(after, ":")
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		return sortCursor{}, fmt.Errorf("%w: %q is not where a sorted page ends (VALUE:ID, the page's next)", ErrMemberList, after)
	}
	return sortCursor{n, id}, nil
}

// MemberPage is a page of a member list, in id order; More says pages
// follow, from Next (the page's last id).
type MemberPage struct {
	Members []MemberHit `json:"members"`
	More    bool        `json:"more"`
	Next    string      `json:"next,omitempty"`
}

// ListMembers reads a page of the members f selects from visit (a
// store's Members). The page is the Limit lowest ids past After, in Go's
// order whatever order the store visits in (PostgreSQL's collation may
// differ), so following Next neither skips nor repeats a member. Memory
// is held to about twice a page, however many members there are.
func ListMembers(ctx context.Context, visit func(context.Context, func(*Member) error) error, f MemberFilter) (MemberPage, error) {
	q := strings.ToLower(strings.TrimSpace(f.Query))
	limit := max(f.Limit, 1)
	keep := limit + 1 // one more than the page, to know whether another follows
	hits := []MemberHit{}
	sorted := f.Sort != "" && f.Sort != "id"
	if sorted && !slices.Contains(MemberSorts(), f.Sort) {
		return MemberPage{}, fmt.Errorf("%w: no sort %q: sort by %s", ErrMemberList, f.Sort, strings.Join(MemberSorts(), ", "))
	}
	var cur sortCursor
	if sorted && f.After != "" {
		var err error
		if cur, err = parseCursor(f.After); err != nil {
			return MemberPage{}, err
		}
	}
	trim := func() {
		sort.Slice(hits, func(i, j int) bool {
			if sorted {
				if a, b := hits[i].sortValue(f.Sort), hits[j].sortValue(f.Sort); a != b {
					return a > b
				}
			}
			return hits[i].ID < hits[j].ID
		})
		hits = hits[:min(len(hits), keep)]
	}
	err := visit(ctx, func(m *Member) error {
		switch {
		case !sorted && f.After != "" && m.ID <= f.After:
			return nil
		case sorted && f.After != "" && !cur.past(MemberHit{Points: m.Points, JoinedAt: m.JoinedAt, LastActiveAt: m.LastActiveAt}.sortValue(f.Sort), m.ID):
			return nil
		case q != "" && !strings.Contains(strings.ToLower(m.ID), q) && !strings.Contains(strings.ToLower(m.Name), q):
			return nil
		case f.Segment != "" && (m.Left && !f.SegmentForLeft || m.Segments[f.Segment].IsZero()):
			return nil
		case f.Tier != "" && (m.Left || m.Tier.Name != f.Tier):
			return nil
		case f.Left != nil && m.Left != *f.Left:
			return nil
		case f.Referrer != "" && m.Referrer != f.Referrer:
			return nil
		}
		hits = append(hits, MemberHit{m.ID, m.Name, m.Tier.Name, m.Points, m.LastActiveAt, m.Left, m.JoinedAt})
		if len(hits) >= 2*keep {
			trim()
		}
		return nil
	})
	if err != nil {
		return MemberPage{}, err
	}
	trim()
	page := MemberPage{Members: hits}
	if len(hits) > limit {
		page.Members, page.More, page.Next = hits[:limit], true, hits[limit-1].ID
		if sorted {
			last := hits[limit-1]
			page.Next = strconv.FormatInt(last.sortValue(f.Sort), 10) + ":" + last.ID
		}
	}
	return page, nil
}
