package state

import (
	"context"
	"sort"
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
	// After starts the page past this id: the Next of the page before.
	After string
	// Limit is the page's size, at least 1.
	Limit int
}

// MemberHit is one member of a list: enough to tell them apart and open
// the one wanted.
type MemberHit struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Tier         string    `json:"tier"`
	Points       int       `json:"points"`
	LastActiveAt time.Time `json:"last_active_at,omitzero"`
	Left         bool      `json:"left,omitempty"`
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
	trim := func() {
		sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
		hits = hits[:min(len(hits), keep)]
	}
	err := visit(ctx, func(m *Member) error {
		switch {
		case f.After != "" && m.ID <= f.After:
			return nil
		case q != "" && !strings.Contains(strings.ToLower(m.ID), q) && !strings.Contains(strings.ToLower(m.Name), q):
			return nil
		case f.Segment != "" && (m.Left && !f.SegmentForLeft || m.Segments[f.Segment].IsZero()):
			return nil
		case f.Tier != "" && (m.Left || m.Tier.Name != f.Tier):
			return nil
		case f.Left != nil && m.Left != *f.Left:
			return nil
		}
		hits = append(hits, MemberHit{m.ID, m.Name, m.Tier.Name, m.Points, m.LastActiveAt, m.Left})
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
	}
	return page, nil
}
