package state

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// A campaign with run_key gives each member one run per key: the runs
// sit in Member.Campaigns under RunID(campaign, key). Campaign names
// never hold '[' (validate allows letters, digits, '_' and '-'), so the
// name is everything before the first one and a key may hold anything.

// RunID is where a run is kept in Member.Campaigns: the campaign's name
// for the run without a key (every run of a campaign without run_key),
// name[key] for a run with one.
func RunID(campaign, key string) string {
	if key == "" {
		return campaign
	}
	return campaign + "[" + key + "]"
}

// SplitRunID is the campaign and key of a run id; keyed says whether it
// had a key.
func SplitRunID(id string) (campaign, key string, keyed bool) {
	i := strings.IndexByte(id, '[')
	if i < 0 || !strings.HasSuffix(id, "]") {
		return id, "", false
	}
	return id[:i], id[i+1 : len(id)-1], true
}

// RunCampaign is the campaign of a run id.
func RunCampaign(id string) string {
	c, _, _ := SplitRunID(id)
	return c
}

// HasKeyedRuns reports whether any of the member's runs has a key: only
// then do readers need more than Campaigns[name].
func (m *Member) HasKeyedRuns() bool {
	for id := range m.Campaigns {
		if strings.IndexByte(id, '[') >= 0 {
			return true
		}
	}
	return false
}

// RunIDs appends to ids the member's runs of the campaign, in order: the
// run without a key first, then the keyed ones by key.
func (m *Member) RunIDs(campaign string, ids []string) []string {
	if _, ok := m.Campaigns[campaign]; ok {
		ids = append(ids, campaign)
	}
	start := len(ids)
	for id := range m.Campaigns {
		if len(id) > len(campaign) && id[len(campaign)] == '[' && strings.HasPrefix(id, campaign) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[start:])
	return ids
}

// Runs are the member's runs of the campaign, in RunIDs order, nil runs
// left out.
func (m *Member) Runs(campaign string) []*CampaignRun {
	if !m.HasKeyedRuns() {
		if run := m.Campaigns[campaign]; run != nil {
			return []*CampaignRun{run}
		}
		return nil
	}
	var out []*CampaignRun
	for _, id := range m.RunIDs(campaign, nil) {
		if run := m.Campaigns[id]; run != nil {
			out = append(out, run)
		}
	}
	return out
}

// ActiveRuns counts the member's runs of the campaign under way.
func (m *Member) ActiveRuns(campaign string) int {
	n := 0
	for _, run := range m.Runs(campaign) {
		if run.Active() {
			n++
		}
	}
	return n
}

// HasActiveRun reports whether the member has a run of the campaign
// under way: the one with key, or with key "" any.
func (m *Member) HasActiveRun(campaign, key string) bool {
	if key != "" {
		return m.Campaigns[RunID(campaign, key)].Active()
	}
	return m.ActiveRuns(campaign) > 0
}

// setRunKeys fills CampaignRun.Key from the ids, after decoding.
func (m *Member) setRunKeys() {
	for id, run := range m.Campaigns {
		if _, key, keyed := SplitRunID(id); keyed && run != nil {
			run.Key = key
		}
	}
}

// RunDetail adds a run's key to an outcome's detail ("goal" becomes
// `goal (key "Go Night #43")`), so the outcomes of one run can be told
// from another's; a run without a key keeps the detail as it is.
func RunDetail(detail, key string) string {
	if key == "" {
		return detail
	}
	if detail == "" {
		return "key " + strconv.Quote(key)
	}
	return detail + " (key " + strconv.Quote(key) + ")"
}

// DetailReason is an outcome's detail without the key RunDetail added:
// the reason a run ended, the variant it got.
func DetailReason(detail string) string {
	if strings.HasPrefix(detail, "key \"") {
		return ""
	}
	if i := strings.Index(detail, " (key \""); i >= 0 {
		return detail[:i]
	}
	return detail
}

