package daemon

import (
	"sort"
	"sync"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
)

// maxUnheardWarned bounds the event types warned about, so a sender
// making up a type per event cannot fill the log.
const maxUnheardWarned = 20

// unheardTypes remembers the event types the daemon has warned about:
// types neither standard nor declared, which no rule can read (validate
// refuses a rule naming one), taken (202) all the same — most often a
// sender's typo of a type the rules listen to ("mesage.posted"), whose
// events would otherwise be lost to the rules without a word. hearth simulate and replay warn about them in their
// summary; a daemon says it once per type in its log.
type unheardTypes struct {
	mu     sync.Mutex
	warned map[string]bool
}

// unheard returns the types of evs that cfg does not know and that have
// not been warned about yet, marking them warned; full is true the
// first time the bound is reached.
func (u *unheardTypes) unheard(cfg *config.Config, evs []events.Event) (types []string, full bool) {
	for i := range evs {
		t := evs[i].Type
		if _, known := cfg.EventTypes[t]; known {
			continue
		}
		u.mu.Lock()
		if !u.warned[t] && len(u.warned) < maxUnheardWarned {
			if u.warned == nil {
				u.warned = map[string]bool{}
			}
			u.warned[t] = true
			types = append(types, t)
			full = len(u.warned) == maxUnheardWarned
		}
		u.mu.Unlock()
	}
	return types, full
}

// warnUnheard logs, once per type, events of a type nothing hears.
func (d *Daemon) warnUnheard(evs []events.Event) {
	cfg := d.snap.Load().Config
	types, full := d.unheard.unheard(cfg, evs)
	if len(types) == 0 {
		return
	}
	known := make([]string, 0, len(cfg.EventTypes))
	for name := range cfg.EventTypes {
		known = append(known, name)
	}
	sort.Strings(known)
	for _, t := range types {
		hint := "fix the sender's type, or declare it with an event block for rules to read"
		if s := rules.DidYouMean(t, known); s != "" {
			hint = s
		}
		d.log.Warn("events of a type nothing hears: neither standard nor declared, so no rule reads them", "type", t, "hint", hint)
	}
	if full {
		d.log.Warn("more event types nothing hears are not logged", "logged", maxUnheardWarned)
	}
}
