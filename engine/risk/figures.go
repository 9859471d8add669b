package risk

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// Figure names kept per hour and per day in a community document.
const (
	Messages = "messages"
	Flagged  = "flagged"
	Negative = "negative"
	Reports  = "reports"
	Joined   = "joined"
	Left     = "left"
)

// Signal is what one event tells about its community.
type Signal struct {
	Message, Flagged, Negative, Report bool
	Joined, Left                       bool
	// Active marks an activity event; PrevActive is the member's latest
	// activity before it (zero: never active).
	Active     bool
	PrevActive time.Time
	// KeepMembers leaves the member count alone: a community of a
	// capacity family has it kept by where the runtime places members.
	KeepMembers bool
}

// Observe counts one event in the community's document.
func Observe(c *state.Community, at time.Time, s Signal) {
	count := func(on bool, figure string) {
		if on {
			c.CountHour(figure, at, 1)
		}
	}
	count(s.Message, Messages)
	count(s.Flagged, Flagged)
	count(s.Negative, Negative)
	count(s.Report, Reports)
	count(s.Joined, Joined)
	count(s.Left, Left)
	if s.Joined && !s.KeepMembers {
		c.Members++
	}
	if s.Left && c.Members > 0 && !s.KeepMembers {
		c.Members--
	}
	if s.Active {
		day := state.DayOf(at)
		if s.PrevActive.IsZero() {
			c.LastActive = c.LastActive.Add(day, 1)
			return
		}
		prev := state.DayOf(s.PrevActive)
		if day <= prev {
			return // already counted on that day or later
		}
		// The member moves from the day of their last activity to today;
		// a day past the horizon has been trimmed already.
		if len(c.LastActive) > 0 && prev > c.LastActive[len(c.LastActive)-1].Day-state.Horizon {
			c.LastActive = c.LastActive.Add(prev, -1)
		}
		c.LastActive = c.LastActive.Add(day, 1)
	}
}

// usualDays is how many days before today the usual level averages.
const usualDays = 28

// Figures computes what rules see as `community` at now: of the
// community c, which is block cc or, in cc's capacity family, one of its
// sub-communities (its name, its title on the platform, its figures),
// with parent naming cc.
func Figures(c *state.Community, cc *config.Community, now time.Time) rules.Community {
	f := rules.Community{}
	if cc != nil {
		f.Name, f.Parent, f.Title, f.Capacity = cc.Name, cc.Name, cc.Title, cc.Capacity
		if c != nil && c.Name != "" && c.Name != cc.Name {
			if parent, place, ok := config.SplitName(c.Name); ok && parent == cc.Name {
				f.Name, f.Title = c.Name, cc.PlaceTitle(place)
			}
		}
		if cc.Platform != nil {
			f.Platform = cc.Platform.Type + "." + cc.Platform.Name
		}
	}
	if c == nil {
		return f
	}
	f.Members = c.Members
	if f.Capacity > 0 {
		f.CapacityUsed = float64(f.Members) / float64(f.Capacity)
	}
	f.Joined24h = c.InHours(Joined, now, 24)
	f.Left24h = c.InHours(Left, now, 24)
	f.Left7d = c.InHours(Left, now, 24*7)
	f.Messages1h = c.InHours(Messages, now, 1)
	f.Messages24h = c.InHours(Messages, now, 24)
	f.Messages7d = c.InHours(Messages, now, 24*7)
	f.Flagged1h = c.InHours(Flagged, now, 1)
	f.Flagged24h = c.InHours(Flagged, now, 24)
	f.Negative1h = c.InHours(Negative, now, 1)
	f.Negative24h = c.InHours(Negative, now, 24)
	f.Reports24h = c.InHours(Reports, now, 24)
	today := state.DayOf(now)
	if days := c.Days[Messages]; len(days) > 0 {
		span := min(int(today-days[0].Day), usualDays)
		if span > 0 {
			f.MessagesUsual24h = float64(days.Sum(today-1, span)) / float64(span)
		}
	}
	f.Active1d = c.LastActive.Sum(today, 1)
	f.Active7d = c.LastActive.Sum(today, 7)
	f.Active30d = c.LastActive.Sum(today, 30)
	if f.Members > 0 {
		m := float64(f.Members)
		f.ActiveRatio1d, f.ActiveRatio7d, f.ActiveRatio30d = float64(f.Active1d)/m, float64(f.Active7d)/m, float64(f.Active30d)/m
	}
	return f
}

// Value is a figure by its rule name (messages_24h), nil when unknown.
func Value(f rules.Community, name string) any {
	v := reflect.ValueOf(f)
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("expr") == name {
			return v.Field(i).Interface()
		}
	}
	return nil
}

var figureRef = regexp.MustCompile(`community\.([a-z0-9_]+)`)

// Reads lists the figures a rule's source names, in order, once each.
func Reads(src string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range figureRef.FindAllStringSubmatch(src, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// Summary writes an alert for people: severity, name, community, what it
// means and the figures its rule read.
func Summary(a *config.Alert, f rules.Community) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s in %s", a.Severity, a.Name, f.Name)
	if a.Description != "" {
		fmt.Fprintf(&b, ": %s", a.Description)
	}
	var figs []string
	for _, name := range Reads(a.When.Source) {
		switch v := Value(f, name).(type) {
		case float64:
			figs = append(figs, fmt.Sprintf("%s=%.2f", name, v))
		case nil:
		default:
			figs = append(figs, fmt.Sprintf("%s=%v", name, v))
		}
	}
	if len(figs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(figs, ", "))
	}
	return b.String()
}

// Transition is what an alert does at a check.
type Transition string

const (
	Quiet      Transition = ""           // nothing changed
	Fire       Transition = "fire"       // the rule began to hold: notify
	Suppressed Transition = "suppressed" // it began to hold within the cool-down
	Resolved   Transition = "resolved"   // it stopped holding
)

// Step moves an alert's state by whether its rule holds now. An alert
// fires when its rule begins to hold, not while it keeps holding
// (deduplication), and not within cooldown of its last firing.
func Step(st *state.AlertState, holds bool, now time.Time, cooldown time.Duration) Transition {
	switch {
	case holds && st.Holding:
		return Quiet
	case holds:
		st.Holding = true
		if st.Fired > 0 && now.Sub(st.LastFired) < cooldown {
			st.Suppressed++
			return Suppressed
		}
		st.Fired++
		st.LastFired = now
		return Fire
	case st.Holding:
		st.Holding = false
		return Resolved
	}
	return Quiet
}
