package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/rules"
)

func TestParse(t *testing.T) {
	ev, err := Parse([]byte(`{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"length":12,"score":1.5,"text":"hi","tags":["a",2]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "e1" || ev.Member.ID != "u1" || !ev.At.Equal(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("parsed %+v", ev)
	}
	if ev.Attrs["length"] != 12 || ev.Attrs["score"] != 1.5 || ev.Attrs["tags"].([]any)[1] != 2 {
		t.Errorf("attrs %#v", ev.Attrs)
	}
	ev, err = Parse([]byte(`{"id":"e2","type":"member.joined","member":{"id":"u2","name":"Ann","identities":{"discord":"123"}},"at":"2026-11-22T10:00:00+08:00"}`))
	if err != nil || ev.Member.Name != "Ann" || ev.Member.Identities["discord"] != "123" {
		t.Errorf("member object: %+v, %v", ev.Member, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		`{"type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:                      "missing id",
		`{"id":"1","member":"u","at":"2026-01-01T00:00:00Z"}`:                          "missing type",
		`{"id":"1","type":"Message","member":"u","at":"2026-01-01T00:00:00Z"}`:         "dotted lower-case",
		`{"id":"1","type":"a.b","at":"2026-01-01T00:00:00Z"}`:                          "missing member",
		`{"id":"1","type":"a.b","member":"u"}`:                                         "missing at",
		`{"id":"1","type":"a.b","member":"u","at":"0001-01-01T00:00:00Z"}`:             "or the zero time 0001-01-01T00:00:00Z",
		`{"id":"1","type":"a.b","member":"u","at":"1969-12-31T23:59:59Z"}`:             "out of range",
		`{"id":"1","type":"a.b","member":"u","at":"yesterday"}`:                        "RFC 3339",
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","extra":1}`:   "unknown field",
		`{"id":1,"type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:               `field "id" must be a string`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":[1]}`: "must be an object",
		`{"id":"1"`: `malformed JSON at line 1, column 10: the JSON ends inside a value: a closing }, ] or " is missing`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":{"a":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}`: "attrs.a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0] (line 1, column 93) is nested deeper than 16 levels (attrs itself is the first)",
		"{\"id\":\"\xff\"}": "UTF-8",
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"} {}`: "malformed JSON at line 1, column 66: more after the event's closing }",
		// A closing ] after the event is more too, though the decoder's
		// More lets it pass.
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}]`: "column 65: more after the event's closing }",
		``: "no JSON",
		// A line that is not an object, and fields of the wrong kind, are
		// told in JSON's terms, never with a Go type name.
		`[1,2,3]`: "each line must be a JSON object (an event), not an array",
		` "x" `:   "each line must be a JSON object (an event), not a string",
		`12`:      "each line must be a JSON object (an event), not a number",
		`true`:    "each line must be a JSON object (an event), not true or false",
		`null`:    "each line must be a JSON object (an event), not null",
		`{"id":"1","type":"a.b","member":7,"at":"2026-01-01T00:00:00Z"}`:                               `field "member" must be a member id string or an object with an id, not a number`,
		`{"id":"1","type":"a.b","member":{"id":"u","identities":{"a":1}},"at":"2026-01-01T00:00:00Z"}`: `field "member.identities" must be an object of strings (platform: id), not a number`,
		`{"id":"1","type":"a.b","member":"u","at":1}`:                                                  "at must be an RFC 3339 time",
		`{"id":"1","type":"a.b","member":"u","at":"next week"}`:                                        `at "next week" is not an RFC 3339 time; write one such as "2026-11-22T10:00:00Z"`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-11-22 10:00:00"}`:                              `at "2026-11-22 10:00:00" is not an RFC 3339 time`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","source":{}}`:                 `field "source" must be a string, not an object`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":true}`:                `field "attrs" must be an object, not true or false`,
		// PostgreSQL keeps no NUL in text or JSONB: such an event would
		// fail every commit of its batch (and stop a bus partition).
		`{"id":"a\u0000b","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:                             "id holds a NUL character",
		`{"id":"1","type":"a.b","member":"u\u0000","at":"2026-01-01T00:00:00Z"}`:                              "member id holds a NUL character",
		`{"id":"1","type":"a.b","member":{"id":"u","name":"A\u0000"},"at":"2026-01-01T00:00:00Z"}`:            "member name holds a NUL character",
		`{"id":"1","type":"a.b","member":{"id":"u","identities":{"d":"\u0000"}},"at":"2026-01-01T00:00:00Z"}`: `member identity "d" holds a NUL character`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","source":"\u0000"}`:                  "source holds a NUL character",
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","community":"c\u0000"}`:              "community holds a NUL character",
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":{"text":"hi\u0000"}}`:        `attr "text" holds a NUL character`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":{"t":[{"k\u0000":1}]}}`:      `attr "t" holds a NUL character`,
		// Ids are printed in terminals and on the dashboard, where an
		// escape sequence or a right-to-left override would act.
		`{"id":"a\u001b]0;x\u0007","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:                     "id holds the character U+001B",
		`{"id":"1","type":"a.b","member":"u\u001b[2J","at":"2026-01-01T00:00:00Z"}`:                            "member id holds the character U+001B",
		`{"id":"1","type":"a.b","member":"u\r\nv","at":"2026-01-01T00:00:00Z"}`:                                "member id holds the character U+000D",
		`{"id":"1","type":"a.b","member":"u\u009b2J","at":"2026-01-01T00:00:00Z"}`:                             "member id holds the character U+009B",
		`{"id":"1","type":"a.b","member":"u\u202eabc","at":"2026-01-01T00:00:00Z"}`:                            "member id holds the character U+202E",
		`{"id":"1","type":"a.b","member":{"id":"u","identities":{"d":"\u2066x"}},"at":"2026-01-01T00:00:00Z"}`: `member identity "d" holds the character U+2066`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","source":"s\u0008"}`:                  "source holds the character U+0008",
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","community":"c\n"}`:                   "community holds the character U+000A",
		// A field twice: encoding/json would keep the last without a word.
		`{"id":"dk1","id":"dk2","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:          `field "id" appears twice in one object (line 1, column 13)`,
		`{"id":"1","\u0069d":"2","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}`:         `field "id" appears twice`,
		`{"id":"1","type":"a.b","member":{"id":"u","id":"v"},"at":"2026-01-01T00:00:00Z"}`:       `field "id" appears twice in one object (line 1, column 43)`,
		`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":{"n":1,"n":2}}`: `field "n" appears twice`,
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v; want %q", in, err, want)
		}
		if err != nil && goTypeRe.MatchString(err.Error()) {
			t.Errorf("Parse(%s) = %v: names a Go type", in, err)
		}
	}
}

