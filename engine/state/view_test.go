package state

import (
	"bytes"
	"encoding/json"
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
	data, err := m.View()
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
	view, err := m.View()
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
