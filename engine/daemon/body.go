package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/hearth-community/hearth/engine/events"
)

// bodyForms says what a request body may be, for messages.
const bodyForms = "one JSON event, a JSON array of events, or JSON lines (one event per line)"

// jsonMediaTypes are the Content-Types a body of events may be sent
// as: JSON's, JSON lines' and JSON text sequences' (RFC 7464) names, and
// the ones clients send without being told (curl --data-binary sends a
// form's type, others a file's octet-stream), which say nothing of the
// body.
var jsonMediaTypes = map[string]bool{
	"application/json": true, "text/json": true, "application/x-json": true,
	"application/x-ndjson": true, "application/ndjson": true, "application/jsonl": true,
	"application/x-jsonl": true, "application/jsonlines": true, "application/x-jsonlines": true,
	"application/json-seq": true, "text/plain": true, "application/octet-stream": true,
	"application/x-www-form-urlencoded": true,
}

// utf8Charsets are the charset parameters a body of events may name:
// UTF-8's, and ASCII, which is UTF-8 too.
var utf8Charsets = map[string]bool{"utf-8": true, "utf8": true, "us-ascii": true, "ascii": true}

// contentTypeProblem says why a request's Content-Type cannot hold
// events, or "" when it can (or says nothing). A form upload (curl -F)
// or an XML body would otherwise get a JSON syntax error about its first
// byte, which points nowhere near the mistake.
func contentTypeProblem(header string) string {
	if header == "" {
		return ""
	}
	mt, params, err := mime.ParseMediaType(header)
	cs, named := params["charset"]
	switch {
	case err != nil || !strings.Contains(mt, "/"):
		return fmt.Sprintf("Content-Type %q cannot be read; send the events as application/json or application/x-ndjson", header)
	case named && !utf8Charsets[strings.ToLower(cs)]:
		// JSON is UTF-8 (RFC 8259 8.1): a body in another charset would
		// be read as UTF-8 all the same, and its text come out garbled.
		return fmt.Sprintf("Content-Type names charset %s: only UTF-8 is accepted; send the events encoded as UTF-8 (charset=utf-8, or no charset)", cs)
	case jsonMediaTypes[mt] || strings.HasSuffix(mt, "+json"):
		return ""
	case strings.HasPrefix(mt, "multipart/"):
		return fmt.Sprintf("Content-Type %s is a form upload (curl -F); send the file itself as the body, as curl --data-binary @events.jsonl does", mt)
	}
	return fmt.Sprintf("Content-Type %s is not JSON; send %s as application/json or application/x-ndjson", mt, bodyForms)
}

// place is where an event was in a request body: its position among the
// body's events and the line it starts on.
type place struct {
	index, line int
}

// parseBody reads a request's events: one JSON object (pretty-printed
// or not), a JSON array of objects, or JSON lines. Each event is checked
// on its own, so every bad one is reported with its index and the line
// it starts on; places gives the good ones' positions.
func parseBody(body []byte) ([]events.Event, []place, []EventError) {
	body = events.TrimBOM(body)
	if msg := utf16Problem(body); msg != "" {
		return nil, nil, []EventError{{Line: 1, Error: fmt.Sprintf("%v: %s", events.ErrInvalid, msg)}}
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == recordSeparator {
		body = unsequence(body)
		trimmed = bytes.TrimLeft(body, " \t\r\n")
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return parseArray(body)
	}
	evs, places, bad, ok := parseValues(body)
	if ok {
		return evs, places, bad
	}
	return parseLines(body)
}

// recordSeparator starts each JSON text of a JSON text sequence
// (RFC 7464, application/json-seq).
const recordSeparator = 0x1e

// unsequence makes a JSON text sequence JSON values one after another,
// read as JSON lines are: each record separator outside a string
// becomes a blank, so lines and columns stay where they were. One inside
// a string is left, for the string to be refused as JSON (a control
// character must be escaped there).
func unsequence(body []byte) []byte {
	out := bytes.Clone(body)
	in, esc := false, false
	for i, c := range out {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && c == recordSeparator:
			out[i] = ' '
		}
	}
	return out
}

