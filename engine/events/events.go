// Package events defines hearth's member event: its JSON form, decoding
// with clear errors and hard limits, and the view rules read as `event`.
package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/rules"
)

// Event is one thing a member did, or that happened to a member.
type Event struct {
	// ID is the idempotency key: an event with an ID already processed
	// changes nothing.
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Member Member    `json:"member"`
	At     time.Time `json:"at"`
	// Source names where the event came from: "http", "replay",
	// "discord", "stackexchange" ...
	Source string `json:"source,omitempty"`
	// Community limits the event to one community; empty means all.
	// Check fills it from attrs.community when that is set and it is not.
	Community string         `json:"community,omitempty"`
	Attrs     map[string]any `json:"attrs,omitempty"`
}

// MemberImported is the type of the event hearth import members writes
// for each member of another tool's export: the member's opening state
// (join time, points balance, badges, tier, profile), which the runtime
// sets without firing incentives, campaigns or the welcome message.
const MemberImported = "member.imported"

// Attributes of a member.imported event beside the profile's.
const (
	ImportedJoined = "joined" // RFC 3339 time the member joined the old community
	ImportedPoints = "points" // opening balance, a whole number
	ImportedBadges = "badges" // badge block names, a list of strings
	ImportedTier   = "tier"   // a tier block name
)

// Member identifies the member an event is about. In JSON it is either an
// id string or an object with id, name and platform identities.
type Member struct {
	ID         string            `json:"id"`
	Name       string            `json:"name,omitempty"`
	Identities map[string]string `json:"identities,omitempty"`
}

// UnmarshalJSON accepts "u1" as well as {"id": "u1", ...}.
func (m *Member) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &m.ID)
	}
	type plain Member
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = Member(p)
	return nil
}

// Limits bound what one event may hold, so hostile input stays cheap.
const (
	MaxLineBytes = 256 << 10
	MaxIDLen     = 256
	MaxAttrs     = 64
	// MaxDepth is how deep attrs (and member) may nest objects and
	// arrays, attrs itself the first level: attrs.meta.cart.items[0]
	// is five. Deep enough for the payloads platforms send; shallow
	// enough that walking an event stays cheap.
	MaxDepth     = 16
	MaxStringLen = 64 << 10
)

var typeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// Error is a problem with one event of a stream.
type Error struct {
	Index int // 0-based position in the stream
	Line  int // 1-based line, for JSON lines input
	// Column is where on Line malformed JSON stops being readable (Err
	// holds a *SyntaxError), from 1; 0 for every other problem.
	Column int
	// ID is the event's id when the line is a JSON object with one that
	// could be read (ProbeID), so a sender learns which of its events
	// was refused; "" otherwise.
	ID  string
	Err error
}

// Error says where and what: "line 2, column 7: invalid event:
// malformed JSON: ...", "line 5: invalid event: missing id".
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Problem())
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("event %d: %v", e.Index, e.Err)
}

// In is Error in the file or stream called name, written as hearth
// writes places in files: "events.jsonl line 2, column 7: invalid
// event: malformed JSON: ...".
func (e *Error) In(name string) string {
	if e.Line > 0 {
		return name + " " + e.Error()
	}
	return name + ": " + e.Error()
}

