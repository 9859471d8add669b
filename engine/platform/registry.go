package platform

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
)

// Registry holds the adapters a binary has, by type. It is built
// explicitly from a list — no package-level registration, no init() — so
// a test can build one with exactly the adapters it wants, and what a
// binary supports is visible where the binary is assembled.
type Registry struct {
	byType map[string]Adapter
}

// NewRegistry builds a registry. An adapter without a type, two adapters
// with one type, or a Spec whose Type differs from Type() are errors:
// all are programming mistakes a test of the binary catches.
func NewRegistry(adapters ...Adapter) (*Registry, error) {
	r := &Registry{byType: make(map[string]Adapter, len(adapters))}
	for _, a := range adapters {
		if a == nil {
			return nil, fmt.Errorf("platform registry: nil adapter")
		}
		typ := a.Type()
		if typ == "" {
			return nil, fmt.Errorf("platform registry: adapter %T has no type name", a)
		}
		if st := a.Spec().Type; st != typ {
			return nil, fmt.Errorf("platform registry: adapter %q describes its settings as type %q", typ, st)
		}
		if _, dup := r.byType[typ]; dup {
			return nil, fmt.Errorf("platform registry: two adapters for type %q", typ)
		}
		r.byType[typ] = a
	}
	return r, nil
}

// Lookup returns the adapter of a type.
func (r *Registry) Lookup(typ string) (Adapter, bool) {
	a, ok := r.byType[typ]
	return a, ok
}

// Types lists the types, sorted.
func (r *Registry) Types() []string {
	return slices.Sorted(maps.Keys(r.byType))
}

// Specs returns the settings spec of every type, for config.Options.
func (r *Registry) Specs() map[string]config.PlatformSpec {
	out := make(map[string]config.PlatformSpec, len(r.byType))
	for typ, a := range r.byType {
		out[typ] = a.Spec()
	}
	return out
}

// Open opens the platform block p of a loaded configuration. The logger
// (nil: discard) is given the platform's address as an attribute, so
// every line an adapter logs says which block it is about.
func (r *Registry) Open(ctx context.Context, p *config.Platform, dir string, log *slog.Logger) (Conn, error) {
	return r.open(ctx, p, dir, log, false)
}

// OpenReadOnly is Open for a caller that only reads (OpenRequest.ReadOnly):
// a plan must leave the platforms and the directory as they are.
func (r *Registry) OpenReadOnly(ctx context.Context, p *config.Platform, dir string, log *slog.Logger) (Conn, error) {
	return r.open(ctx, p, dir, log, true)
}

func (r *Registry) open(ctx context.Context, p *config.Platform, dir string, log *slog.Logger, readOnly bool) (Conn, error) {
	a, ok := r.byType[p.Type]
	if !ok {
		return nil, fmt.Errorf("%s: platform type %q is not in this binary (it has %s): %w", p.Addr(), p.Type, strings.Join(r.Types(), ", "), ErrUnsupported)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := a.Open(ctx, OpenRequest{Name: p.Name, Settings: p.Settings, Dir: dir, Logger: log.With("platform", p.Addr()), ReadOnly: readOnly})
	if err != nil {
		return nil, &OpenError{Platform: p, Err: err}
	}
	return c, nil
}

// where is " (FILE:LINE)" of the platform block, so a refused setting or
// token can be found; empty for a block not read from a file.
func where(p *config.Platform) string {
	if p.DeclRange.Filename == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", p.DeclRange.Filename, p.DeclRange.Start.Line)
}
