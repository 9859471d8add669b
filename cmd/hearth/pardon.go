package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
)

const pardonUsage = `Usage: hearth member pardon [-rule NAME] [-url URL] ID [DIR]

Clears a member's moderation strikes, all of them or only those of one
moderation rule, so the violation ladder starts over for them. The pardon
is recorded in the member's moderation record and as an outcome. A mute
still running that the pardoned rules decided is lifted: a
moderation.unmute goes into the outbox, which hearth run delivers. Bans
already applied stay until they end or are lifted on the platform.

While 'hearth run' serves the configuration, the daemon applies the pardon
between batches (POST /v1/members/ID/pardon, with HEARTH_API_TOKEN as the
bearer token): on SQLite state the command finds a daemon on the same
machine by itself; -url names one anywhere. With no daemon running the
pardon is written to the configuration's state store directly.

Examples:
  hearth member pardon u07 examples/moderated-community
  hearth member pardon -rule ads u07 examples/moderated-community
  hearth member pardon -url http://127.0.0.1:7341 u07
`

func runPardon(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member pardon", pardonUsage)
	rule := fs.String("rule", "", "Clear only this moderation rule's strikes (NAME or community.C.moderation.NAME).")
	daemonURL := fs.String("url", "", "Ask a running daemon at this address instead of writing the store.")
	vf := varFlags{readOnly: true} // edits the store; reaches no platform
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	pos, dir, ok := leadArgs(s, "member pardon", pos, "ID", "the member ID")
	if !ok {
		return 1
	}
	id := pos[0]
	if *daemonURL != "" {
		return pardonViaDaemon(ctx, s, *daemonURL, id, *rule)
	}
	cfg, ok := loadConfig(s, dir, vf)
	if !ok {
		return 1
	}
	if err := missingForWrite(cfg, hintRun); err != nil {
		fmt.Fprintf(s.err, "hearth member pardon: %v\n", err)
		return 1
	}
	lock, a, ok := lockForWrite(s, cfg, "member pardon")
	if !ok {
		return 1
	}
	if lock == nil {
		fmt.Fprintf(s.err, "hearth run (pid %d) serves this state: the pardon goes through its API at %s.\n", a.PID, a.URL)
		return pardonViaDaemon(ctx, s, a.URL, id, *rule)
	}
	defer lock.release()
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "hearth member pardon: %v\n", err)
		return 1
	}
	defer store.Close()
	if *rule != "" && !hasModeration(cfg, *rule) {
		fmt.Fprintf(s.err, "hearth member pardon: the configuration in %s has no moderation rule %q.\n", dir, *rule)
		return 1
	}
	b, err := store.Begin(ctx)
	if err != nil {
		fmt.Fprintf(s.err, "hearth member pardon: %v\n", err)
		return 1
	}
	m, err := b.Member(id)
	if err != nil {
		_ = b.Rollback()
		if errors.Is(err, state.ErrNotFound) {
			fmt.Fprintf(s.err, "hearth member pardon: no member %q in %s.\n", id, storeWhere(cfg))
		} else {
			fmt.Fprintf(s.err, "hearth member pardon: %v\n", err)
		}
		return 1
	}
	now := time.Now().UTC()
	o, n, lifts := runtime.New(cfg, nil).Pardon(m, *rule, now)
	err = b.SaveMember(m)
	if err == nil && len(lifts) > 0 {
		err = b.Enqueue(lifts)
	}
	if err == nil {
		err = b.AppendOutcomes([]state.Outcome{o})
	}
	if err == nil {
		err = b.Commit()
	} else {
		_ = b.Rollback()
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth member pardon: %v\n", err)
		return 1
	}
	res := daemon.PardonResult{Member: id, Rule: *rule, Cleared: n, Strikes: m.Strikes, Unmuted: len(lifts) > 0}
	res.Standing(m.Moderation, now)
	printPardon(s.out, id, *rule, res)
	return 0
}