// goTypeRe matches Go type names that must not reach people.
var goTypeRe = regexp.MustCompile(`events\.|interface \{\}|map\[|\bfloat64\b|\(string\)|\(int\)|\(bool\)|UnmarshalJSON|\bJSON bool\b`)

func TestReader(t *testing.T) {
	in := `{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}

not json
{"id":"2","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}
`
	r := NewReader(strings.NewReader(in))
	var ids []string
	var bad []*Error
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *Error
		if errors.As(err, &e) {
			bad = append(bad, e)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	if strings.Join(ids, ",") != "1,2" || len(bad) != 1 || bad[0].Line != 3 || bad[0].Index != 1 {
		t.Errorf("ids %v, bad %+v", ids, bad)
	}
}

// Malformed JSON is explained the same way wherever it comes in: the
// line and column of the character that broke it (or just past the end
// of JSON cut short), and what was expected there, in JSON's terms.
func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		in         string
		line, col  int
		wantReason string
	}{
		{`{"id":`, 1, 7, `the JSON ends inside a value: a closing }, ] or " is missing`},
		{`{"id":"x`, 1, 9, `the JSON ends inside a value`},
		{"{\n  \"id\": \"x\",\n", 2, 13, `the JSON ends inside a value`},
		{`xyz`, 1, 1, `invalid character 'x' where a value should start`},
		{`{"id":"1",}`, 1, 11, `invalid character '}' where a field name in double quotes should start (is there a comma after the last field?)`},
		{`{'id':"1"}`, 1, 2, `invalid character '\'' where a field name in double quotes should start`},
		{`{"id" "1"}`, 1, 7, `invalid character '"' after a field name, where a : should be`},
		{`{"id":"1" "type":"a"}`, 1, 11, `invalid character '"' after a field's value, where a , or } should be`},
		{`{"attrs":{"l":[1 2]}}`, 1, 18, `invalid character '2' after an array element, where a , or ] should be`},
		{"{\"id\":\"a\tb\"}", 1, 9, `invalid character '\t' in a string: a tab or line break in text is written \t or \n`},
		{`{"id":"a\qb"}`, 1, 10, `invalid character 'q' in a string's escape: a backslash in text is written \\`},
		{`{"id":tru}`, 1, 10, `invalid character '}' in literal true (expecting 'e')`},
		// Columns count characters, not bytes.
		{`{"id":"ü名", x}`, 1, 13, `invalid character 'x' where a field name`},
		{"{\"id\":\"1\"}\n\n  ]", 3, 3, `more after the event's closing }`},
	} {
		_, err := Parse([]byte(c.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v; want a SyntaxError", c.in, err)
			continue
		}
		if se.Line != c.line || se.Column != c.col || !strings.HasPrefix(se.Reason, c.wantReason) {
			t.Errorf("Parse(%q) = line %d, column %d: %q; want line %d, column %d: %q", c.in, se.Line, se.Column, se.Reason, c.line, c.col, c.wantReason)
		}
		if want := fmt.Sprintf("invalid event: malformed JSON at line %d, column %d: %s", se.Line, se.Column, se.Reason); err.Error() != want {
			t.Errorf("Parse(%q) says %q; want %q", c.in, err, want)
		}
		if goTypeRe.MatchString(err.Error()) || strings.Contains(err.Error(), "byte") {
			t.Errorf("Parse(%q) = %v: in Go's terms", c.in, err)
		}
	}
	// A request body is explained as a line is: the same words, placed in
	// the whole body.
	body := []byte("{\"id\":\"1\"}\n{\"id\":\n")
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	_ = dec.Decode(&raw)
	se := ExplainSyntax(body, dec.Decode(&raw))
	if se == nil || se.Line != 2 || se.Column != 7 || !strings.HasPrefix(se.Reason, "the JSON ends inside a value") {
		t.Errorf("body cut short: %+v", se)
	}
	if se := ExplainSyntax(body, &json.UnmarshalTypeError{Value: "number"}); se != nil {
		t.Errorf("a type error explained as syntax: %v", se)
	}
}

