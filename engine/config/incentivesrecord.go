package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/durations"
)

// IncentivesRecord names the record, kept with the stream cursors as
// StepOrdersRecord is, of the incentives a state was last run with:
// hearth run writes it when it loads a configuration, hearth replay when
// it replays into the state. The member fingerprint
// (runtime.MemberRules, which the daemon's sweep keeps as the
// "hearth.rules" cursor) says whether a member's segment, tier and badge
// rules changed; incentives are not in it, since they act only on new
// events, so hearth plan reads this record to name the incentives a
// change edits.
const IncentivesRecord = "hearth.incentives"

// IncentivesDigest is what IncentivesRecord holds: a digest of each incentive by
// name, of everything that decides what it grants (not its
// description).
type IncentivesDigest struct {
	Incentives map[string]string `json:"incentives"`
}

// DigestIncentives is cfg's IncentivesDigest.
func DigestIncentives(cfg *Config) IncentivesDigest {
	d := IncentivesDigest{Incentives: map[string]string{}}
	for _, in := range cfg.Incentives {
		d.Incentives[in.Name] = digestIncentive(in)
	}
	return d
}

// ParseIncentivesDigest reads what String wrote. ok is false for "" (no
// record: a state last run by a hearth that kept none) and for a record
// it cannot read.
func ParseIncentivesDigest(s string) (d IncentivesDigest, ok bool) {
	if s == "" || json.Unmarshal([]byte(s), &d) != nil || d.Incentives == nil {
		return IncentivesDigest{}, false
	}
	return d, true
}

// String is the record as stored: JSON, its names in order, so an
// unchanged configuration writes the same bytes.
func (d IncentivesDigest) String() string {
	b, _ := json.Marshal(d) // maps of strings always encode
	return string(b)
}

// IncentiveChanges are the incentives of now that differ from was:
// changed, added and removed, each sorted by name.
func (d IncentivesDigest) IncentiveChanges(was IncentivesDigest) (changed, added, removed []string) {
	for name, sum := range d.Incentives {
		switch old, ok := was.Incentives[name]; {
		case !ok:
			added = append(added, name)
		case old != sum:
			changed = append(changed, name)
		}
	}
	for name := range was.Incentives {
		if _, ok := d.Incentives[name]; !ok {
			removed = append(removed, name)
		}
	}
	slices.Sort(changed)
	slices.Sort(added)
	slices.Sort(removed)
	return changed, added, removed
}

// digestIncentive hashes what decides an incentive's grants: rules as
// evaluated (locals and variables filled in), so a reformatted file
// changes nothing and a new value of a local it reads does.
func digestIncentive(in *Incentive) string {
	h := sha256.New()
	field := func(parts ...string) {
		for _, p := range parts {
			_, _ = io.WriteString(h, p)
			_, _ = h.Write([]byte{0})
		}
	}
	src := func(r *Rule) string {
		if r == nil {
			return "-"
		}
		return r.Source
	}
	name := func(s string, ok bool) string {
		if !ok {
			return "-"
		}
		return s
	}
	dur := func(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }
	rate := func(r *durations.Rate) string {
		if r == nil {
			return "-"
		}
		if r.Period != durations.PeriodNone {
			// The zone too: a new hearth.timezone moves when it resets.
			return strconv.Itoa(r.Count) + "/" + r.Period.String() + "@" + r.Zone.String()
		}
		return strconv.Itoa(r.Count) + "/" + dur(r.Window) // not as written: 1/24h is 1/1d
	}
	community := ""
	if in.Community != nil {
		community = in.Community.Name
	}
	on := slices.Clone(in.On)
	slices.Sort(on)
	field("community", community)
	field("on", strings.Join(on, ","))
	field("when", src(in.When))
	field("once", strconv.FormatBool(in.Once), "cooldown", dur(in.Cooldown), "expires", dur(in.Expires))
	field("limit", rate(in.Limit), "points_cap", rate(in.PointsCap))
	if in.OncePer != nil {
		// Only when set: the digests of incentives without it stay
		// those states recorded before once_per was known.
		field("once_per", src(in.OncePer))
	}
	g := in.Grant
	badge, role := "", ""
	if g.Badge != nil {
		badge = g.Badge.Name
	}
	if g.Role != nil {
		role = g.Role.Name
	}
	field("to", src(g.To), "points", strconv.Itoa(g.Points), "badge", name(badge, g.Badge != nil), "role", name(role, g.Role != nil), "reason", g.Reason)
	keys := make([]string, 0, len(g.Set))
	for k := range g.Set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field("set", k, g.Set[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
