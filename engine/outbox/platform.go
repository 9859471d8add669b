package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// PlatformSender delivers outbox actions through platform adapters: a
// channel message, a direct message or a role change becomes a platform
// Perform, and an email a Mail through an email platform, each with the
// action's idempotency key, so a platform that honours keys applies it at
// most once however often it is sent.
type PlatformSender struct {
	Registry *platform.Registry
	// Config gives the snapshot in force (it may change on reload).
	Config func() *config.Config
	Log    *slog.Logger
	// Resources, when set, lists the objects apply made (the state's
	// resources): communities, channels and roles are then found by
	// their hearth address first, and by name on the platform only when
	// state has none. Platforms whose objects do not carry the hearth
	// name (a Discord server or a Telegram group is named by its title)
	// need it.
	Resources func(ctx context.Context) ([]state.Resource, error)
	// Grants, when set, is hearth's record of the role assignments it
	// made (state.RoleGrant), which apply keeps too: a role.add that
	// gave the member the role is recorded (one they held already, by
	// hand, is not), and a role.remove takes only a role with a record,
	// and is skipped (SkipError) otherwise, so the daemon never takes a
	// role a moderator gave. Without it, roles are given and taken as
	// the rules say.
	Grants RoleGrants
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	conns map[string]platform.Conn
	ids   map[string]string // "community/NAME" and "channel/COMMUNITY-ID/NAME" -> platform id
	// missing are objects not found on the platform, with when they were
	// looked for: the actions waiting for one of them read the platform
	// once per missingFor between them, not once each.
	missing map[string]time.Time
}

// RoleGrants is the record of role assignments hearth made
// (engine/plan.RoleGrants); the state stores implement it.
type RoleGrants interface {
	HasRoleGrant(ctx context.Context, g state.RoleGrant) (bool, error)
	PutRoleGrant(ctx context.Context, g state.RoleGrant) error
	DeleteRoleGrant(ctx context.Context, g state.RoleGrant) error
}

// missingFor is how long an object found missing is taken to be still
// missing without asking the platform again.
const missingFor = 5 * time.Second

var _ Sender = (*PlatformSender)(nil)

