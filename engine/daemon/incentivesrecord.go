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

// recordRunning writes the record of the configuration in force
// (config.RunningRecord) when it is another than the one recorded, so
// that the commands that only read the state read it with this
// configuration while the files on disk fail validation. The record
// blanks the secrets written in the files. Replicas each record theirs
// at their start and reloads: the last one written wins. Nothing waits on
// it: a store that cannot be written costs only that fallback.
func (d *Daemon) recordRunning(ctx context.Context, snap *Snapshot) {
	cs, ok := d.opt.Store.(CursorStore)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	was, err := cs.Cursor(ctx, config.RunningRecord)
	if r, ok := config.ParseRunning(was); err == nil && (!ok || r.Hash != snap.Config.Fingerprint) {
		err = cs.SetCursor(ctx, config.RunningRecord, config.RunningOf(snap.Config, d.opt.Load.Platforms, snap.LoadedAt).String())
	}
	if err != nil {
		d.failed(ctx, "recording the configuration in force in the state failed; commands that read the state need valid files until it is recorded", "err", err)
	}
}
