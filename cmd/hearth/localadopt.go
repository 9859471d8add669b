package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// adoptingSender is the outbox's sender, with the local platform
// standing in for the real server a user would run: everyone who posts
// on a real server is on it, so an action for a member the local
// platform does not have (a role, a direct message, a mute or a kick),
// whom hearth knows from its events (stored, and not left), puts them
// on it (local.Conn.Adopt) and goes again, whichever action comes first. Without it, the quickstart's sample members, whose events come
// from a file, would get their roles dead-lettered. Anyone else stays
// platform.ErrMemberNotFound: the outbox tries a few more times, then
// dead-letters the action with what to do (hearth local join -id).
type adoptingSender struct {
	next   outbox.Sender
	reg    *platform.Registry
	config func() *config.Config
	// member reads hearth's record of a member; state.ErrNotFound when
	// there is none.
	member func(ctx context.Context, id string) (knownMember, error)
	log    *slog.Logger

	mu    sync.Mutex
	conns map[string]*local.Conn
}

// knownMember is what adoptingSender needs of a stored member.
type knownMember struct {
	Name     string
	JoinedAt time.Time
	Left     bool
}

// readKnownMember reads a member from st in a batch it rolls back.
func readKnownMember(ctx context.Context, st state.Store, id string) (knownMember, error) {
	b, err := st.Begin(ctx)
	if err != nil {
		return knownMember{}, err
	}
	defer func() { _ = b.Rollback() }()
	m, err := b.Member(id)
	if err != nil {
		return knownMember{}, err
	}
	return knownMember{Name: m.Name, JoinedAt: m.JoinedAt, Left: m.Left}, nil
}

var _ outbox.Sender = (*adoptingSender)(nil)

// Send sends a, adopting its member on the local platform when that is
// what stops it.
func (s *adoptingSender) Send(ctx context.Context, a state.Action) error {
	err := s.next.Send(ctx, a)
	var missing *local.MemberMissingError
	// A role.remove is for a role hearth gave, on the platform: a member
	// gone from it holds nothing to take.
	if err == nil || a.Kind == "role.remove" || !errors.As(err, &missing) ||
		missing.NeverIssued || missing.Member != a.Target {
		return err
	}
	m, merr := s.member(ctx, a.Member)
	if merr != nil || m.Left {
		// Not a member hearth has in its community: the action fails
		// as the platform said.
		return err
	}
	lc, cerr := s.conn(ctx, a.Platform)
	if cerr != nil {
		return err
	}
	if _, aerr := lc.Adopt(ctx, local.AdoptRequest{Community: missing.Community, Member: missing.Member, Name: m.Name, JoinedAt: m.JoinedAt}); aerr != nil {
		return fmt.Errorf("%w (putting them on the local platform failed: %v)", err, aerr)
	}
	s.logger().Info("member known from events put on the local platform", "member", missing.Member, "community", missing.CommunityName, "platform", a.Platform)
	return s.next.Send(ctx, a)
}

func (s *adoptingSender) logger() *slog.Logger {
	if s.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

// conn is a connection to the local platform addr (platform.local.NAME).
func (s *adoptingSender) conn(ctx context.Context, addr string) (*local.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.conns[addr]; ok {
		return c, nil
	}
	cfg := s.config()
	for _, p := range cfg.Platforms {
		if p.Addr() != addr || p.Type != local.Type {
			continue
		}
		c, err := s.reg.Open(ctx, p, cfg.PathsDir(), s.logger())
		if err != nil {
			return nil, err
		}
		lc, ok := c.(*local.Conn)
		if !ok {
			c.Close()
			return nil, fmt.Errorf("%s is not a local platform connection", addr)
		}
		if s.conns == nil {
			s.conns = map[string]*local.Conn{}
		}
		s.conns[addr] = lc
		return lc, nil
	}
	return nil, fmt.Errorf("no local platform %s in the configuration", addr)
}

// Close closes the connections it opened.
func (s *adoptingSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
	return nil
}
