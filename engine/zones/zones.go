// Package zones tells the IANA time zone names hearth takes for a
// member's timezone from those it drops, and suggests the name a
// misspelt one was meant to be ("Europe/Berln": "Europe/Berlin").
//
// It embeds Go's copy of the time zone database (time/tzdata), so a
// binary using it loads zones on a minimal image with no
// /usr/share/zoneinfo: without it, every member's zone would be dropped
// there and quiet hours would run in the community's zone. A system
// database, when there is one, is still read first.
package zones

import (
	_ "embed"
	"strings"
	"sync"
	"time"
	_ "time/tzdata"

	"github.com/agext/levenshtein"
)

// namesTxt lists the zones of Go's time zone database
// ($GOROOT/lib/time/zoneinfo.zip, which time/tzdata embeds), one a line;
// `go test ./engine/zones -update` writes it again after a Go upgrade.
//
//go:embed names.txt
var namesTxt string

// known is the zone names, as a list and a set, read once.
var known = sync.OnceValues(func() ([]string, map[string]bool) {
	list := strings.Fields(namesTxt)
	set := make(map[string]bool, len(list))
	for _, n := range list {
		set[n] = true
	}
	return list, set
})

// Names are the zone names Go's time zone database holds, sorted.
func Names() []string {
	list, _ := known()
	return append([]string(nil), list...)
}

// Valid says whether a member's timezone of name is kept: whether
// time.LoadLocation, as the runtime calls it, takes it. A name of the
// embedded database is answered without loading it, which reads the
// database each time; another is loaded, as a newer system database
// may have it. "" is valid: it clears the member's zone.
func Valid(name string) bool {
	if _, set := known(); set[name] {
		return true
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Closest is the zone name that name, one Valid refuses, looks like a
// slip of, or "" when none is close: the same name in other case or
// with spaces ("europe/berlin ", "America/New York"), one a few letters
// off ("Europe/Berln"), or the one zone whose city it names ("Berlin").
func Closest(name string) string {
	list, _ := known()
	want := normal(name)
	if want == "" {
		return ""
	}
	for _, n := range list {
		if strings.ToLower(n) == want {
			return n
		}
	}
	best, bestD := "", 1<<30
	for _, n := range list {
		if d := levenshtein.Distance(want, strings.ToLower(n), nil); d < bestD {
			best, bestD = n, d
		}
	}
	// A slip is a letter or two in a long name; a short name a few
	// letters off another ("EST", "MST") is another name, not a slip.
	if bestD <= min(3, len(want)/5) {
		return best
	}
	if !strings.Contains(want, "/") {
		var city []string
		for _, n := range list {
			if i := strings.LastIndexByte(n, '/'); i >= 0 && strings.ToLower(n[i+1:]) == want && !legacy(n) {
				city = append(city, n)
			}
		}
		if len(city) == 1 {
			return city[0]
		}
	}
	return ""
}

// normal is name as Closest compares it: trimmed, lower case, with the
// database's underscores for spaces.
func normal(name string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
}

// legacy says whether n is one of the database's old names kept as
// links ("US/Pacific", "Etc/GMT+5"), which a city alone should not
// suggest over the zone it links to.
func legacy(n string) bool {
	area, _, _ := strings.Cut(n, "/")
	switch area {
	case "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific":
		return false
	}
	return true
}
