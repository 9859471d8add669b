// Package single serves the adapters whose platform block holds exactly
// one community, named by its community setting (a Slack workspace, a
// Discourse forum): the platform cannot create that community, so
// creating it in hearth adopts the one the block holds, and every other
// change must name it.
package single

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/hearth-community/hearth/adapters/internal/pagetoken"
	"github.com/hearth-community/hearth/engine/platform"
)

// Block is the one community of an open platform block.
type Block struct {
	Platform string // the platform type, as messages name it: "slack"
	Noun     string // what the platform calls the community: "workspace"
	ID       string // the community's platform id
	Name     string // the community setting: the community block it holds
	// NoDelete is why hearth does not delete the community, the message
	// of the ErrUnsupported a delete gets.
	NoDelete string
	// Closed is the connection's closed flag, read on each check so a
	// Close during a call is seen; ErrClosed is what a closed one returns.
	Closed    *atomic.Bool
	ErrClosed error
}

// Func applies one change of a kind.
type Func func(context.Context, platform.ApplyRequest) (platform.Object, error)

// Check refuses a closed connection and a community other than the
// block's.
func (b Block) Check(community string) error {
	if b.Closed.Load() {
		return b.ErrClosed
	}
	if community != b.ID {
		return fmt.Errorf("community %q: this platform block is %s %s: %w", community, b.Noun, b.ID, platform.ErrNotFound)
	}
	return nil
}

// Object is the community as Read lists it.
func (b Block) Object() platform.Object {
	return platform.Object{Kind: platform.KindCommunity, ID: b.ID, Attrs: platform.Attrs{"name": b.Name}}
}

// Read answers what Read needs no platform call for: a closed
// connection, the community listing (the one community, in one page),
// an unknown kind and a community other than the block's. done reports
// whether resp and err are the answer; when it is false the caller
// lists req.Kind itself.
func (b Block) Read(req platform.ReadRequest, tokens pagetoken.Prefix) (resp platform.ReadResponse, done bool, err error) {
	if b.Closed.Load() {
		return resp, true, b.ErrClosed
	}
	if req.Kind == platform.KindCommunity {
		if req.PageToken != "" {
			_, err := tokens.Parse(req.Kind, req.PageToken)
			return resp, true, err
		}
		resp.Objects = []platform.Object{b.Object()}
		return resp, true, nil
	}
	spec, ok := platform.SpecOf(req.Kind)
	if !ok {
		return resp, true, fmt.Errorf("%w: unknown kind %q", platform.ErrInvalid, req.Kind)
	}
	if spec.Scoped && req.Community == "" {
		return resp, true, fmt.Errorf("%w: reading %ss needs a community id", platform.ErrInvalid, req.Kind)
	}
	if err := b.Check(req.Community); err != nil {
		return resp, true, err
	}
	return resp, false, nil
}

// Adopt applies a change to the community itself: creating it adopts
// the block's community when the name is the community setting; an
// update cannot rename it (that is the setting's job) and hearth never
// deletes it.
func (b Block) Adopt(req platform.ApplyRequest) (platform.Object, error) {
	switch req.Op {
	case platform.OpCreate:
		if req.Attrs["name"] != b.Name {
			return platform.Object{}, fmt.Errorf("%w: this %s platform block holds community %q, not %q; set its community setting", platform.ErrInvalid, b.Platform, b.Name, req.Attrs["name"])
		}
	case platform.OpUpdate:
		if req.ID != b.ID {
			return platform.Object{}, fmt.Errorf("%s %s: %w", b.Noun, req.ID, platform.ErrNotFound)
		}
		if n, ok := req.Attrs["name"]; ok && n != b.Name {
			return platform.Object{}, fmt.Errorf("%w: this %s platform block holds community %q; renaming it means changing its community setting", platform.ErrInvalid, b.Platform, b.Name)
		}
	case platform.OpDelete:
		return platform.Object{}, fmt.Errorf("%w: %s", platform.ErrUnsupported, b.NoDelete)
	}
	return b.Object(), nil
}

// Keeps says why hearth does not delete the block's community (its
// NoDelete), and "" for other kinds: a plan forgets the community
// rather than delete it (platform.Keeper).
func (b Block) Keeps(kind platform.Kind) string {
	if kind == platform.KindCommunity {
		return b.NoDelete
	}
	return ""
}

// Apply carries out one change: community changes go to Adopt, those of
// other kinds to kinds (after Check), and a kind not there is
// ErrUnsupported. Errors name the operation and kind.
func (b Block) Apply(ctx context.Context, req platform.ApplyRequest, kinds map[platform.Kind]Func) (platform.ApplyResponse, error) {
	var resp platform.ApplyResponse
	if b.Closed.Load() {
		return resp, b.ErrClosed
	}
	req, err := platform.CheckApply(req)
	if err != nil {
		return resp, err
	}
	if req.Kind != platform.KindCommunity {
		if err := b.Check(req.Community); err != nil {
			return resp, err
		}
	}
	if err := ctx.Err(); err != nil {
		return resp, err
	}
	var o platform.Object
	apply, ok := kinds[req.Kind]
	switch {
	case req.Kind == platform.KindCommunity:
		o, err = b.Adopt(req)
	case ok:
		o, err = apply(ctx, req)
	default:
		err = fmt.Errorf("%w: %s cannot %s a %s", platform.ErrUnsupported, b.Platform, req.Op, req.Kind)
	}
	if err != nil {
		// A create that made the object before failing gives it back
		// (platform.Applier), so the engine records it.
		if req.Op == platform.OpCreate && o.ID != "" {
			o.Address = req.Address
			resp.Object = o
		}
		return resp, fmt.Errorf("%s %s: %w", req.Op, req.Kind, err)
	}
	o.Address = req.Address
	resp.Object = o
	return resp, nil
}