// Send performs one action.
func (p *PlatformSender) Send(ctx context.Context, a state.Action) error {
	cfg := p.Config()
	if a.Campaign != "" {
		for _, c := range cfg.Campaigns {
			if c.Name == a.Campaign && c.Paused {
				// Held, not failed: it goes out when the campaign resumes.
				return &NotReadyError{Err: fmt.Errorf("campaign %s is paused", a.Campaign)}
			}
		}
	}
	var plat *config.Platform
	for _, pl := range cfg.Platforms {
		if pl.Addr() == a.Platform {
			plat = pl
		}
	}
	if plat == nil {
		return &PermanentError{Err: fmt.Errorf("action %s names platform %q, which the configuration does not have", a.Key, a.Platform)}
	}
	conn, err := p.conn(ctx, cfg, plat)
	if err != nil {
		return err
	}
	if a.Kind == "send.email" {
		return mail(ctx, conn, plat, a)
	}
	perf, err := platform.Require[platform.Performer](conn, plat.Addr())
	if err != nil {
		return &PermanentError{Err: err}
	}
	caddr := "community." + a.Community
	community, err := p.id(ctx, conn, plat.Addr(), caddr, platform.ReadRequest{Kind: platform.KindCommunity}, a.Community, a.Community)
	if err != nil {
		return err
	}
	req := platform.PerformRequest{Key: a.Key, Community: community, Text: a.Text}
	switch a.Kind {
	case "send.dm":
		req.Action, req.Member, req.Mentions = platform.ActionDirectMessage, a.Target, mentions(a.Mentions)
	case "send.webhook":
		// A webhook delivers the rendered message about the member to
		// another system (a CRM, an SMS gateway), which takes it as a
		// message for that member.
		req.Action, req.Member = platform.ActionDirectMessage, a.Target
	case "send.channel":
		ch, err := p.id(ctx, conn, plat.Addr(), caddr+".channel."+a.Target, platform.ReadRequest{Kind: platform.KindChannel, Community: community}, a.Target, shownName(cfg, a.Community, platform.KindChannel, a.Target))
		if err != nil {
			return err
		}
		req.Action, req.Channel, req.Mentions = platform.ActionChannelMessage, ch, mentions(a.Mentions)
	case "role.add", "role.remove":
		role, err := p.id(ctx, conn, plat.Addr(), caddr+".role."+a.Role, platform.ReadRequest{Kind: platform.KindRole, Community: community}, a.Role, shownName(cfg, a.Community, platform.KindRole, a.Role))
		if err != nil {
			return err
		}
		req.Action, req.Member, req.Role, req.Text = platform.ActionRoleAdd, a.Target, role, ""
		if a.Kind == "role.remove" {
			req.Action = platform.ActionRoleRemove
		}
		return p.role(ctx, perf, plat.Addr(), req)
	case "moderation.mute", "moderation.kick", "moderation.ban":
		req.Action, req.Member, req.Text, req.Reason = moderationActions[a.Kind], a.Target, "", a.Reason
		if a.Kind != "moderation.kick" { // a kick does not last
			req.Duration = a.Duration
		}
	case "moderation.unmute":
		req.Action, req.Member, req.Text, req.Reason = platform.ActionUnmute, a.Target, "", a.Reason
	case "moderation.delete":
		req.Action, req.Message, req.Text, req.Reason = platform.ActionDeleteMessage, a.Message, "", a.Reason
	case "badge.grant", "badge.revoke":
		// The runtime puts the platform's badge name in Role.
		req.Action, req.Member, req.Badge, req.Text = platform.ActionBadgeGrant, a.Target, a.Role, ""
		if a.Kind == "badge.revoke" {
			req.Action = platform.ActionBadgeRevoke
		}
	case "trust_level.set", "trust_level.raise", "trust_level.lock", "trust_level.unlock":
		// The runtime puts the level in Role; unlock sets none.
		req.Action, req.Member, req.Level, req.Text = platform.ActionTrustLevel, a.Target, a.Role, ""
		req.Lock, req.Raise = a.Kind == "trust_level.lock", a.Kind == "trust_level.raise"
	case "member.move":
		// Into a sub-community apply made; one not made yet waits.
		into, err := p.id(ctx, conn, plat.Addr(), "community."+a.Into, platform.ReadRequest{Kind: platform.KindCommunity}, a.Into, a.Into)
		if err != nil {
			return err
		}
		req.Action, req.Member, req.Into, req.Text = platform.ActionMoveMember, a.Target, into, ""
	default:
		return &PermanentError{Err: fmt.Errorf("%s cannot deliver %s; configure a platform that can", plat.Addr(), a.Kind)}
	}
	_, err = perf.Perform(ctx, req)
	return err
}

// mentions are an action's mentions as adapters take them.
func mentions(ms []state.Mention) []platform.Mention {
	if len(ms) == 0 {
		return nil
	}
	out := make([]platform.Mention, len(ms))
	for i, m := range ms {
		out[i] = platform.Mention{ID: m.ID, Start: m.Start, End: m.End}
	}
	return out
}

// role gives or takes a role, keeping the record of what hearth gave
// (Grants): a role is taken only where hearth gave it. The record of a
// gift is written after the platform gave it: should that write fail or
// the process stop between the two, hearth counts the role as given by
// hand and never takes it, rather than take one it did not give.
func (p *PlatformSender) role(ctx context.Context, perf platform.Performer, plat string, req platform.PerformRequest) error {
	if p.Grants == nil {
		_, err := perf.Perform(ctx, req)
		return err
	}
	g := state.RoleGrant{Platform: plat, Community: req.Community, Role: req.Role, Member: req.Member, At: p.now().UTC()}
	if req.Action == platform.ActionRoleRemove {
		made, err := p.Grants.HasRoleGrant(ctx, g)
		if err != nil {
			return err
		}
		if !made {
			return &SkipError{Reason: state.OutboxSkippedNotGiven}
		}
		if _, err := perf.Perform(ctx, req); err != nil {
			return err
		}
		return p.Grants.DeleteRoleGrant(ctx, g)
	}
	resp, err := perf.Perform(ctx, req)
	if err != nil {
		return err
	}
	if resp.Held == platform.HeldYes {
		// Held before: by hand, or given by hearth already (then its
		// record is there and stays).
		return nil
	}
	return p.Grants.PutRoleGrant(ctx, g)
}