// Problem is what is wrong, without the place Error puts first:
// "invalid event: malformed JSON: ...", "invalid event: missing id".
func (e *Error) Problem() string {
	var se *SyntaxError
	if errors.As(e.Err, &se) {
		return fmt.Sprintf("%v: malformed JSON: %s", ErrInvalid, se.Reason)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// SyntaxError is JSON that cannot be read: where reading stopped and
// why, in JSON's terms. Every way events come in (POST /v1/events, an
// events file, hearth simulate and replay) explains malformed JSON with
// it, so an operator reads the same words wherever a sender's JSON broke.
type SyntaxError struct {
	// Line and Column are where, from 1, in the input read (a line, a
	// file, a request body); Column counts characters, not bytes.
	Line, Column int
	// Reason is what is wrong, such as "invalid character 'x' where a
	// value should start".
	Reason string
	// cut is JSON that ends inside a value.
	cut bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// ExplainSyntax explains err, from reading JSON out of data, as a
// *SyntaxError placed in data: at the character that broke the syntax,
// or just past the last one when data ends inside a value. It is nil
// when err is not about JSON syntax (a field of the wrong type, say).
func ExplainSyntax(data []byte, err error) *SyntaxError {
	var se *json.SyntaxError
	isSyntax := errors.As(err, &se)
	if errors.Is(err, io.ErrUnexpectedEOF) || (isSyntax && se.Error() == "unexpected end of JSON input") {
		line, col := position(data, len(bytes.TrimRight(data, " \t\r\n")))
		return &SyntaxError{Line: line, Column: col, cut: true,
			Reason: `the JSON ends inside a value: a closing }, ] or " is missing`}
	}
	if !isSyntax {
		return nil
	}
	line, col := position(data, int(se.Offset)-1) // Offset is just past the bad byte
	return &SyntaxError{Line: line, Column: col, Reason: syntaxReason(se.Error())}
}

// syntaxReasons reword encoding/json's syntax errors, by how they end,
// to say what was expected where the bad character is.
var syntaxReasons = []struct{ goSays, says string }{
	{" looking for beginning of value", " where a value should start"},
	{" looking for beginning of object key string", ` where a field name in double quotes should start (is there a comma after the last field?)`},
	{" after object key", " after a field name, where a : should be"},
	{" after object key:value pair", " after a field's value, where a , or } should be"},
	{" after array element", " after an array element, where a , or ] should be"},
	{" in string literal", ` in a string: a tab or line break in text is written \t or \n`},
	{" in string escape code", ` in a string's escape: a backslash in text is written \\`},
}

func syntaxReason(msg string) string {
	for _, r := range syntaxReasons {
		if rest, ok := strings.CutSuffix(msg, r.goSays); ok {
			return rest + r.says
		}
	}
	return msg
}

// position is the line and column, from 1, of byte off of data; columns
// count characters.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	start := bytes.LastIndexByte(before, '\n') + 1
	return 1 + bytes.Count(before, []byte{'\n'}), 1 + utf8.RuneCount(before[start:])
}

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid event")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Parse decodes and checks one event from JSON.
func Parse(data []byte) (Event, error) {
	if len(data) > MaxLineBytes {
		return Event{}, invalid("larger than %d bytes", MaxLineBytes)
	}
	return parse(data)
}

// Marshal encodes an event the way hearth stores and forwards it (the
// event bus, the local platform's file), for ParseStored to read back.
// HTML is not escaped, so text keeps its size.
func Marshal(ev *Event) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ParseStored reads an event that Marshal encoded from one Parse or Check
// accepted, with every check of Parse but the line limit: escapes can
// make the encoding longer than the line it came in as (a member object
// for an id string, "\u2028" for a three-byte character), and an event
// hearth took must not be refused on its way through.
func ParseStored(data []byte) (Event, error) {
	return parse(data)
}

func parse(data []byte) (Event, error) {
	var ev Event
	if !utf8.Valid(data) {
		return ev, invalid("not valid UTF-8")
	}
	if err := checkDepth(data); err != nil {
		return ev, err
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return ev, invalid("each line must be a JSON object (an event), not null")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		if se := ExplainSyntax(data, err); se != nil {
			return ev, fmt.Errorf("%w: %w", ErrInvalid, se)
		}
		if errors.Is(err, io.EOF) {
			return ev, invalid("no JSON: an event is a JSON object")
		}
		return ev, invalid("%s", jsonMessage(err))
	}
	// Anything after the event, a closing ] included (which the
	// decoder's More lets pass), is a second value or a broken one.
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		line, col := position(data, len(data)-len(rest))
		return ev, fmt.Errorf("%w: %w", ErrInvalid, &SyntaxError{Line: line, Column: col,
			Reason: "more after the event's closing }; send JSON lines, one event per line"})
	}
	if err := ev.Check(); err != nil {
		return ev, err
	}
	ev.Attrs = normalizeNumbers(ev.Attrs)
	return ev, nil
}

// jsonMessage rewords encoding/json errors for people, in JSON's terms
// rather than Go's.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := goTypeName(te.Type.String())
		switch {
		case te.Field == "" && te.Type == reflect.TypeFor[Event]():
			return "each line must be a JSON object (an event), not " + jsonKindName(te.Value)
		case te.Field == "member":
			// Member's own decoder: a string or an object, never a number.
			want = "a member id string or an object with an id"
		case strings.HasPrefix(te.Field, "member.identities") && te.Type.Kind() == reflect.String:
			// A map value's field is its map's: say what the map holds.
			want, te.Field = "an object of strings (platform: id)", "member.identities"
		}
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, want, jsonKindName(te.Value))
	}
	msg := err.Error()
	if strings.Contains(msg, "unknown field") {
		return strings.TrimPrefix(msg, "json: ") + "; an event has id, type, member, at, source, community and attrs (custom data goes in attrs)"
	}
	if strings.Contains(msg, "parsing time") || strings.Contains(msg, "Time.UnmarshalJSON") {
		// At is the event's only time: name the value it had, so a
		// sender sees "2026-11-22 10:00:00" lacks its T and zone.
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return fmt.Sprintf("at %s is not an RFC 3339 time; write one such as \"2026-11-22T10:00:00Z\" (a date, a T, a time and a zone)", shortQuote(pe.Value))
		}
		return "at must be an RFC 3339 time such as \"2026-11-22T10:00:00Z\""
	}
	return strings.TrimPrefix(msg, "json: ")
}

