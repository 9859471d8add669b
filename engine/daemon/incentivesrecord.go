package daemon

import (
	"context"

	"github.com/hearth-community/hearth/engine/config"
)

// recordIncentives writes the record of the incentives the state runs
// with (config.IncentivesRecord) when cfg's differ from it, so that hearth plan
// can name the incentives a later change edits. Nothing waits on it: a
// store that cannot be read or written costs only that plan's names.
func (d *Daemon) recordIncentives(ctx context.Context, cfg *config.Config) {
	cs, ok := d.opt.Store.(CursorStore)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	now := config.DigestIncentives(cfg).String()
	was, err := cs.Cursor(ctx, config.IncentivesRecord)
	if err == nil && was != now {
		err = cs.SetCursor(ctx, config.IncentivesRecord, now)
	}
	if err != nil {
		d.failed(ctx, "recording the incentives the state runs with failed; hearth plan cannot name the incentives a change edits", "err", err)
	}
}
