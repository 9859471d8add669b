package stackexchange

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// RowError is a problem with one file of the dump, located as precisely as
// the decoder allows: the row (1-based count of <row> elements), the line,
// and the row's Id when it has one.
type RowError struct {
	File string
	Row  int    // 1-based; for a syntax error, the last row read before it
	Line int    // 1-based line in the file, 0 when unknown
	ID   string // the row's Id attribute, when known
	Err  error
}

func (e *RowError) Error() string {
	where := e.File
	switch {
	case e.ID != "":
		where += fmt.Sprintf(" row %d (line %d, Id %s)", e.Row, e.Line, e.ID)
	case e.Row > 0 && e.Line > 0:
		where += fmt.Sprintf(" row %d (line %d)", e.Row, e.Line)
	case e.Line > 0:
		where += fmt.Sprintf(" line %d", e.Line)
	}
	return where + ": " + e.Err.Error()
}

func (e *RowError) Unwrap() error { return e.Err }

// timeLayout is the dump's timestamp: UTC without a zone, with optional
// fractional seconds.
const timeLayout = "2006-01-02T15:04:05.999999999"

// row is one <row> element. Its attributes are kept as decoded, in order;
// rows have about 10 attributes, so a linear lookup beats a map.
type row struct {
	file  string
	n     int
	line  int
	attrs []xml.Attr
	err   error // first problem found by the typed getters
}

func (r *row) get(name string) (string, bool) {
	for _, a := range r.attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// str returns an attribute, "" when absent.
func (r *row) str(name string) string {
	v, _ := r.get(name)
	return v
}

// fail records the first problem; later getters keep returning zero values
// so callers can read every field and check r.err once.
func (r *row) fail(name, value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %s: %q is not %s", name, truncate(value, 40), want)
	}
}

// optInt returns an integer attribute and whether it is present.
func (r *row) optInt(name string) (int64, bool) {
	v, ok := r.get(name)
	if !ok || v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.fail(name, v, "an integer")
		return 0, false
	}
	return n, true
}

// reqInt returns a required integer attribute.
func (r *row) reqInt(name string) int64 {
	n, ok := r.optInt(name)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("missing attribute %s", name)
	}
	return n
}

// optTime returns a timestamp attribute and whether it is present.
func (r *row) optTime(name string) (time.Time, bool) {
	v, ok := r.get(name)
	if !ok || v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(timeLayout, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9998 {
		r.fail(name, v, "a date such as 2018-02-06T20:19:50.957")
		return time.Time{}, false
	}
	return t, true
}

// reqTime returns a required timestamp attribute.
func (r *row) reqTime(name string) time.Time {
	t, ok := r.optTime(name)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("missing attribute %s", name)
	}
	return t
}

// check returns the first problem found, located.
func (r *row) check() error {
	if r.err == nil {
		return nil
	}
	return r.wrap(r.err)
}

func (r *row) wrap(err error) error {
	return &RowError{File: r.file, Row: r.n, Line: r.line, ID: truncate(r.str("Id"), 20), Err: err}
}

// decodeRows streams the <row> children of a dump file's root element to
// fn, one at a time, so a file is never held in memory. It checks ctx every
// few thousand rows and stops at fn's first error.
func decodeRows(ctx context.Context, r io.Reader, file string, fn func(*row) error) (int, error) {
	dec := xml.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	depth, n := 0, 0
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return n, &RowError{File: file, Err: errors.New("no XML root element: the file is empty or not XML")}
			}
			return n, nil
		}
		if err != nil {
			line, _ := dec.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
				err = fmt.Errorf("malformed XML: %s", se.Msg)
			}
			if n > 0 {
				err = fmt.Errorf("after row %d: %w", n, err)
			}
			return n, &RowError{File: file, Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if sawRoot {
					line, _ := dec.InputPos()
					return n, &RowError{File: file, Line: line, Err: errors.New("more than one root element")}
				}
				sawRoot = true
				continue
			}
			// Only direct children named row are data; anything else
			// (future dump additions) is ignored rather than refused.
			if depth != 2 || t.Name.Local != "row" {
				continue
			}
			n++
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return n, err
				}
			}
			line, _ := dec.InputPos()
			if err := fn(&row{file: file, n: n, line: line, attrs: t.Attr}); err != nil {
				return n, err
			}
		case xml.EndElement:
			depth--
		}
	}
}

// truncate cuts s to at most max bytes on a rune boundary.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