// utf16Problem says that body is UTF-16, or "": it starts with a UTF-16
// byte order mark, or with { or [ and a zero byte, which JSON in UTF-8
// never holds. A sender (PowerShell's Out-File, Notepad's "Unicode")
// would otherwise read of an invalid character at line 1, column 1.
func utf16Problem(body []byte) string {
	const hint = "; send it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE converts it)"
	switch {
	case bytes.HasPrefix(body, []byte{0xff, 0xfe}):
		return "the body is UTF-16 (little-endian: it starts with the byte order mark FF FE), not UTF-8" + hint
	case bytes.HasPrefix(body, []byte{0xfe, 0xff}):
		return "the body is UTF-16 (big-endian: it starts with the byte order mark FE FF), not UTF-8" + hint
	case len(body) >= 2 && (body[0] == 0) != (body[1] == 0) && bytes.ContainsAny(body[:2], "{["):
		return "the body is UTF-16, not UTF-8 (its first character is followed or preceded by a zero byte)" + hint
	}
	return ""
}

// lines counts lines as a body is read forward, so that finding the
// line of each event costs one pass over the body in all.
type lines struct {
	body []byte
	off  int
	line int
}

func newLines(body []byte) *lines { return &lines{body: body, line: 1} }

// at is the line of byte offset off, which must not go backwards.
func (l *lines) at(off int64) int {
	end := min(int(off), len(l.body))
	if end > l.off {
		l.line += bytes.Count(l.body[l.off:end], []byte{'\n'})
		l.off = end
	}
	return l.line
}

// start is the offset of the value that ends at end.
func start(end int64, raw json.RawMessage) int64 {
	return end - int64(len(raw))
}

// next is the offset of the value that comes after off: past blanks and
// the commas between an array's values.
func next(body []byte, off int64) int64 {
	for off < int64(len(body)) && bytes.IndexByte([]byte(" \t\r\n,"), body[off]) >= 0 {
		off++
	}
	return off
}

// parseOne parses the event at index idx, starting on line line, onto
// the events read so far, or onto the bad ones.
func parseOne(raw json.RawMessage, idx, line int, evs []events.Event, places []place, bad []EventError) ([]events.Event, []place, []EventError) {
	ev, err := events.Parse(raw)
	if err != nil {
		// The id, when it can be read, says which event it is, as the
		// refusals of events that parsed do.
		return evs, places, append(bad, EventError{Index: idx, Line: line, ID: events.ProbeID(raw), Error: err.Error()})
	}
	return append(evs, ev), append(places, place{index: idx, line: line}), bad
}

// parseValues reads the body as a sequence of JSON values, each an
// event: JSON lines, or one object over several lines. ok is false when
// the body is not well-formed JSON and its first line is a whole value,
// which makes it JSON lines with a broken line: parseLines then reports
// each line on its own.
func parseValues(body []byte) (evs []events.Event, places []place, bad []EventError, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	ln := newLines(body)
	idx := 0
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return evs, places, bad, true
		}
		if err != nil {
			if firstLineWhole(body) {
				return nil, nil, nil, false
			}
			from := ln.at(next(body, dec.InputOffset()))
			return evs, places, append(bad, malformed(idx, from, body, err)), true
		}
		evs, places, bad = parseOne(raw, idx, ln.at(start(dec.InputOffset(), raw)), evs, places, bad)
		idx++
		if idx > MaxEventsPerRequest {
			return evs, places, bad, true
		}
	}
}

