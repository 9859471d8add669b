package plan

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Open opens every platform block of cfg.
func Open(ctx context.Context, reg *platform.Registry, cfg *config.Config, log *slog.Logger) (Conns, error) {
	conns := Conns{}
	for _, p := range cfg.Platforms {
		c, err := reg.Open(ctx, p, cfg.Dir, log)
		if err != nil {
			conns.Close()
			return nil, err
		}
		conns[p.Addr()] = c
	}
	return conns, nil
}

// Close closes every connection.
func (c Conns) Close() error {
	var errs []error
	for _, conn := range c {
		errs = append(errs, conn.Close())
	}
	return errors.Join(errs...)
}