// A stream's bad lines are placed in the stream, with the column of
// malformed JSON, and written as hearth writes places in files.
func TestReaderPlaces(t *testing.T) {
	long := `{"id":"l","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":{"t":"` + strings.Repeat("a", MaxLineBytes) + `"}}`
	in := `{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}
{"id":
   xyz
` + long + "\r\n" + `{"type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}
{` + "\n" + `  {"id":"2","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}  ` + "\r\n" + long + "\n" + long
	r := NewReader(strings.NewReader(in))
	var got []string
	for i := 0; i < 20; i++ {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *Error
		switch {
		case errors.As(err, &e):
			got = append(got, e.In("ev.jsonl"))
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, fmt.Sprintf("%d: %s %q", r.Line(), ev.ID, r.Raw()))
		}
	}
	want := []string{
		`1: 1 "{\"id\":\"1\",\"type\":\"a.b\",\"member\":\"u\",\"at\":\"2026-01-01T00:00:00Z\"}"`,
		`ev.jsonl line 2, column 7: invalid event: malformed JSON: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event`,
		`ev.jsonl line 3, column 4: invalid event: malformed JSON: invalid character 'x' where a value should start`,
		`ev.jsonl line 4: invalid event: line longer than 262144 bytes`,
		`ev.jsonl line 5: invalid event: missing id: every event needs a unique id, its idempotency key`,
		`ev.jsonl line 6, column 2: invalid event: malformed JSON: the JSON ends inside a value: a closing }, ] or " is missing; each line must hold a whole event`,
		`7: 2 "{\"id\":\"2\",\"type\":\"a.b\",\"member\":\"u\",\"at\":\"2026-01-01T00:00:00Z\"}"`,
		`ev.jsonl line 8: invalid event: line longer than 262144 bytes`,
		`ev.jsonl line 9: invalid event: line longer than 262144 bytes`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The error itself names the line of the stream, not of the line.
	r = NewReader(strings.NewReader("\n\n{\"id\":\n"))
	_, err := r.Next()
	if want := "invalid event: malformed JSON at line 3, column 7: the JSON ends inside a value"; err == nil || !strings.Contains(errors.Unwrap(err).Error(), want) {
		t.Errorf("the error within: %v; want %q", errors.Unwrap(err), want)
	}
	if e := (&Error{Index: 3, Err: ErrInvalid}); e.In("-") != "-: event 3: invalid event" {
		t.Errorf("without a line: %q", e.In("-"))
	}
}