func printPardon(w io.Writer, id, rule string, res daemon.PardonResult) {
	what := "all rules"
	if rule != "" {
		what = rule
	}
	fmt.Fprintf(w, "Pardoned %s (%s): %s cleared, %d left.\n", id, what, plural(res.Cleared, "strike", "strikes"), res.Strikes)
	// Strikes decide the next action; a ban they led to is on the
	// platform already, and a pardon does not undo it. A mute it does.
	if res.Unmuted {
		fmt.Fprintf(w, "%s's mute is lifted: a moderation.unmute is in the outbox for hearth run to deliver.\n", id)
	}
	switch {
	case res.Banned && res.BannedUntil != nil:
		fmt.Fprintf(w, "%s stays banned on the platform until %s UTC: a pardon clears strikes, not a ban already applied; lift it there to end it sooner.\n", id, res.BannedUntil.Format("2006-01-02 15:04"))
	case res.Banned:
		fmt.Fprintf(w, "%s stays banned on the platform: a pardon clears strikes, not a ban already applied; lift it there.\n", id)
	case res.MutedUntil != nil:
		fmt.Fprintf(w, "%s stays muted until %s UTC: a pardon clears strikes, not a mute already applied; lift it on the platform to end it sooner.\n", id, res.MutedUntil.Format("2006-01-02 15:04"))
	}
}

func hasModeration(cfg *config.Config, rule string) bool {
	for _, c := range cfg.Communities {
		for _, m := range c.Moderation {
			if m.Name == rule || "community."+c.Name+".moderation."+m.Name == rule {
				return true
			}
		}
	}
	return false
}

func pardonViaDaemon(ctx context.Context, s *stdio, base, id, rule string) int {
	endpoint := strings.TrimRight(base, "/") + "/v1/members/" + url.PathEscape(id) + "/pardon"
	if rule != "" {
		endpoint += "?rule=" + url.QueryEscape(rule)
	}
	var body daemon.PardonResult
	if !postToDaemon(ctx, s, "member pardon", endpoint, &body) {
		return 1
	}
	printPardon(s.out, id, rule, body)
	return 0
}

// printModeration writes a member's moderation record for member show.
// A mute is shown while it lasts (past now and past the member's own
// time); one that ended is only in the list of decisions.
func printModeration(w io.Writer, m *state.Member, now time.Time) {
	mod := m.Moderation
	if mod == nil || (len(mod.Decisions) == 0 && m.Strikes == 0) {
		return
	}
	fmt.Fprintf(w, "  moderation: %s", plural(m.Strikes, "live strike", "live strikes"))
	if mod.MutedUntil.After(now) && mod.MutedUntil.After(m.EvaluatedAt) {
		fmt.Fprintf(w, ", muted until %s", utcMinute(mod.MutedUntil))
	}
	if banned, until := mod.BannedAt(now); banned && until.IsZero() {
		fmt.Fprint(w, ", banned")
	} else if banned {
		fmt.Fprintf(w, ", banned until %s", utcMinute(until))
	}
	fmt.Fprintln(w)
	for _, d := range mod.Decisions {
		action := d.Action
		if d.Duration != "" {
			action += " " + d.Duration
		}
		fmt.Fprintf(w, "    %s  %-10s %s: %s (strikes %d)\n", utcMinute(d.At), action, d.Rule, termsafe.Field(d.Evidence), d.Strikes)
	}
}

// printGovernance adds moderation decisions and alerts to the simulate
// summary: what the house rules did and which alerts would have fired.
func printGovernance(tw io.Writer, cfg *config.Config, sum *simulate.Summary) {
	var rules []string
	for _, c := range cfg.Communities {
		for _, m := range c.Moderation {
			if !slices.Contains(rules, m.Name) {
				rules = append(rules, m.Name)
			}
		}
	}
	if len(rules) > 0 {
		// removed counts messages removed, not decisions whose action is
		// remove: a rule with delete = true removes them with a flag,
		// warn or mute too, and each is a moderation.delete send.
		fmt.Fprintf(tw, "\nModeration\tflag\twarn\tmute\tremoved\tkick\tban\n")
		for _, name := range rules {
			n := sum.Moderation[name]
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\n", name, n["flag"], n["warn"], n["mute"], n[simulate.MessagesRemoved], n["kick"], n["ban"])
		}
		for _, name := range rules {
			// Said apart, not as a column: it only happens with a feed
			// that leaves post_id out, a mistake to fix.
			if k := sum.Moderation[name][simulate.MessagesNotRemoved]; k > 0 {
				fmt.Fprintf(tw, "  %s: %s not removed: %s\n", name, plural(k, "message", "messages"), runtime.NoPostID)
			}
		}
	}
	if len(cfg.Alerts) > 0 {
		fmt.Fprintf(tw, "\nAlerts\tfired\tsuppressed\tresolved\n")
		for _, a := range cfg.Alerts {
			n := sum.Alerts[a.Name]
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", a.Name, n["fire"], n["suppressed"], n["resolved"])
		}
	}
}