// mail sends an email action through a platform that can (an "email"
// platform block). The recipient is the member's identity on that
// platform, their address.
func mail(ctx context.Context, conn platform.Conn, plat *config.Platform, a state.Action) error {
	m, err := platform.Require[platform.Mailer](conn, plat.Addr())
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("%w; send email through an email platform: send { channel = \"email\", platform = platform.email.NAME }", err)}
	}
	if !strings.Contains(a.Target, "@") {
		return &PermanentError{Err: fmt.Errorf("member %s has no email address: events must carry it as member.identities.%s", a.Member, plat.Type)}
	}
	_, err = m.Mail(ctx, platform.MailRequest{Key: a.Key, To: a.Target, Member: a.Member, Subject: a.Subject, Text: a.Text, HTML: a.HTML, Locale: a.Locale, Transactional: a.Transactional})
	return err
}

func (p *PlatformSender) conn(ctx context.Context, cfg *config.Config, plat *config.Platform) (platform.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[plat.Addr()]; ok {
		return c, nil
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := p.Registry.Open(ctx, plat, cfg.PathsDir(), log)
	if err != nil {
		return nil, err
	}
	if p.conns == nil {
		p.conns = map[string]platform.Conn{}
	}
	p.conns[plat.Addr()] = c
	return c, nil
}

// id finds an object's platform id: in state by its hearth address, or
// on the platform by its name there (shown: a channel's or role's
// title); the answer is remembered. A platform that cannot list objects
// knows them by their block names (label).
func (p *PlatformSender) id(ctx context.Context, conn platform.Conn, plat, addr string, req platform.ReadRequest, label, shown string) (string, error) {
	key := plat + " " + addr
	p.mu.Lock()
	id, ok := p.ids[key]
	lookedAt, gone := p.missing[key]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	if gone && p.now().Sub(lookedAt) < missingFor {
		return "", notThere(req.Kind, shown)
	}
	if p.Resources != nil {
		rs, err := p.Resources(ctx)
		if err != nil {
			return "", err
		}
		for _, r := range rs {
			if r.Address == addr && r.Platform == plat && r.ID != "" {
				p.mu.Lock()
				if p.ids == nil {
					p.ids = map[string]string{}
				}
				p.ids[key] = r.ID
				p.mu.Unlock()
				return r.ID, nil
			}
		}
	}
	reader, ok := conn.(platform.Reader)
	if !ok {
		// Platforms that cannot list objects (webhooks, chat robots) know
		// them by their hearth names.
		return label, nil
	}
	objs, err := platform.ReadAll(ctx, reader, req)
	if err != nil {
		return "", err
	}
	for _, o := range objs {
		if o.Attrs["name"] == shown {
			p.mu.Lock()
			if p.ids == nil {
				p.ids = map[string]string{}
			}
			p.ids[key] = o.ID
			p.mu.Unlock()
			return o.ID, nil
		}
	}
	// Not there yet: the action waits for apply to create it.
	p.mu.Lock()
	if p.missing == nil || len(p.missing) >= 1000 {
		p.missing = map[string]time.Time{}
	}
	p.missing[key] = p.now()
	p.mu.Unlock()
	return "", notThere(req.Kind, shown)
}

func (p *PlatformSender) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// shownName is the name the channel or role block label of community
// (or of its capacity family, for a sub-community) has on the platform:
// its title. label itself when the configuration has no such block.
func shownName(cfg *config.Config, community string, kind platform.Kind, label string) string {
	c, _ := cfg.Family(community)
	if c == nil {
		return label
	}
	switch kind {
	case platform.KindChannel:
		for _, ch := range c.Channels {
			if ch.Name == label {
				return ch.Title
			}
		}
	case platform.KindRole:
		for _, r := range c.Roles {
			if r.Name == label {
				return r.Title
			}
		}
	}
	return label
}

func notThere(kind platform.Kind, name string) error {
	return &NotReadyError{Err: fmt.Errorf("no %s named %q on the platform yet (run hearth apply)", kind, name)}
}

// moderationActions are the platform actions of moderation outbox kinds.
var moderationActions = map[string]platform.Action{
	"moderation.mute": platform.ActionMute, "moderation.kick": platform.ActionKick, "moderation.ban": platform.ActionBan,
}

// Close closes the platform connections.
func (p *PlatformSender) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	return nil
}
