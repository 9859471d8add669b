package daemon

import (
	"context"

	"github.com/hearth-community/hearth/engine/config"
)

// recordRules writes the record of the rules the state runs with
// (config.RulesRecord) when cfg's differ from it, so that hearth plan
// can name the incentives a later change edits. Nothing waits on it: a
// store that cannot be read or written costs only that plan's names.
func (d *Daemon) recordRules(ctx context.Context, cfg *config.Config) {
	cs, ok := d.opt.Store.(CursorStore)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	now := config.DigestRules(cfg).String()
	was, err := cs.Cursor(ctx, config.RulesRecord)
	if err == nil && was != now {
		err = cs.SetCursor(ctx, config.RulesRecord, now)
	}
	if err != nil {
		d.failed(ctx, "recording the rules the state runs with failed; hearth plan cannot name the incentives a change edits", "err", err)
	}
}