// shortQuote quotes a value from an event for a message, cut to 40
// characters: enough to see the mistake, never a whole pasted body.
func shortQuote(v string) string {
	if r := []rune(v); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "..."
	}
	return strconv.Quote(v)
}

// goTypeName says in JSON's terms what a Go type of Event takes.
func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "time.Time":
		return "an RFC 3339 time string"
	case "map[string]interface {}":
		return "an object"
	case "map[string]string":
		return "an object of strings"
	case "events.Event":
		return "an event object"
	}
	return "another kind of JSON value" // never a Go type name
}

// jsonKindName is encoding/json's name for a JSON value's kind ("array",
// "number", "bool"), with its article.
func jsonKindName(v string) string {
	switch {
	case v == "bool":
		return "true or false"
	case v == "array", v == "object":
		return "an " + v
	case strings.HasPrefix(v, "number"):
		return "a number" // "number 1.5", for a fraction given to an int
	case v == "":
		return "that value"
	}
	return "a " + v
}

// checkDepth refuses deeply nested JSON before decoding it, naming the
// attribute that is too deep, and an object that names a field twice:
// encoding/json keeps the last, so {"id":"a","id":"b"} would be taken as
// event b without a word, and id is the idempotency key.
func checkDepth(data []byte) error {
	type frame struct {
		object  bool
		keyNext bool     // the next string is a field name
		keys    []string // the object's field names so far
		n       int      // an array's values so far, less one
	}
	var stack []frame
	inString, escaped, hasEscape, start := false, false, false, 0
	for i, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped, hasEscape = true, true
		case c == '"' && !inString:
			inString, hasEscape, start = true, false, i
		case c == '"':
			inString = false
			top := len(stack) - 1
			if top < 0 || !stack[top].object || !stack[top].keyNext {
				continue
			}
			stack[top].keyNext = false
			key := string(data[start+1 : i])
			if hasEscape {
				// "\u0069d" is id too.
				if err := json.Unmarshal(data[start:i+1], &key); err != nil {
					continue // the decoder says what is wrong with it
				}
			}
			if slices.Contains(stack[top].keys, key) {
				line, col := position(data, start)
				return invalid("field %q appears twice in one object (line %d, column %d); JSON readers disagree on which to keep, so hearth takes neither", key, line, col)
			}
			stack[top].keys = append(stack[top].keys, key)
		case inString:
		case c == '{' || c == '[':
			if len(stack) > MaxDepth {
				// The event is the stack's first frame, so this value
				// is one level past MaxDepth.
				var path strings.Builder
				for j, f := range stack {
					switch {
					case f.object && len(f.keys) > 0:
						writeKey(&path, f.keys[len(f.keys)-1], j == 0)
					case !f.object:
						fmt.Fprintf(&path, "[%d]", f.n)
					}
				}
				line, col := position(data, i)
				return invalid("%s (line %d, column %d) is nested deeper than %d levels (attrs itself is the first); flatten it, or send it as a JSON string",
					path.String(), line, col, MaxDepth)
			}
			stack = append(stack, frame{object: c == '{', keyNext: c == '{'})
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case c == ',':
			if top := len(stack) - 1; top >= 0 && stack[top].object {
				stack[top].keyNext = true
			} else if top >= 0 {
				stack[top].n++
			}
		}
	}
	return nil
}

