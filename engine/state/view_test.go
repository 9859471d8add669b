package state

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// A member's view has its per-day counts keyed by date, everything else
// as stored, and no tally.
func TestMemberView(t *testing.T) {
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	m := NewMember("ann", day)
	m.Record("message.posted", day, true)
	m.Record("message.posted", day.Add(2*time.Hour), true)
	m.Record("message.posted", day.Add(24*time.Hour), true)
	m.AddPoints(5, day)
	m.GrantLog("posting").Record(day, 5, nil, true)
	m.Tally.Cohort = DayOf(day)
	data, err := m.View(nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ID     string                    `json:"id"`
		Points int                       `json:"points"`
		Active map[string]int            `json:"active"`
		Earned map[string]int            `json:"earned"`
		Totals map[string]int            `json:"totals"`
		Counts map[string]map[string]int `json:"counts"`
		Grants map[string]struct {
			Count  int            `json:"count"`
			Points map[string]int `json:"points"`
		} `json:"grants"`
		Tally *json.RawMessage `json:"tally"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if v.ID != "ann" || v.Points != 5 || v.Totals["message.posted"] != 3 {
		t.Errorf("stored fields changed: %s", data)
	}
	if c := v.Counts["message.posted"]; c["2026-11-20"] != 2 || c["2026-11-21"] != 1 || len(c) != 2 {
		t.Errorf("counts by date: %v", v.Counts)
	}
	if v.Active["2026-11-20"] != 2 || v.Earned["2026-11-20"] != 5 {
		t.Errorf("active %v, earned %v", v.Active, v.Earned)
	}
	if g := v.Grants["posting"]; g.Count != 1 || g.Points["2026-11-20"] != 5 {
		t.Errorf("grants: %+v", v.Grants)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"id\": \"ann\",")) {
		t.Errorf("the view does not keep the stored order, id first:\n%s", data)
	}
	if v.Tally != nil {
		t.Errorf("the view shows the tally: %s", *v.Tally)
	}
}

// What people read of a member prints &, < and > as written, as hearth's
// other JSON output does: the view, and MarshalJSON through an encoder
// that does not escape HTML. A literal backslash before "u0026" in a
// value stays what it is, and json.Marshal still escapes.
func TestMemberJSONAsWritten(t *testing.T) {
	m := NewMember("ann", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	m.Name = "A&B <x>"
	m.Attrs = map[string]any{"bio": `C:\u0026 & \\u003e "q" <`}
	view, err := m.View(nil)
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(m); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"View": view, "MarshalJSON": enc.Bytes()} {
		if !bytes.Contains(out, []byte(`"name":`)) || !bytes.Contains(out, []byte(`"A&B <x>"`)) {
			t.Errorf("%s: the name is not as written:\n%s", name, out)
		}
		if bytes.Contains(out, []byte(`\u003c`)) || bytes.Contains(out, []byte(` \u0026 `)) {
			t.Errorf("%s: an HTML escape is left:\n%s", name, out)
		}
		var back struct {
			Name  string         `json:"name"`
			Attrs map[string]any `json:"attrs"`
		}
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if back.Name != m.Name || back.Attrs["bio"] != m.Attrs["bio"] {
			t.Errorf("%s: read back %q, %q; want %q, %q", name, back.Name, back.Attrs["bio"], m.Name, m.Attrs["bio"])
		}
	}
	escaped, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(escaped, []byte(`"A\u0026B \u003cx\u003e"`)) {
		t.Errorf("json.Marshal no longer escapes HTML: %s", escaped)
	}
}

func TestUnescapeHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"A\u0026B \u003cx\u003e"`, `"A&B <x>"`},
		{`"\u003C\u003E"`, `"<>"`},
		{`"\\u0026"`, `"\\u0026"`},               // an escaped backslash, then text
		{`"\\\u0026"`, `"\\&"`},                  // an escaped backslash, then an escape
		{`"\u00e9\u2028\n"`, `"\u00e9\u2028\n"`}, // other escapes stay
		{`"\"\u0026"`, `"\"&"`},
		{`"end\`, `"end\`},
	} {
		if got := string(unescapeHTML([]byte(c.in))); got != c.want {
			t.Errorf("unescapeHTML(%s) = %s; want %s", c.in, got, c.want)
		}
	}
}

