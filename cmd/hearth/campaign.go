package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

const campaignUsage = `Usage: hearth campaign stop [-member ID] NAME [DIR]

Stops a campaign for one member, or for every member in it: their runs end
with the reason "stopped" and nothing more is sent. Sends already in the
outbox stay there; drop them with 'hearth outbox drop'. Members may enter
the campaign again as its reentry policy allows.

Examples:
  hearth campaign stop -member u07 onboarding examples/quickstart
  hearth campaign stop winback .
`

func runCampaign(ctx context.Context, s *stdio, args []string) int {
	if len(args) == 0 || args[0] != "stop" {
		fmt.Fprint(s.err, campaignUsage)
		return 1
	}
	fs := newFlags(s, "campaign stop", campaignUsage)
	member := fs.String("member", "", "Stop only this member's run.")
	var vf varFlags
	vf.register(fs)
	pos, code, ok := parse(fs, args[1:])
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(s.err, "hearth campaign stop: give the campaign's name.")
		return 1
	}
	name, pos := pos[0], pos[1:]
	dir, ok := dirArg(pos, s, "campaign stop")
	if !ok {
		return 1
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if a, running := runningDaemon(cfg); running {
		fmt.Fprintf(s.err, "hearth campaign stop: hearth run (pid %d, %s) serves this state and would write over the change; stop it, run this, and start it again.\n", a.PID, a.URL)
		return 1
	}
	var names []string
	for _, c := range cfg.Campaigns {
		names = append(names, c.Name)
	}
	if !slices.Contains(names, name) {
		// A campaign taken out of the configuration needs no stopping:
		// the daemon ends its runs the next time it looks at them.
		fmt.Fprintf(s.err, "hearth campaign stop: there is no campaign named %q in the configuration.%s\n", name, didYouMean(name, names))
		return 1
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	defer store.Close()
	var ids []string
	if *member != "" {
		ids = []string{*member}
	} else {
		err = store.Members(ctx, func(m *state.Member) error {
			if m.Campaigns[name].Active() {
				ids = append(ids, m.ID)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
			return 1
		}
	}
	rt := runtime.New(cfg, nil)
	b, err := store.Begin(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	now := time.Now().UTC()
	stopped := 0
	var outs []state.Outcome
	for _, id := range ids {
		m, err := b.Member(id)
		if errors.Is(err, state.ErrNotFound) && *member != "" {
			_ = b.Rollback()
			fmt.Fprintf(s.err, "hearth campaign stop: no member %q in the state.\n", id)
			return 1
		}
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			_ = b.Rollback()
			fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
			return 1
		}
		if o, ok := rt.StopCampaign(m, name, now); ok {
			outs = append(outs, o)
			stopped++
			if err := b.SaveMember(m); err != nil {
				_ = b.Rollback()
				fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
				return 1
			}
		}
	}
	err = b.AppendOutcomes(outs)
	if err == nil {
		err = b.Commit()
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth campaign stop: %v\n", err)
		return 1
	}
	if *member != "" && stopped == 0 {
		fmt.Fprintf(s.out, "%s is not in %s now; nothing to stop.\n", *member, name)
		return 0
	}
	fmt.Fprintf(s.out, "Stopped %s for %s.\n", name, plural(stopped, "member", "members"))
	return 0
}