// parseArray reads a JSON array of events.
func parseArray(body []byte) ([]events.Event, []place, []EventError) {
	var evs []events.Event
	var places []place
	var bad []EventError
	dec := json.NewDecoder(bytes.NewReader(body))
	ln := newLines(body)
	if _, err := dec.Token(); err != nil { // the '['
		return nil, nil, []EventError{malformed(0, 1, body, err)}
	}
	idx := 0
	for dec.More() {
		var raw json.RawMessage
		from := ln.at(next(body, dec.InputOffset()))
		if err := dec.Decode(&raw); err != nil {
			return evs, places, append(bad, malformed(idx, from, body, inBody(body, err)))
		}
		line := ln.at(start(dec.InputOffset(), raw))
		if msg := notObject(raw); msg != "" {
			bad = append(bad, EventError{Index: idx, Line: line, Error: fmt.Sprintf("%v: %s", events.ErrInvalid, msg)})
		} else {
			evs, places, bad = parseOne(raw, idx, line, evs, places, bad)
		}
		idx++
		if idx > MaxEventsPerRequest {
			return evs, places, bad
		}
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return evs, places, append(bad, malformed(idx, ln.at(dec.InputOffset()), body, inBody(body, err)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return evs, places, append(bad, EventError{Index: idx, Line: ln.at(dec.InputOffset()),
			Error: "more after the array's closing ]: send " + bodyForms})
	}
	return evs, places, bad
}

// inBody is err, met reading an array's values out of body, placed in
// body. The offsets of a decoder that reads tokens leave out what its
// Token calls read (the [, each comma and the blanks before it), so an
// error's offset falls short by a byte a comma; the body is read again
// from its start, which stops at the same mistake, since everything
// before it was read without one.
func inBody(body []byte, err error) error {
	var raw json.RawMessage
	var se *json.SyntaxError
	if again := json.Unmarshal(body, &raw); errors.As(again, &se) {
		return se
	}
	return err
}

// notObject says why an element of an array is not an event, or "" when
// it is an object: in the array's terms, where events.Parse speaks of
// lines.
func notObject(raw json.RawMessage) string {
	var kind string
	switch raw[0] {
	case '{':
		return ""
	case '[':
		kind = "an array"
	case '"':
		kind = "a string"
	case 't', 'f':
		kind = "true or false"
	case 'n':
		kind = "null"
	default:
		kind = "a number"
	}
	return "each element of the array must be a JSON event object, not " + kind
}

// parseLines reads JSON lines, each line an event, as an events file is
// read: a bad line is reported with its line (and, for malformed JSON,
// where on it), in the words simulate and replay use for it.
func parseLines(body []byte) ([]events.Event, []place, []EventError) {
	var evs []events.Event
	var places []place
	var bad []EventError
	rd := events.NewReader(bytes.NewReader(body))
	for idx := 0; idx <= MaxEventsPerRequest; idx++ {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var e *events.Error
		switch {
		case errors.As(err, &e):
			bad = append(bad, EventError{Index: e.Index, Line: e.Line, ID: e.ID, Error: e.Err.Error()})
		case err != nil: // a bytes.Reader fails no read
			bad = append(bad, EventError{Index: idx, Line: rd.Line() + 1, Error: "unreadable: " + err.Error()})
			return evs, places, bad
		default:
			evs, places = append(evs, ev), append(places, place{index: idx, line: rd.Line()})
		}
	}
	return evs, places, bad
}

// firstLineWhole reports whether the body's first non-blank line is a
// JSON value by itself.
func firstLineWhole(body []byte) bool {
	for line := range bytes.Lines(body) {
		if b := bytes.TrimSpace(line); len(b) > 0 {
			return json.Valid(b)
		}
	}
	return false
}

// malformed describes JSON that cannot be read, from the line its value
// starts on (from) to where reading it failed, as events.ExplainSyntax
// explains it wherever events come in.
func malformed(idx, from int, body []byte, err error) EventError {
	if errors.Is(err, io.EOF) {
		// Only inside an array, whose ] is missing: the body ends there.
		err = io.ErrUnexpectedEOF
	}
	se := events.ExplainSyntax(body, err)
	if se == nil { // not about syntax: the decoder says what
		return EventError{Index: idx, Line: from, Error: fmt.Sprintf("%v: %v; send %s", events.ErrInvalid, err, bodyForms)}
	}
	where := fmt.Sprintf("line %d, column %d", se.Line, se.Column)
	if se.Line != from {
		where += fmt.Sprintf(" (in the value that starts on line %d)", from)
	}
	return EventError{Index: idx, Line: from, Error: fmt.Sprintf("%v: malformed JSON at %s: %s; send %s", events.ErrInvalid, where, se.Reason, bodyForms)}
}