// plainKey is a field name that reads as itself after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// writeKey writes a field name onto an attribute's path: .name, or
// ["odd name"] where a dot would not say where it ends.
func writeKey(b *strings.Builder, key string, first bool) {
	switch {
	case !plainKey.MatchString(key):
		b.WriteString("[" + strconv.Quote(key) + "]")
	case first:
		b.WriteString(key)
	default:
		b.WriteString("." + key)
	}
}

// ProbeID is the id of an event Parse refused, to say which event the
// problem is with: the "id" of a JSON object, its name matched as Parse
// matches it, read field by field without decoding the others, so that
// an event too large, nested too deep or holding invalid UTF-8 elsewhere
// still names its id. It is "" when data is not one well-formed JSON
// object, its id is not a string, is one Check refuses (empty, or longer
// than MaxIDLen) or is not valid UTF-8, or the object names id twice
// (which one counts is unclear). A bad at or attrs leaves the id
// readable.
func ProbeID(data []byte) string { return probeID(data, true) }

// ProbeIDHead is ProbeID for the start of an event whose end was not
// kept (a line longer than MaxLineBytes): the id among the fields the
// head holds whole, or "". An id named again past the head goes unseen.
func ProbeIDHead(head []byte) string { return probeID(head, false) }

// probeHead is how much of a line too long to keep the Reader keeps
// for ProbeIDHead: an event's id comes first, or nearly.
const probeHead = 4 << 10

func probeID(data []byte, whole bool) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	id, found := "", false
	// cut is what to say when data ends or breaks: a head ends inside
	// a field sooner or later; a whole event that breaks is malformed
	// JSON, whose fields cannot be trusted.
	cut := func() string {
		if whole {
			return ""
		}
		return id
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return cut()
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return cut()
		}
		if !namesID(key) {
			continue
		}
		if found {
			return "" // named twice: which one counts is unclear
		}
		found = true
		var v string
		if utf8.Valid(raw) && json.Unmarshal(raw, &v) == nil && len(v) <= MaxIDLen {
			id = v
		}
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return cut()
	}
	if _, err := dec.Token(); whole && !errors.Is(err, io.EOF) {
		return "" // more after the object
	}
	return id
}

// namesID reports whether key is the name of Event's id as encoding/json
// matches names (any case, and the odd letters it folds to I or D).
func namesID(key string) bool {
	if utf8.RuneCountInString(key) != 2 {
		return false
	}
	name, _ := json.Marshal(key)
	var probe struct {
		ID *json.RawMessage `json:"id"`
	}
	return json.Unmarshal(append(append([]byte{'{'}, name...), ":0}"...), &probe) == nil && probe.ID != nil
}

// Check validates the fields every event needs, and takes a string
// attrs.community as the event's community when it names none.
func (ev *Event) Check() error {
	switch {
	case ev.ID == "":
		return invalid("missing id: every event needs a unique id, its idempotency key")
	case len(ev.ID) > MaxIDLen:
		return invalid("id longer than %d bytes", MaxIDLen)
	case ev.Type == "":
		return invalid("missing type, such as \"message.posted\"")
	case !typeRe.MatchString(ev.Type):
		return invalid("type %q is not a dotted lower-case name such as \"message.posted\"", ev.Type)
	case ev.Member.ID == "":
		return invalid("missing member: the id of the member the event is about, such as \"member\": \"u42\"")
	case len(ev.Member.ID) > MaxIDLen:
		return invalid("member id longer than %d bytes", MaxIDLen)
	case ev.At.IsZero():
		// The zero time is how a missing "at" reads, and how some
		// producers write "no time" (0001-01-01T00:00:00Z).
		return invalid("missing at (or the zero time 0001-01-01T00:00:00Z): the event time, RFC 3339, such as \"2026-11-22T10:00:00Z\"")
	case ev.At.Year() < 1970 || ev.At.Year() > 9999:
		return invalid("at %s is out of range", ev.At.Format(time.RFC3339))
	case len(ev.Attrs) > MaxAttrs:
		return invalid("more than %d attrs", MaxAttrs)
	}
	for k, v := range ev.Attrs {
		if k == "" || len(k) > 64 {
			return invalid("attr names must have 1 to 64 bytes")
		}
		if s, ok := v.(string); ok && len(s) > MaxStringLen {
			return invalid("attr %q is longer than %d bytes", k, MaxStringLen)
		}
	}
	if ev.Community == "" {
		// attrs.community, which hearth explain events lists on joins
		// and leaves and platforms send beside the field, stands in for
		// the field when the event has none: an event scoped only by the
		// attribute would otherwise be for every community.
		if c, ok := ev.Attrs["community"].(string); ok {
			ev.Community = c
		}
	}
	if err := ev.checkNUL(); err != nil {
		return err
	}
	return ev.checkIDs()
}

