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
// as: JSON's and JSON lines' names, and the ones clients send without
// being told (curl --data-binary sends a form's type), which say nothing
// of the body.
var jsonMediaTypes = map[string]bool{
	"application/json": true, "text/json": true, "application/x-json": true,
	"application/x-ndjson": true, "application/ndjson": true, "application/jsonl": true,
	"application/x-jsonl": true, "application/jsonlines": true, "application/x-jsonlines": true,
	"text/plain": true, "application/octet-stream": true, "application/x-www-form-urlencoded": true,
}

// contentTypeProblem says why a request's Content-Type cannot hold
// events, or "" when it can (or says nothing). A form upload (curl -F)
// or an XML body would otherwise get a JSON syntax error about its first
// byte, which points nowhere near the mistake.
func contentTypeProblem(header string) string {
	if header == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(header)
	switch {
	case err != nil || !strings.Contains(mt, "/"):
		return fmt.Sprintf("Content-Type %q cannot be read; send the events as application/json or application/x-ndjson", header)
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
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return parseArray(body)
	}
	evs, places, bad, ok := parseValues(body)
	if ok {
		return evs, places, bad
	}
	return parseLines(body)
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
			return evs, places, append(bad, malformed(idx, from, body, err))
		}
		evs, places, bad = parseOne(raw, idx, ln.at(start(dec.InputOffset(), raw)), evs, places, bad)
		idx++
		if idx > MaxEventsPerRequest {
			return evs, places, bad
		}
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return evs, places, append(bad, malformed(idx, ln.at(dec.InputOffset()), body, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return evs, places, append(bad, EventError{Index: idx, Line: ln.at(dec.InputOffset()),
			Error: "more after the array's closing ]: send " + bodyForms})
	}
	return evs, places, bad
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