// The view marks the runs of a campaign the configuration no longer has,
// which the document keeps, and lists every such campaign, runs, kept
// keys and dropped runs alike; a run of one still configured is as
// stored, and without a configuration nothing is marked.
func TestMemberViewMarksRemovedCampaigns(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	m := NewMember("ann", at)
	m.Campaigns = map[string]*CampaignRun{
		"keep":     {Status: "active", StepName: "a", StepAt: at, Runs: 1},
		"old":      {Status: "done", Reason: "stopped", EndedAt: at, Runs: 2},
		"meet[k1]": {Status: "active", StepName: "b", Key: "k1", Runs: 1},
	}
	m.KeysEnded = map[string][]EndedKey{"once": {{Key: "x", At: at, Reason: "finished"}}}
	m.RunsDropped = map[string]int{"gone": 2, "keep": 1}
	configured := func(name string) bool { return name == "keep" }
	data, err := m.View(configured)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Campaigns map[string]map[string]any `json:"campaigns"`
		Removed   []string                  `json:"removed_campaigns"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	for id, removed := range map[string]bool{"keep": false, "old": true, "meet[k1]": true} {
		run := v.Campaigns[id]
		if got, _ := run["campaign_removed"].(bool); got != removed || run["status"] == nil {
			t.Errorf("run %s: %v; want campaign_removed %v and the run as stored", id, run, removed)
		}
	}
	if want := []string{"gone", "meet", "old", "once"}; !slices.Equal(v.Removed, want) {
		t.Errorf("removed_campaigns %q; want %q", v.Removed, want)
	}
	// The run's own fields keep their order, status first.
	if !bytes.Contains(data, []byte("\"old\": {\n      \"status\": \"done\",")) {
		t.Errorf("the marked run's fields moved:\n%s", data)
	}
	for name, fn := range map[string]func(string) bool{"nil": nil, "all configured": func(string) bool { return true }} {
		data, err := m.View(fn)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("removed")) {
			t.Errorf("%s: something marked removed:\n%s", name, data)
		}
	}
}

// What the outbox skips at delivery, by what it knows of the member: the
// reasons member why reads back.
func TestRecipientSkipReason(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	email := &Action{Kind: "send.email", Platform: "platform.email.news"}
	winback := &Action{Kind: "send.email", Platform: "platform.email.news", ToLeft: true}
	for _, c := range []struct {
		name  string
		rec   Recipient
		known bool
		a     *Action
		want  string
	}{
		{"a member", Recipient{}, true, email, ""},
		{"left", Recipient{Left: true}, true, email, OutboxSkippedLeft},
		{"a win-back's, still away", Recipient{Left: true}, true, winback, ""},
		{"a win-back's, back", Recipient{}, true, winback, OutboxSkippedBack},
		{"a win-back's, unknown", Recipient{}, false, winback, ""},
		{"unsubscribed", Recipient{Unsubscribed: map[string]time.Time{"email.news": at}}, true, email, OutboxSkippedUnsubscribed("email.news")},
		{"unsubscribed from all", Recipient{Unsubscribed: map[string]time.Time{UnsubscribedAll: at}}, true, winback, OutboxSkippedUnsubscribed(UnsubscribedAll)},
		{"transactional", Recipient{Unsubscribed: map[string]time.Time{"email.news": at}}, true, &Action{Kind: "send.email", Platform: "platform.email.news", Transactional: true}, ""},
		{"not to the member", Recipient{Left: true}, true, &Action{Kind: "role.remove"}, ""},
	} {
		if got := c.rec.SkipReason(c.a, c.known); got != c.want {
			t.Errorf("%s: %q; want %q", c.name, got, c.want)
		}
	}
}

// ViewNoted adds "waiting" to the runs its note gives something for,
// after their own fields, and leaves the others as View shows them.
func TestViewNotedRuns(t *testing.T) {
	m := &Member{ID: "ann", Campaigns: map[string]*CampaignRun{
		"welcome": {Status: "active", StepName: "wait", Runs: 1},
		"other":   {Status: "active", StepName: "hello", Runs: 1},
	}}
	data, err := m.ViewNoted(nil, func(id string) any {
		if id == "welcome" {
			return map[string]string{"rule": "member.messages > 0"}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Campaigns map[string]map[string]any `json:"campaigns"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if w, ok := doc.Campaigns["welcome"]["waiting"].(map[string]any); !ok || w["rule"] != "member.messages > 0" {
		t.Errorf("welcome's waiting = %v; want the note", doc.Campaigns["welcome"]["waiting"])
	}
	if _, ok := doc.Campaigns["other"]["waiting"]; ok {
		t.Errorf("other has waiting: %v", doc.Campaigns["other"])
	}
	if i, j := bytes.Index(data, []byte(`"step_name": "wait"`)), bytes.Index(data, []byte(`"waiting"`)); i < 0 || j < i {
		t.Errorf("waiting is not after the run's own fields:\n%s", data)
	}
}

// A run that ended has no "due" in the view: the store keeps the time
// its last step was due, or none, and either would read as a step still
// to come. A running run keeps its due, and every run its fields' order.
func TestViewLeavesDueOutOfEndedRuns(t *testing.T) {
	due := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	m := &Member{ID: "ann", Campaigns: map[string]*CampaignRun{
		"welcome": {Status: "done", Reason: "finished", StepName: "hello", Runs: 1, EndedAt: due},
		"nudge":   {Status: "done", Reason: "goal", StepName: "hello", Due: due, Runs: 1},
		"other":   {Status: "active", StepName: "wait", Due: due, Runs: 1},
	}}
	data, err := m.View(nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Campaigns map[string]map[string]any `json:"campaigns"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"welcome", "nudge"} {
		if d, ok := doc.Campaigns[id]["due"]; ok {
			t.Errorf("ended run %s shows due %v", id, d)
		}
	}
	if doc.Campaigns["other"]["due"] != "2026-11-22T10:00:00Z" {
		t.Errorf("the running run's due = %v", doc.Campaigns["other"]["due"])
	}
	if i, j := bytes.Index(data, []byte(`"status": "done"`)), bytes.Index(data, []byte(`"step": 0`)); i < 0 || j < i {
		t.Errorf("an ended run's fields lost their order:\n%s", data)
	}
	if stored, _ := m.Encode(); !bytes.Contains(stored, []byte(`"due"`)) {
		t.Errorf("the stored document lost due: %s", stored)
	}
}