// checkIDs refuses control characters (an escape, a line break) and
// bidirectional formatting characters in the event's ids. Ids are keys,
// never prose, and they are printed where such characters act: an
// escape sequence in a member id would clear or retitle the operator's
// terminal in hearth member show or outbox list, and a right-to-left
// override would show one member's id as another's on the dashboard.
func (ev *Event) checkIDs() error {
	fields := []struct{ name, value string }{
		{"id", ev.ID}, {"member id", ev.Member.ID}, {"source", ev.Source}, {"community", ev.Community},
	}
	for _, f := range fields {
		if r, ok := unsafeRune(f.value); ok {
			return invalid("%s holds the character %U, which no id may hold (control and bidirectional formatting characters are refused)", f.name, r)
		}
	}
	for platform, id := range ev.Member.Identities {
		r, ok := unsafeRune(platform)
		if !ok {
			r, ok = unsafeRune(id)
		}
		if ok {
			return invalid("member identity %q holds the character %U, which no id may hold (control and bidirectional formatting characters are refused)", platform, r)
		}
	}
	return nil
}

// unsafeRune finds the first control or bidirectional formatting
// character of s.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return r, true
		}
	}
	return 0, false
}

// checkNUL refuses a NUL character (\u0000) anywhere in the event.
// PostgreSQL keeps it in no text or JSONB value, so such an event would
// fail its batch's commit every time it is tried: with a bus, it would
// stop its partition for good. Refused here, it is refused on SQLite
// too, and the same events mean the same on either store.
func (ev *Event) checkNUL() error {
	fields := []struct{ name, value string }{
		{"id", ev.ID}, {"member id", ev.Member.ID}, {"member name", ev.Member.Name},
		{"source", ev.Source}, {"community", ev.Community},
	}
	for _, f := range fields {
		if hasNUL(f.value) {
			return invalid("%s holds a NUL character (\\u0000), which no state store keeps", f.name)
		}
	}
	for platform, id := range ev.Member.Identities {
		if hasNUL(platform) || hasNUL(id) {
			return invalid("member identity %q holds a NUL character (\\u0000), which no state store keeps", platform)
		}
	}
	for k, v := range ev.Attrs {
		if hasNUL(k) || anyNUL(v) {
			return invalid("attr %q holds a NUL character (\\u0000), which no state store keeps", k)
		}
	}
	return nil
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// anyNUL looks through an attribute's value, nested lists and objects
// included.
func anyNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return hasNUL(x)
	case []any:
		for _, e := range x {
			if anyNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if hasNUL(k) || anyNUL(e) {
				return true
			}
		}
	}
	return false
}

// normalizeNumbers turns json.Number into int (when whole) or float64.
func normalizeNumbers(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normalize(v)
	}
	return m
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
	}
	return v
}

// Reader reads a stream of events: JSON lines, blank lines skipped.
type Reader struct {
	br    *bufio.Reader
	buf   []byte // the line read last
	head  []byte // the start of the line read last, when it was too long to keep
	raw   []byte // the event's part of it
	line  int
	index int
	err   error // the read error that ended the stream
}

// bom is the UTF-8 byte order mark some editors and tools put at the
// start of a file or body: no event holds it, so it is passed over.
var bom = []byte("\xef\xbb\xbf")

// TrimBOM drops a UTF-8 byte order mark at the start of data.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, bom) }

// NewReader reads JSON lines from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Line is the line of the event Next returned last.
func (r *Reader) Line() int { return r.line }

// Raw is the text of the event Next returned last, without the blanks
// around it; it is valid until the next call to Next.
func (r *Reader) Raw() []byte { return r.raw }