func TestRuleView(t *testing.T) {
	et := &rules.EventType{Name: "x.y", Attrs: map[string]rules.AttrType{"referrer": rules.TypeString, "n": rules.TypeInt, "f": rules.TypeFloat, "when": rules.TypeTime}}
	ev := Event{ID: "1", Type: "x.y", Member: Member{ID: "u"}, At: time.Unix(0, 0), Attrs: map[string]any{"n": 3.0, "f": 2, "when": "2026-01-01T00:00:00Z"}}
	v, err := RuleView(&ev, et)
	if err != nil {
		t.Fatal(err)
	}
	if v["referrer"] != "" || v["n"] != 3 || v["f"] != 2.0 || v["member"] != "u" || v["when"].(time.Time).Year() != 2026 {
		t.Errorf("view %#v", v)
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{"three", `attr "n" of x.y: must be int, got the string "three"`},
		{1.5, `must be int, got the number 1.5`},
		{true, `must be int, got the boolean true`},
		{[]any{1, "a"}, `must be int, got the list [1,"a"]`},
		{map[string]any{"k": 1}, `must be int, got the object {"k":1}`},
	} {
		ev.Attrs["n"] = c.v
		_, err := RuleView(&ev, et)
		if err == nil || !strings.Contains(err.Error(), c.want) || goTypeRe.MatchString(err.Error()) {
			t.Errorf("n = %#v: %v; want %q", c.v, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"length":12}}`))
	f.Add([]byte(`{"id":"e2","type":"member.joined","member":{"id":"u2"},"at":"2026-11-22T10:00:00Z"}`))
	f.Add([]byte(`[[[[[[[`))
	f.Add([]byte(`{"id":"e3","type":"x","member":"u","at":"2026-11-22T10:00:00.5+14:00","attrs":{"t":"<&>\u2028","n":1.0,"big":1e400,"l":[1,{"a":null}]}}`))
	// Malformed JSON, which is placed by line and column.
	f.Add([]byte(`{"id":`))
	f.Add([]byte("{\n\"id\": \"ü\",\n\"type\" x"))
	f.Add([]byte(`{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{"id":"a\qb"}`))
	f.Add([]byte(`{'id':1,}`))
	f.Add([]byte(""))
	et := &rules.EventType{Attrs: map[string]rules.AttrType{"length": rules.TypeInt, "x": rules.TypeTime}}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Parse(data)
		// The id an error names is the id the event, read, would have.
		if id := ProbeID(data); err == nil && id != ev.ID {
			t.Fatalf("ProbeID %q of an event read as %q", id, ev.ID)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			var se *SyntaxError
			if errors.As(err, &se) {
				checkPlace(t, data, se.Line, se.Column)
				if se.Reason == "" || strings.Contains(se.Reason, "looking for") {
					t.Fatalf("reason in Go's terms: %q", se.Reason)
				}
			}
			return
		}
		if ev.ID == "" || ev.Member.ID == "" || ev.At.IsZero() {
			t.Fatalf("accepted incomplete event %+v", ev)
		}
		_, _ = RuleView(&ev, et)
		// An accepted event goes through the bus as Marshal writes it
		// and must come out the same.
		first, err := Marshal(&ev)
		if err != nil {
			t.Fatalf("an accepted event does not encode: %v", err)
		}
		back, err := ParseStored(first)
		if err != nil {
			t.Fatalf("an accepted event, encoded, is refused: %v\n%s", err, first)
		}
		if second, err := Marshal(&back); err != nil || string(second) != string(first) {
			t.Fatalf("encoded twice, the event differs:\n%s\n%s (%v)", first, second, err)
		}
	})
}

// checkPlace fails unless line and column are in data, or just past
// the end of a line.
func checkPlace(t *testing.T, data []byte, line, col int) {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) || col < 1 || col > utf8.RuneCountInString(lines[line-1])+1 {
		t.Fatalf("line %d, column %d is not in %q", line, col, data)
	}
}

// A stream of any bytes is read to its end, a bad line at a time, each
// placed on its own line.
func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"id\":\"1\",\"type\":\"a.b\",\"member\":\"u\",\"at\":\"2026-01-01T00:00:00Z\"}\n\n{\"id\":\n  xyz\r\n"))
	f.Add([]byte("{\n  \"id\": \"1\"\n}"))
	f.Add([]byte("\n\n\n"))
	f.Add([]byte("  \u00a0{\"id\" 1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Split(string(data), "\n")
		r := NewReader(bytes.NewReader(data))
		last := 0
		for n := 0; ; n++ {
			if n > len(lines) {
				t.Fatalf("more than %d results from %d lines", n, len(lines))
			}
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			line := r.Line()
			if e != nil {
				line = e.Line
				var se *SyntaxError
				if errors.As(e, &se) {
					if se.Line != e.Line || se.Column != e.Column {
						t.Fatalf("error at line %d, column %d; within, %d, %d", e.Line, e.Column, se.Line, se.Column)
					}
					checkPlace(t, data, e.Line, e.Column)
				} else if e.Column != 0 {
					t.Fatalf("a column for %v", e)
				}
			}
			if line <= last || line > len(lines) {
				t.Fatalf("line %d after line %d, of %d", line, last, len(lines))
			}
			last = line
		}
	})
}

// A planned view holds the wanted part of the whole view; it refuses an
// event whose read attributes do not match their declaration, and lets
// an unread one be.
func TestViewPlan(t *testing.T) {
	et := &rules.EventType{Name: "post.voted", Attrs: map[string]rules.AttrType{"score": rules.TypeInt, "kind": rules.TypeString, "note": rules.TypeString}}
	ev := &Event{ID: "e1", Type: "post.voted", Member: Member{ID: "u1"}, At: time.Unix(1700000000, 0).UTC(),
		Attrs: map[string]any{"score": float64(3), "kind": "answer", "note": "x"}}
	want := map[string]bool{"score": true, "id": true}
	got, err := PlanView(et, want).Build(map[string]any{"stale": 1}, ev)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := RuleView(ev, et)
	for k := range full {
		if !want[k] {
			delete(full, k)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(full) || len(got) != 2 || got["score"] != 3 || got["id"] != "e1" {
		t.Errorf("planned view %v; the whole view's wanted part %v", got, full)
	}
	ev.Attrs["note"] = 7
	if got, err := PlanView(et, want).Build(map[string]any{}, ev); err != nil || got["score"] != 3 {
		t.Errorf("an unread attribute of the wrong type stopped the view: %v %v", got, err)
	}
	if _, err := PlanView(et, map[string]bool{"note": true}).Build(map[string]any{}, ev); err == nil || !strings.Contains(err.Error(), `attr "note"`) {
		t.Errorf("read attribute of the wrong type: %v", err)
	}
	if all, _ := PlanView(et, nil).Build(map[string]any{}, ev); len(all) != 0 {
		// note is wrong, so nothing is built
		t.Errorf("view built despite a bad attribute: %v", all)
	}
}

// An event as long as a line may be, in characters JSON escapes, is
// encoded longer than that and still read back: the bus carries it so.
func TestStoredEventLongerThanALine(t *testing.T) {
	text := strings.Repeat("\u2028", MaxStringLen/3)
	line := `{"id":"e","type":"x","member":"u","at":"2026-11-22T10:00:00Z","attrs":{"a":"` + text + `","b":"` + text + `","c":"` + text + `","d":"<>"}}`
	ev, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(&ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) <= MaxLineBytes || !strings.Contains(string(data), `"d":"<>"`) {
		t.Fatalf("encoded in %d bytes, HTML escaped: %v", len(data), !strings.Contains(string(data), "<>"))
	}
	back, err := ParseStored(data)
	if err != nil || back.Attrs["a"] != text {
		t.Fatalf("read back: %v", err)
	}
}

// Only ids are held to printable characters: names and messages keep
// their line breaks and right-to-left marks.
func TestTextKeepsControlsIdsDoNot(t *testing.T) {
	in := `{"id":"ü-名前-1","type":"message.posted","member":{"id":"דני","name":"דני\u200f\nline two"},"at":"2026-01-01T00:00:00Z","attrs":{"text":"a\r\nb\u202e"}}`
	ev, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if ev.Member.Name != "דני\u200f\nline two" || ev.Attrs["text"] != "a\r\nb\u202e" {
		t.Errorf("text changed: name %q, text %q", ev.Member.Name, ev.Attrs["text"])
	}
}

// The same field name in different objects, strings that look like
// field names, and arrays of objects are not duplicates.
func TestSameNameInOtherObjects(t *testing.T) {
	in := `{"id":"1","type":"a.b","member":{"id":"u","name":"id"},"at":"2026-01-01T00:00:00Z","attrs":{"id":"x","l":[{"id":1},{"id":2}],"s":"\"id\",\"id\""}}`
	ev, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "1" || ev.Member.ID != "u" || ev.Attrs["id"] != "x" {
		t.Errorf("parsed %+v", ev)
	}
}

// A file saved with a byte order mark reads as one without.
func TestReaderPassesOverAByteOrderMark(t *testing.T) {
	r := NewReader(strings.NewReader("\xef\xbb\xbf" + `{"id":"1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z"}` + "\n"))
	ev, err := r.Next()
	if err != nil || ev.ID != "1" {
		t.Fatalf("first event: %+v, %v", ev, err)
	}
}

// Attributes nest up to MaxDepth levels, attrs the first: a shop's
// cart with its items is taken; one level more is refused, naming the
// attribute, however its names are written.
func TestParseDepth(t *testing.T) {
	const head = `{"id":"d1","type":"a.b","member":"u","at":"2026-01-01T00:00:00Z","attrs":`
	cart := head + `{"meta":{"cart":{"items":[{"sku":"A-1","tags":["x"]}]}}}}`
	if ev, err := Parse([]byte(cart)); err != nil || ev.ID != "d1" {
		t.Errorf("a cart four levels deep in attrs: %v", err)
	}
	deepest := head + strings.Repeat(`{"a":`, MaxDepth-1) + `[]` + strings.Repeat(`}`, MaxDepth-1) + `}`
	if _, err := Parse([]byte(deepest)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	for _, c := range []struct{ attrs, path string }{
		{strings.Repeat(`{"a":`, MaxDepth+1) + `1` + strings.Repeat(`}`, MaxDepth+1), "attrs" + strings.Repeat(".a", MaxDepth)},
		{`{"x":1,"list":[1,2,` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `]}`, "attrs.list[2]" + strings.Repeat("[0]", MaxDepth-2)},
		{`{"odd key":` + strings.Repeat(`{"b":`, MaxDepth) + `1` + strings.Repeat(`}`, MaxDepth+1), `attrs["odd key"]` + strings.Repeat(".b", MaxDepth-1)},
	} {
		_, err := Parse([]byte(head + c.attrs + `}`))
		if err == nil || !strings.Contains(err.Error(), c.path+" (line 1, column ") || !strings.Contains(err.Error(), "is nested deeper than 16 levels") {
			t.Errorf("%.80s: %v; want %s named", c.attrs, err, c.path)
		}
		if id := ProbeID([]byte(head + c.attrs + `}`)); id != "d1" {
			t.Errorf("%.80s: ProbeID %q; want d1", c.attrs, id)
		}
	}
}

// ProbeID reads the id of an event Parse refuses, when there is one to
// trust; the Reader gives it with the line's error.
func TestProbeID(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`{"id":"e1","type":"message.posted","member":"m1","at":"yesterday"}`, "e1"},
		{`{"type":"message.posted","at":"2026-01-01T10:00:00Z","attrs":{"n":[1,2]},"id":"e2"}`, "e2"},
		{`{"id":"\u0065\u0033","member":"m1"}`, "e3"},
		{`{"id":7,"type":"message.posted"}`, ""},
		{`{"id":"a","id":"b"}`, ""},
		{`{"id":"` + strings.Repeat("x", MaxIDLen+1) + `"}`, ""},
		{`{"id":"e4","type":`, ""},
		{`["e5"]`, ""},
		{`"e6"`, ""},
		// Invalid UTF-8, an event nested too deep or too large: the id
		// is read all the same.
		{"{\"id\":\"e7\",\"x\":\"\xff\"}", "e7"},
		{`{"attrs":{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `},"id":"e8"}`, "e8"},
		{`{"id":"e9","attrs":{"s":"` + strings.Repeat("x", MaxLineBytes) + `"}}`, "e9"},
		{"{\"id\":\"\xff\"}", ""},
		{`{"ID":"e10"}`, "e10"}, // as Parse reads it
		{`{"id":"a","Id":"b"}`, ""},
		{`{"id":"e11"} {}`, ""},
		{`{"id":"e12",,}`, ""},
	} {
		if got := ProbeID([]byte(c.data)); got != c.want {
			t.Errorf("ProbeID(%.60s) = %q; want %q", c.data, got, c.want)
		}
	}
	// The head of an event cut short names the id it holds whole.
	for _, c := range []struct{ data, want string }{
		{`{"id":"h1","attrs":{"s":"xxx`, "h1"},
		{`{"type":"a.b","id":"h2"`, "h2"},
		{`{"type":"a.b","id":"h3`, ""},
		{`["h4"`, ""},
	} {
		if got := ProbeIDHead([]byte(c.data)); got != c.want {
			t.Errorf("ProbeIDHead(%.60s) = %q; want %q", c.data, got, c.want)
		}
	}
	rd := NewReader(strings.NewReader(`{"id":"ok","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}
{"id":"bad-at","type":"message.posted","member":"m1","at":"2026-01-01 10:00"}
{"id":
{"id":"long","type":"message.posted","attrs":{"s":"` + strings.Repeat("x", MaxLineBytes) + `"}}
`))
	var ids []string
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var e *Error
		if errors.As(err, &e) {
			ids = append(ids, fmt.Sprintf("%d:%q", e.Line, e.ID))
		}
	}
	if got := strings.Join(ids, " "); got != `2:"bad-at" 3:"" 4:"long"` {
		t.Errorf("the reader's errors name ids %s; want line 2's bad-at, none for line 3 and line 4's long", got)
	}
}
