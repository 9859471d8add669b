package plan

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// Open opens every platform block of cfg but those that only send
// (config.Platform.SendsOnly: nothing is planned there, and their
// credentials are hearth run's to need). A platform that cannot be
// reached, or refuses the credentials, is a BlockError on its block
// (Unreached).
func Open(ctx context.Context, reg *platform.Registry, cfg *config.Config, log *slog.Logger) (Conns, error) {
	return open(ctx, reg.Open, cfg, log)
}

// OpenReadOnly opens the platform blocks of cfg Open opens to read only
// (platform.OpenRequest.ReadOnly), for a plan or a drift report, which
// change nothing; apply needs Open.
func OpenReadOnly(ctx context.Context, reg *platform.Registry, cfg *config.Config, log *slog.Logger) (Conns, error) {
	return open(ctx, reg.OpenReadOnly, cfg, log)
}

func open(ctx context.Context, openOne func(context.Context, *config.Platform, string, *slog.Logger) (platform.Conn, error), cfg *config.Config, log *slog.Logger) (Conns, error) {
	conns := Conns{}
	for _, p := range cfg.Platforms {
		if p.SendsOnly {
			// Nothing is planned there (managed): its credentials are
			// hearth run's to need.
			continue
		}
		c, err := openOne(ctx, p, cfg.PathsDir(), log)
		if err != nil {
			conns.Close()
			return nil, Unreached(cfg, err)
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