// Next returns the next event, io.EOF at the end, or an *Error for a bad
// line: the stream goes on after it, a line longer than MaxLineBytes
// included.
func (r *Reader) Next() (Event, error) {
	for {
		b, tooLong, err := r.readLine()
		if err != nil {
			return Event{}, err
		}
		r.line++
		if r.line == 1 {
			// Windows editors start a UTF-8 file with a byte order mark.
			b = bytes.TrimPrefix(b, bom)
		}
		if tooLong {
			idx := r.index
			r.index++
			r.raw = nil
			head := bytes.TrimLeftFunc(r.head, unicode.IsSpace)
			if r.line == 1 {
				head = bytes.TrimPrefix(head, bom)
			}
			return Event{}, &Error{Index: idx, Line: r.line, ID: ProbeIDHead(head), Err: invalid("line longer than %d bytes", MaxLineBytes)}
		}
		r.raw = bytes.TrimSpace(b)
		if len(r.raw) == 0 {
			continue
		}
		idx := r.index
		r.index++
		ev, err := Parse(r.raw)
		if err != nil {
			e := &Error{Index: idx, Line: r.line, ID: ProbeID(r.raw), Err: err}
			var se *SyntaxError
			if errors.As(err, &se) {
				// Placed in the stream, not in the trimmed line; and a
				// line that ends inside its event is most often one event
				// written over several lines.
				placed := *se
				placed.Line += r.line - 1
				placed.Column += utf8.RuneCount(b[:len(b)-len(bytes.TrimLeftFunc(b, unicode.IsSpace))])
				if se.cut {
					placed.Reason += "; each line must hold a whole event"
				}
				e.Column, e.Err = placed.Column, fmt.Errorf("%w: %w", ErrInvalid, &placed)
			}
			return ev, e
		}
		return ev, nil
	}
}

// readLine reads the next line, without its line break. A line longer
// than MaxLineBytes is read to its end and dropped (tooLong), so the
// stream goes on at the line after it. The error is io.EOF at the end.
func (r *Reader) readLine() (b []byte, tooLong bool, err error) {
	if r.err != nil {
		return nil, false, r.err
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1] // the line break
		}
		if !tooLong {
			if len(r.buf)+len(chunk) > MaxLineBytes {
				// Its head is kept, for the id the error names.
				r.head = append(append(r.head[:0], r.buf...), chunk...)
				r.head = r.head[:min(len(r.head), probeHead)]
				tooLong, r.buf = true, r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil:
			return r.buf, tooLong, nil
		case errors.Is(err, io.EOF) && (len(r.buf) > 0 || tooLong):
			// The last line, with no line break after it.
			r.err = err
			return r.buf, tooLong, nil
		}
		r.err = err
		return nil, false, err
	}
}

// RuleView is what rules see as `event`: the attrs converted to the types
// the event type declares (missing ones as zero values, so a rule such as
// event.referrer != "" works when there is no referrer), plus id, type,
// at, member and source. Attrs of the wrong type are an error, because a
// rule compiled for an int must never see a string.
func RuleView(ev *Event, et *rules.EventType) (map[string]any, error) {
	return RuleViewInto(make(map[string]any, len(ev.Attrs)+5), ev, et)
}

// RuleViewInto is RuleView written into view, which is cleared first, so
// a caller can reuse one map for every event.
func RuleViewInto(view map[string]any, ev *Event, et *rules.EventType) (map[string]any, error) {
	if et != nil {
		return PlanView(et, nil).Build(view, ev)
	}
	// An undeclared type: no rule can name its attributes (validate
	// refuses them), so they are passed through as they are.
	clear(view)
	for k, v := range ev.Attrs {
		view[k] = v
	}
	view["id"] = ev.ID
	view["type"] = ev.Type
	view["at"] = ev.At
	view["member"] = ev.Member.ID
	view["source"] = ev.Source
	return view, nil
}

// Restore is the rule view of an event a campaign run kept (its entering
// event), as rules on it expect: the attributes the event type declares
// in their declared types, plus id, type, at, member and source. What a
// store gives back may have been through JSON, where times became strings
// and whole numbers float64; from the memory store it has not, and both
// come out the same. types are the event types by name: the kept type
// decides, so a campaign entered on several types reads each its own way.
// An attribute that no longer converts (its declaration changed since the
// run began) is an error.
func Restore(kept map[string]any, types map[string]rules.EventType) (map[string]any, error) {
	view := make(map[string]any, len(kept)+5)
	for k, v := range kept {
		view[k] = v
	}
	typ, _ := kept["type"].(string)
	et, declared := types[typ]
	attrs := map[string]rules.AttrType{}
	if declared {
		attrs = et.Attrs
	}
	for name, t := range attrs {
		v, ok := kept[name]
		c, err := convert(v, ok, t)
		if err != nil {
			return nil, invalid("attr %q of %s: %v", name, typ, err)
		}
		view[name] = c
	}
	for name, t := range rules.EventCommon {
		if _, own := attrs[name]; own {
			continue
		}
		v, ok := kept[name]
		c, err := convert(v, ok, t)
		if err != nil {
			return nil, invalid("%s of %s: %v", name, typ, err)
		}
		view[name] = c
	}
	return view, nil
}

