package members

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

var importAt = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func importString(t *testing.T, format, data string, check func(kind, name string) error) ([]events.Event, *Summary, error) {
	t.Helper()
	return Import(context.Background(), strings.NewReader(data), Options{File: "members." + format, Format: format, At: importAt, CheckName: check})
}

// A CSV export becomes one member.imported event per member: identities
// from the platform columns, the documented columns as attributes of
// their types, the rest as profile attributes; header names match
// without regard to case, and a byte order mark and blank rows are
// passed over.
func TestImportCSV(t *testing.T) {
	data := "\xef\xbb\xbfID,Discord,email,name,joined,points,badges,tier,country\n" +
		"ann,111,ann@example.org,Ann,2023-04-01,1200,first_post; helper;first_post,core,DE\n" +
		",,,,,,,,\n" +
		"bob,222,,Bob,2024-01-15T10:00:00+02:00,-5,,,\n"
	evs, sum, err := importString(t, FormatCSV, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []events.Event{
		{ID: "member.imported/ann", Type: events.MemberImported, At: importAt, Source: Source,
			Member: events.Member{ID: "ann", Name: "Ann", Identities: map[string]string{"discord": "111", "email": "ann@example.org"}},
			Attrs:  map[string]any{"name": "Ann", "joined": "2023-04-01T00:00:00Z", "points": 1200, "badges": []any{"first_post", "helper"}, "tier": "core", "country": "DE"}},
		{ID: "member.imported/bob", Type: events.MemberImported, At: importAt, Source: Source,
			Member: events.Member{ID: "bob", Name: "Bob", Identities: map[string]string{"discord": "222"}},
			Attrs:  map[string]any{"name": "Bob", "joined": "2024-01-15T08:00:00Z", "points": -5}},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events\n %+v\nwant\n %+v", evs, want)
	}
	if sum.Members != 2 || sum.Rows != 3 || sum.Points != 1195 || sum.WithPoints != 2 || sum.Joined != 2 ||
		sum.Identities["discord"] != 2 || sum.Badges["first_post"] != 1 || sum.Tiers["core"] != 1 || !reflect.DeepEqual(sum.Attrs, []string{"country"}) {
		t.Fatalf("summary %+v", sum)
	}
	for i := range evs {
		if err := evs[i].Check(); err != nil {
			t.Errorf("event %s: %v", evs[i].ID, err)
		}
	}
}

// JSON lines take the same names, with typed values: a points number, a
// badges list, a boolean attribute.
func TestImportJSONL(t *testing.T) {
	data := `{"id":"ann","slack":"U1","points":40,"badges":["helper"],"tier":"regular","vip":true,"karma":3}` + "\n\n" +
		`{"id":"bob","points":"7","badges":"a;b","joined":null}` + "\n" +
		// Writers that keep every number as a float: whole values are taken.
		`{"id":"cy","points":12.0}` + "\n" + `{"id":"dee","points":"1.2e3"}` + "\n"
	evs, _, err := importString(t, FormatJSONL, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[2].Attrs["points"] != 12 || evs[3].Attrs["points"] != 1200 {
		t.Fatalf("%d events; cy %v, dee %v", len(evs), evs[2].Attrs["points"], evs[3].Attrs["points"])
	}
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	a := evs[0].Attrs
	if a["points"] != 40 || !reflect.DeepEqual(a["badges"], []any{"helper"}) || a["vip"] != true || a["karma"] != 3 || evs[0].Member.Identities["slack"] != "U1" {
		t.Fatalf("ann: %+v", evs[0])
	}
	if b := evs[1].Attrs; b["points"] != 7 || !reflect.DeepEqual(b["badges"], []any{"a", "b"}) {
		t.Fatalf("bob: %+v", evs[1])
	}
}

// The same member always gets the same event id, so a second import is
// a duplicate hearth does not apply; an id too long to prefix is hashed.
func TestEventID(t *testing.T) {
	if EventID("ann") != "member.imported/ann" {
		t.Fatal(EventID("ann"))
	}
	long := strings.Repeat("x", events.MaxIDLen)
	if id := EventID(long); len(id) > events.MaxIDLen || id == EventID(long+"y") {
		t.Fatalf("long id %q", id)
	}
}

// Bad rows are each reported with the file, the line and the column, and
// the import gives no events.
func TestImportErrors(t *testing.T) {
	check := func(kind, name string) error {
		if name == "gold" || name == "helper" {
			return nil
		}
		return fmt.Errorf("%s %q is not configured", kind, name)
	}
	for _, tc := range []struct {
		name, format, data string
		want               []string
	}{
		{"no id column", FormatCSV, "email\nx@y\n", []string{"members.csv:1: no id column"}},
		{"empty file", FormatCSV, "", []string{"members.csv:1: the file is empty"}},
		{"duplicate column", FormatCSV, "id,email,Email\n", []string{"members.csv:1: column email: named twice"}},
		{"bad cells", FormatCSV, "id,joined,points\nann,2023-13-01,1\nbob,2023-01-01,lots\n,2023-01-01,1\nann,,\n",
			[]string{`members.csv:2: column joined: "2023-13-01" is not an RFC 3339 time`, `members.csv:3: column points: "lots" is not a whole number`,
				"members.csv:4: column id: empty", `members.csv:5: column id: member "ann" is on line 2 too`}},
		{"joined after import", FormatCSV, "id,joined\nann,2027-01-01\n", []string{"members.csv:2: column joined: 2027-01-01 is after the import's time"}},
		{"field count", FormatCSV, "id,email\nann\nbob,b@x,extra\n", []string{"members.csv:2: 1 values for the 2 columns", "members.csv:3: 3 values for the 2 columns"}},
		{"bare quote", FormatCSV, "id,name\nann,A\"nn\n", []string{"members.csv:2: column 6: a bare quote"}},
		{"multi-line row", FormatCSV, "id,name\n\"ann\",\"A\nB\"\nbob,B,\n", []string{"members.csv:4: 3 values"}},
		{"config names", FormatCSV, "id,tier,badges\nann,gold,helper\nbob,gld,helper;heper\ncy,,heper\n",
			[]string{`members.csv:3: column tier: tier "gld" is not configured`, `members.csv:4: column badges: badge "heper" is not configured`}},
		{"identity twice", FormatCSV, "id,discord,email\nann,111,a@x\nbob,222,a@x\ncy,111,\n",
			[]string{"members.csv:3: column email: identity email:a@x is on line 2 too", "members.csv:4: column discord: identity discord:111 is on line 2 too"}},
		{"time zone", FormatCSV, "id,timezone\nann,Mars/Olympus\n", []string{"members.csv:2: column timezone: \"Mars/Olympus\" is not an IANA time zone"}},
		{"control character", FormatCSV, "id\nan\x1bn\n", []string{"members.csv:2: column id: invalid event: id holds the character U+001B"}},
		{"json not object", FormatJSONL, "[1]\n", []string{"members.jsonl:1: each line must be a JSON object"}},
		{"json malformed", FormatJSONL, "{\"id\":\"ann\",}\n", []string{"members.jsonl:1: malformed JSON at column 13: invalid character '}'"}},
		{"comma badges", FormatCSV, "id,badges\nann,\"gold, helper\"\n", []string{`members.csv:2: column badges: badge "gold, helper" is not configured; several badges in one cell are separated by ";"`}},
		{"json types", FormatJSONL, "{\"id\":\"ann\",\"points\":1.5}\n{\"id\":\"bob\",\"badges\":[1]}\n{\"id\":{\"a\":1}}\n{\"id\":\"cy\",\"id\":\"dy\"}\n",
			[]string{`members.jsonl:1: column points: "1.5" is not a whole number`, "members.jsonl:2: column badges: must list badge names as strings, not a number",
				"members.jsonl:3: column id: must be a string, number or true/false, not an object", `members.jsonl:4: field "id" appears twice`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, _, err := importString(t, tc.format, tc.data, check)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T); want *Errors", err, err)
			}
			if evs != nil {
				t.Errorf("%d events from a failed import", len(evs))
			}
			if len(errs.List) != len(tc.want) {
				t.Fatalf("%d errors; want %d:\n%v", len(errs.List), len(tc.want), err)
			}
			for i, w := range tc.want {
				if got := errs.List[i].Error(); !strings.Contains(got, w) {
					t.Errorf("error %d:\n %s\nwant it to contain\n %s", i, got, w)
				}
			}
		})
	}
}