// DetailKey is the run key RunDetail added to an outcome's detail, ""
// for none.
func DetailKey(detail string) string {
	q := ""
	if strings.HasPrefix(detail, "key \"") {
		q = detail[len("key "):]
	} else if i := strings.Index(detail, " (key \""); i >= 0 && strings.HasSuffix(detail, ")") {
		q = detail[i+len(" (key ") : len(detail)-1]
	}
	key, err := strconv.Unquote(q)
	if err != nil {
		return ""
	}
	return key
}

// DropRun removes an ended keyed run from the member, keeping its run
// number in RunsDropped so a later run with the same key is numbered
// past it (NextRun).
func (m *Member) DropRun(id string) {
	run := m.Campaigns[id]
	if run == nil {
		return
	}
	if name := RunCampaign(id); run.Runs > m.RunsDropped[name] {
		if m.RunsDropped == nil {
			m.RunsDropped = map[string]int{}
		}
		m.RunsDropped[name] = run.Runs
	}
	delete(m.Campaigns, id)
}

// NextRun is the number of the campaign's next run after prev, the run
// with the same key the member has kept (nil for none): one past prev's,
// and past every dropped run's when prev was dropped or never was.
func (m *Member) NextRun(campaign string, prev *CampaignRun) int {
	if prev != nil {
		return prev.Runs + 1
	}
	return m.RunsDropped[campaign] + 1
}

// EndedKey is what is kept of an ended run of a campaign with run_key
// and reentry = "never" once retention would drop it (CompactRun): its
// key, which the campaign refuses for ever, and when and how it ended,
// for member why.
type EndedKey struct {
	Key    string    `json:"key"`
	At     time.Time `json:"ended_at"`
	Reason string    `json:"reason,omitempty"` // goal, exited, finished, left, stopped
}

// CompactRun replaces an ended keyed run with its EndedKey in KeysEnded,
// its number kept in RunsDropped as DropRun keeps it. A run without a
// key, or under way, stays.
func (m *Member) CompactRun(id string) {
	run := m.Campaigns[id]
	name, key, keyed := SplitRunID(id)
	if !keyed || run == nil || run.Active() {
		return
	}
	m.DropRun(id)
	keys := m.KeysEnded[name]
	e := EndedKey{Key: key, At: run.EndedAt, Reason: run.Reason}
	i, found := slices.BinarySearchFunc(keys, key, compareEndedKey)
	if found {
		keys[i] = e
		return
	}
	if m.KeysEnded == nil {
		m.KeysEnded = map[string][]EndedKey{}
	}
	m.KeysEnded[name] = slices.Insert(keys, i, e)
}

func compareEndedKey(e EndedKey, key string) int { return strings.Compare(e.Key, key) }

// KeyEnded is what is kept of the member's run of the campaign with key
// once CompactRun replaced it; ok is false when there is none.
func (m *Member) KeyEnded(campaign, key string) (e EndedKey, ok bool) {
	keys := m.KeysEnded[campaign]
	if i, found := slices.BinarySearchFunc(keys, key, compareEndedKey); found {
		return keys[i], true
	}
	return EndedKey{}, false
}

// RemoveEndedKey forgets what KeyEnded keeps of the key: a run with it
// starts again (the campaign's reentry allows it now), or an erased
// member's id was the key. It reports whether there was anything.
func (m *Member) RemoveEndedKey(campaign, key string) bool {
	keys := m.KeysEnded[campaign]
	i, found := slices.BinarySearchFunc(keys, key, compareEndedKey)
	if !found {
		return false
	}
	if keys = slices.Delete(keys, i, i+1); len(keys) == 0 {
		delete(m.KeysEnded, campaign)
		if len(m.KeysEnded) == 0 {
			m.KeysEnded = nil
		}
	} else {
		m.KeysEnded[campaign] = keys
	}
	return true
}