// ViewPlan is how to build the rule view of events of one declared type,
// worked out once: the attributes the rules read, in a fixed order, so
// that building a view walks a slice, not two maps. Only those are
// checked against their declared types: an attribute no rule reads
// cannot make a rule wrong, and checking it would cost a map lookup on
// every event.
type ViewPlan struct {
	attrs []planAttr
	fixed [5]bool // id, type, at, member, source
}

type planAttr struct {
	name string
	typ  rules.AttrType
}

// PlanView plans views of events of a declared type, keeping the fields
// in want (every field when want is nil).
func PlanView(et *rules.EventType, want map[string]bool) *ViewPlan {
	p := &ViewPlan{}
	names := make([]string, 0, len(et.Attrs))
	for name := range et.Attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if want == nil || want[name] {
			p.attrs = append(p.attrs, planAttr{name: name, typ: et.Attrs[name]})
		}
	}
	for i, f := range [...]string{"id", "type", "at", "member", "source"} {
		p.fixed[i] = want == nil || want[f]
	}
	return p
}

// Build writes the view of ev into view, which is cleared first.
func (p *ViewPlan) Build(view map[string]any, ev *Event) (map[string]any, error) {
	clear(view)
	return p.Fill(view, ev)
}

// Fill writes the view of ev into a view only this plan fills. Every
// fill writes the same keys, so the view needs no clearing, which for a
// map reused on every event costs more than filling it.
func (p *ViewPlan) Fill(view map[string]any, ev *Event) (map[string]any, error) {
	for _, a := range p.attrs {
		v, ok := ev.Attrs[a.name]
		c, err := convert(v, ok, a.typ)
		if err != nil {
			return nil, invalid("attr %q of %s: %v", a.name, ev.Type, err)
		}
		view[a.name] = c
	}
	if p.fixed[0] {
		view["id"] = ev.ID
	}
	if p.fixed[1] {
		view["type"] = ev.Type
	}
	if p.fixed[2] {
		view["at"] = ev.At
	}
	if p.fixed[3] {
		view["member"] = ev.Member.ID
	}
	if p.fixed[4] {
		view["source"] = ev.Source
	}
	return view, nil
}

func convert(v any, present bool, t rules.AttrType) (any, error) {
	if !present || v == nil {
		switch t {
		case rules.TypeString:
			return "", nil
		case rules.TypeInt:
			return 0, nil
		case rules.TypeFloat:
			return 0.0, nil
		case rules.TypeBool:
			return false, nil
		case rules.TypeTime:
			return time.Time{}, nil
		case rules.TypeList:
			return []any{}, nil
		}
		return nil, nil
	}
	// Values already of the declared type are passed on as they are:
	// boxing them again would allocate on every event.
	switch t {
	case rules.TypeString:
		if _, ok := v.(string); ok {
			return v, nil
		}
	case rules.TypeInt:
		switch x := v.(type) {
		case int:
			return v, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int(x), nil
			}
		}
	case rules.TypeFloat:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			return v, nil
		}
	case rules.TypeBool:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case rules.TypeTime:
		switch x := v.(type) {
		case time.Time:
			return v, nil
		case string:
			if tm, err := time.Parse(time.RFC3339, x); err == nil {
				return tm, nil
			}
		}
	case rules.TypeList:
		if _, ok := v.([]any); ok {
			return v, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("must be %s, got %s", t, describe(v))
}

// describe writes an attribute value as JSON with its kind, in JSON's
// terms ("the string \"seven\"", "the number 1.5"), never Go's.
func describe(v any) string {
	kind := "the value"
	switch v.(type) {
	case string:
		kind = "the string"
	case int, int64, float64, json.Number:
		kind = "the number"
	case bool:
		kind = "the boolean"
	case []any:
		kind = "the list"
	case map[string]any:
		kind = "the object"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return kind
	}
	s := string(b)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return kind + " " + s
}