// Reading stops at MaxErrors rather than report a whole wrong file.
func TestImportStopsAtMaxErrors(t *testing.T) {
	data := "id,points\n" + strings.Repeat("ann,x\n", MaxErrors*2)
	_, _, err := importString(t, FormatCSV, data, nil)
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) != MaxErrors || !errs.More {
		t.Fatalf("%v", err)
	}
}

// TestLookalikeColumns: a header typo of a column with its own meaning
// imports as a profile attribute, so the summary names what it looks
// like; a plain attribute is not named, and a header of one column
// separated by semicolons is told to use commas.
func TestLookalikeColumns(t *testing.T) {
	_, sum, err := importString(t, "csv", "id,telegarm,point,joined_at,city\nm1,333,5,2025-01-01,Berlin\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Lookalike{{"telegarm", "telegram"}, {"point", "points"}, {"joined_at", "joined"}}
	if !slices.Equal(sum.Lookalikes, want) {
		t.Errorf("lookalikes %v; want %v", sum.Lookalikes, want)
	}
	_, _, err = importString(t, "csv", "id;points\nm1;5\n", nil)
	if err == nil || !strings.Contains(err.Error(), "separated by commas") {
		t.Errorf("a semicolon-separated file: %v; want the hint to use commas", err)
	}
}
