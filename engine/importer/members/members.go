// Package members turns another tool's member export (CSV or JSON lines)
// into hearth member.imported events, one per member: the opening state a
// community brings when it moves to hearth (join time, identities,
// profile, points balance, badges and tier).
//
// Event ids are derived from member ids alone, so importing the same
// export twice, or a corrected one, gives each member the id hearth has
// already applied: the second import changes nothing.
package members

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/rules"
)

// Source is the source of every imported event.
const Source = "import"

// Formats of an export.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// BadgeSeparator separates badge names in one badges cell.
const BadgeSeparator = ";"

// Columns with a meaning of their own; any other column that is not an
// identity is a profile attribute.
const (
	ColumnID     = "id"
	ColumnName   = "name"
	ColumnJoined = events.ImportedJoined
	ColumnPoints = events.ImportedPoints
	ColumnBadges = events.ImportedBadges
	ColumnTier   = events.ImportedTier
)

// DefaultIdentities are the platform identity names hearth's adapters
// use (their platform types); Options.Identities replaces them.
var DefaultIdentities = []string{"dingtalk", "discord", "discourse", "email", "feishu", "local", "matrix", "slack", "telegram", "wecom"}

// MaxErrors is how many row errors an import collects before it stops
// reading: enough to fix a file's problems in one pass, not a screenful
// per row of a file in the wrong format.
const MaxErrors = 50

// Options tune an import.
type Options struct {
	// File names the input in errors: "members.csv:12: ...".
	File string
	// Format is FormatCSV or FormatJSONL.
	Format string
	// At is the events' time, the moment the opening state holds: the
	// import's, by default now.
	At time.Time
	// Identities are the column names read as platform identities;
	// DefaultIdentities when nil.
	Identities []string
	// CheckName, when set, is asked about every tier ("tier") and badge
	// ("badge") name; an error is reported against the row and column.
	CheckName func(kind, name string) error
	// Progress, when set, is called every ProgressEvery rows and once at
	// the end.
	Progress func(rows int, done bool)
}

// ProgressEvery is how many rows pass between progress calls.
const ProgressEvery = 10_000

// RowError is a problem with one row of the export: where (file, line,
// column) and what.
type RowError struct {
	File   string
	Line   int    // 1-based line where the row starts
	Column string // the column's name; "" for the row as a whole
	Err    error
}

func (e *RowError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Column != "" {
		return fmt.Sprintf("%s: column %s: %v", where, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Errors are the row errors of an import that failed; Error lists the
// first few.
type Errors struct {
	List []*RowError
	// More says reading stopped at MaxErrors: the file may have more.
	More bool
}

func (e *Errors) Error() string {
	var b strings.Builder
	for i, x := range e.List {
		if i == 10 {
			fmt.Fprintf(&b, "\n... and %d more", len(e.List)-10)
			break
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(x.Error())
	}
	if e.More {
		fmt.Fprintf(&b, "\n(stopped after %d errors)", MaxErrors)
	}
	return b.String()
}

// Summary says what an import read and produced.
type Summary struct {
	File    string    `json:"file"`
	Format  string    `json:"format"`
	At      time.Time `json:"at"`
	Rows    int       `json:"rows"`
	Members int       `json:"members"`
	// Identities counts the members with an identity, by platform.
	Identities map[string]int `json:"identities"`
	// Joined is the members with a join time; the others join at At.
	Joined int `json:"joined"`
	// Points is the opening balances summed; WithPoints the members
	// with a balance other than 0.
	Points     int64 `json:"points"`
	WithPoints int   `json:"with_points"`
	// Badges counts the members holding each badge; Tiers each tier's.
	Badges map[string]int `json:"badges"`
	Tiers  map[string]int `json:"tiers"`
	// Attrs are the profile attribute columns, in file order.
	Attrs []string `json:"attrs"`
	// Lookalikes are the attribute columns named almost as a column of
	// its own meaning ("telegarm", "point", "joined_at"): most likely a
	// typo that left the data out of the import.
	Lookalikes []Lookalike `json:"lookalikes,omitempty"`
}

// Lookalike is a profile attribute column and the column it looks like.
type Lookalike struct {
	Column string `json:"column"`
	Meant  string `json:"meant"`
}

// Import reads an export and returns its member.imported events in file
// order. Any bad row fails the import with an *Errors listing each
// problem with its line and column: an import is all or nothing, so a
// fixed file imports every member once.
func Import(ctx context.Context, r io.Reader, opts Options) ([]events.Event, *Summary, error) {
	if opts.At.IsZero() {
		return nil, nil, errors.New("members import: no time for the events (Options.At)")
	}
	if opts.Identities == nil {
		opts.Identities = DefaultIdentities
	}
	im := &importer{opts: opts, seen: map[string]int{}, identities: map[string]int{},
		sum: &Summary{File: opts.File, Format: opts.Format, At: opts.At.UTC(), Identities: map[string]int{},
			Badges: map[string]int{}, Tiers: map[string]int{}, Attrs: []string{}}}
	var err error
	switch opts.Format {
	case FormatCSV, "":
		im.sum.Format = FormatCSV
		err = im.readCSV(ctx, r)
	case FormatJSONL:
		err = im.readJSONL(ctx, r)
	default:
		return nil, nil, fmt.Errorf("members import: unknown format %q (csv or jsonl)", opts.Format)
	}
	if err != nil {
		return nil, nil, err
	}
	if opts.Progress != nil {
		opts.Progress(im.sum.Rows, true)
	}
	if len(im.errs.List) > 0 {
		return nil, nil, &im.errs
	}
	im.sum.Members = len(im.evs)
	im.sum.Lookalikes = im.lookalikes()
	return im.evs, im.sum, nil
}

type importer struct {
	opts Options
	evs  []events.Event
	seen map[string]int // member id -> line
	// identities are the identities claimed so far ("discord:123") ->
	// line.
	identities map[string]int
	errs       Errors
	sum        *Summary
}

// fail records a row error; it says false once MaxErrors are recorded.
func (im *importer) fail(line int, column string, err error) bool {
	im.errs.List = append(im.errs.List, &RowError{File: im.opts.File, Line: line, Column: column, Err: err})
	if len(im.errs.List) >= MaxErrors {
		im.errs.More = true
		return false
	}
	return true
}

func (im *importer) progress() {
	if im.opts.Progress != nil && im.sum.Rows%ProgressEvery == 0 {
		im.opts.Progress(im.sum.Rows, false)
	}
}

// cell is one value of a row, by column name.
type cell struct {
	column string
	value  any // string from CSV; any JSON value from JSON lines
}

// readCSV reads a header row and then one member a row.
func (im *importer) readCSV(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(&bomSkipper{r: r})
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		im.fail(1, "", errors.New("the file is empty: the first row must name the columns (id, then identities, joined, points, badges, tier and profile attributes)"))
		return nil
	}
	if err != nil {
		im.fail(csvLine(err, 1), "", csvProblem(err))
		return nil
	}
	cols, ok := im.header(header)
	if !ok {
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				im.sum.Rows++
				if !im.fail(pe.StartLine, "", fmt.Errorf("%d values for the %d columns of the header", len(rec), len(cols))) {
					return nil
				}
				continue
			}
			// A broken quote leaves the reader nowhere to go on from.
			im.fail(csvLine(err, 0), "", csvProblem(err))
			return nil
		}
		line, _ := cr.FieldPos(0) // a record has at least one field
		im.sum.Rows++
		im.progress()
		if allBlank(rec) {
			continue
		}
		row := make([]cell, len(cols))
		for i, c := range cols {
			row[i] = cell{column: c, value: rec[i]}
		}
		if !im.row(line, row) {
			return nil
		}
	}
}

func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// header checks the column names: present, unique, an id among them.
func (im *importer) header(header []string) ([]string, bool) {
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if im.reserved(strings.ToLower(name)) {
			name = strings.ToLower(name) // "ID", "Email" as exports write them
		}
		switch {
		case name == "":
			im.fail(1, "", fmt.Errorf("column %d of the header has no name", i+1))
			return nil, false
		case len(name) > 64:
			im.fail(1, "", fmt.Errorf("column %d of the header is named with more than 64 bytes", i+1))
			return nil, false
		case !utf8.ValidString(name):
			im.fail(1, "", fmt.Errorf("column %d of the header is not valid UTF-8", i+1))
			return nil, false
		case seen[name]:
			im.fail(1, name, errors.New("named twice in the header"))
			return nil, false
		}
		seen[name] = true
		cols[i] = name
	}
	if !seen[ColumnID] {
		if len(cols) == 1 && strings.ContainsAny(cols[0], ";\t") {
			im.fail(1, "", fmt.Errorf("no id column in the header, which is one column (%q): the columns are separated by commas; save the export as comma-separated values", cols[0]))
			return nil, false
		}
		im.fail(1, "", fmt.Errorf("no id column in the header (%s): every member needs the id hearth will know them by", strings.Join(cols, ", ")))
		return nil, false
	}
	return cols, true
}

// lookalikes finds the attribute columns named almost as a column of
// its own meaning.
func (im *importer) lookalikes() []Lookalike {
	known := append([]string{ColumnID, ColumnName, ColumnJoined, ColumnPoints, ColumnBadges, ColumnTier}, im.opts.Identities...)
	var out []Lookalike
	for _, a := range im.sum.Attrs {
		if c := rules.Closest(strings.ToLower(a), known); c != "" {
			out = append(out, Lookalike{Column: a, Meant: c})
		}
	}
	return out
}

// reserved says a column has a meaning of its own (not a profile attr).
func (im *importer) reserved(name string) bool {
	switch name {
	case ColumnID, ColumnName, ColumnJoined, ColumnPoints, ColumnBadges, ColumnTier:
		return true
	}
	return slices.Contains(im.opts.Identities, name)
}

// readJSONL reads one member a line: an object with the CSV's column
// names as keys, whose values may also be JSON numbers (points), lists
// (badges) and booleans (attributes).
func (im *importer) readJSONL(ctx context.Context, r io.Reader) error {
	rd := &lineReader{r: &bomSkipper{r: r}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, line, err := rd.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			im.fail(line, "", err)
			return nil
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		im.sum.Rows++
		im.progress()
		row, err := jsonRow(raw)
		if err != nil {
			if !im.fail(line, "", err) {
				return nil
			}
			continue
		}
		for i := range row {
			if lower := strings.ToLower(row[i].column); im.reserved(lower) {
				row[i].column = lower
			}
		}
		if !im.row(line, row) {
			return nil
		}
	}
}

// jsonRow reads a JSON object's fields in their order, refusing nesting
// beyond a list of strings and fields named twice.
func jsonRow(raw []byte) ([]cell, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("not valid UTF-8")
	}
	if !json.Valid(raw) {
		// Unmarshal's error places the fault as POST /v1/events does.
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, jsonProblem(raw, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("each line must be a JSON object of a member's columns, such as {\"id\": \"u1\", \"discord\": \"123\", \"points\": 40}")
	}
	var row []cell
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonProblem(raw, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("field %q appears twice", key)
		}
		seen[key] = true
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, jsonProblem(raw, err)
		}
		row = append(row, cell{column: key, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonProblem(raw, err)
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return nil, errors.New("more after the object's closing }: one member per line")
	}
	return row, nil
}

func jsonProblem(raw []byte, err error) error {
	if se := events.ExplainSyntax(raw, err); se != nil {
		return fmt.Errorf("malformed JSON at column %d: %s", se.Column, se.Reason)
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// row turns one row into a member.imported event; false once errors
// reach MaxErrors.
func (im *importer) row(line int, row []cell) bool {
	// The id first: a member named twice is reported even when the
	// first of their rows has another problem.
	for _, c := range row {
		if c.column != ColumnID {
			continue
		}
		if id, err := scalar(c.value); err == nil && id != "" {
			if first, dup := im.seen[id]; dup {
				return im.fail(line, ColumnID, fmt.Errorf("member %q is on line %d too: one row per member", id, first))
			}
			im.seen[id] = line
		}
	}
	ev := events.Event{Type: events.MemberImported, At: im.opts.At.UTC(), Source: Source, Attrs: map[string]any{}}
	var attrs []string
	var tier string
	var badges []string
	points := 0
	for _, c := range row {
		if c.value == nil {
			continue // JSON null: not given
		}
		switch c.column {
		case ColumnBadges:
			names, err := badgeNames(c.value)
			if err != nil {
				return im.fail(line, c.column, err)
			}
			for _, n := range names {
				if im.opts.CheckName != nil {
					if err := im.opts.CheckName("badge", n); err != nil {
						if strings.ContainsAny(n, ",|") {
							// "a, b": a list written with another separator.
							err = fmt.Errorf("%w; several badges in one cell are separated by %q (first_post;helper)", err, BadgeSeparator)
						}
						return im.fail(line, c.column, err)
					}
				}
			}
			if len(names) > 0 {
				list := make([]any, len(names))
				for i, n := range names {
					list[i] = n
				}
				ev.Attrs[ColumnBadges] = list
				badges = names
			}
			continue
		case ColumnPoints:
			n, ok, err := pointsOf(c.value)
			if err != nil {
				return im.fail(line, c.column, err)
			}
			if ok {
				ev.Attrs[ColumnPoints] = n
				points = n
			}
			continue
		}
		s, err := scalar(c.value)
		if err != nil {
			return im.fail(line, c.column, err)
		}
		if s == "" {
			continue
		}
		switch {
		case c.column == ColumnID:
			ev.Member.ID = s
		case c.column == ColumnName:
			ev.Member.Name = s
			ev.Attrs[ColumnName] = s
		case c.column == ColumnJoined:
			t, err := parseJoined(s)
			if err != nil {
				return im.fail(line, c.column, err)
			}
			if t.After(im.opts.At) {
				return im.fail(line, c.column, fmt.Errorf("%s is after the import's time (%s): a member joins before their state is imported", s, im.opts.At.UTC().Format(time.RFC3339)))
			}
			ev.Attrs[ColumnJoined] = t.UTC().Format(time.RFC3339)
		case c.column == ColumnTier:
			if im.opts.CheckName != nil {
				if err := im.opts.CheckName("tier", s); err != nil {
					return im.fail(line, c.column, err)
				}
			}
			ev.Attrs[ColumnTier] = s
			tier = s
		case c.column == "timezone":
			if _, err := time.LoadLocation(s); err != nil || s == "Local" {
				return im.fail(line, c.column, fmt.Errorf("%q is not an IANA time zone name such as Europe/Berlin", s))
			}
			ev.Attrs[c.column] = s
			attrs = append(attrs, c.column)
		case slices.Contains(im.opts.Identities, c.column):
			if ev.Member.Identities == nil {
				ev.Member.Identities = map[string]string{}
			}
			// An identity belongs to one member: two rows claiming it
			// would have the second's claim refused when applied.
			key := c.column + ":" + s
			if first, dup := im.identities[key]; dup {
				return im.fail(line, c.column, fmt.Errorf("identity %s is on line %d too: an identity belongs to one member", key, first))
			}
			im.identities[key] = line
			ev.Member.Identities[c.column] = s
		default:
			// Profile attributes keep their JSON type; a CSV cell is text.
			if str, isString := c.value.(string); isString {
				ev.Attrs[c.column] = strings.TrimSpace(str)
			} else {
				ev.Attrs[c.column] = numberOrValue(c.value)
			}
			attrs = append(attrs, c.column)
		}
	}
	if ev.Member.ID == "" {
		return im.fail(line, ColumnID, errors.New("empty: every member needs the id hearth will know them by"))
	}
	ev.ID = EventID(ev.Member.ID)
	if len(ev.Attrs) == 0 {
		ev.Attrs = nil
	}
	if err := ev.Check(); err != nil {
		column := ""
		if strings.Contains(err.Error(), "id ") {
			// The event's id is made of the member's: either is the
			// id column's fault.
			column = ColumnID
		}
		return im.fail(line, column, err)
	}
	im.evs = append(im.evs, ev)
	s := im.sum
	for p := range ev.Member.Identities {
		s.Identities[p]++
	}
	if _, ok := ev.Attrs[ColumnJoined]; ok {
		s.Joined++
	}
	if points != 0 {
		s.Points += int64(points)
		s.WithPoints++
	}
	for _, b := range badges {
		s.Badges[b]++
	}
	if tier != "" {
		s.Tiers[tier]++
	}
	for _, a := range attrs {
		if !slices.Contains(s.Attrs, a) {
			s.Attrs = append(s.Attrs, a)
		}
	}
	return true
}

// EventID is the id of a member's member.imported event: the same for
// every import of the member, so hearth applies one. An id too long to
// fit is hashed.
func EventID(member string) string {
	const prefix = events.MemberImported + "/"
	if len(prefix)+len(member) <= events.MaxIDLen {
		return prefix + member
	}
	sum := sha256.Sum256([]byte(member))
	return prefix + "sha256:" + hex.EncodeToString(sum[:])
}

// parseJoined reads an RFC 3339 time or a date (its midnight, UTC).
func parseJoined(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.Year() < 1970 || t.Year() > 9999 {
			return time.Time{}, fmt.Errorf("%s is out of range", s)
		}
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if t.Year() < 1970 {
			return time.Time{}, fmt.Errorf("%s is out of range", s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time (2024-03-01T09:30:00Z) or a date (2024-03-01)", shortQuote(s))
}

// pointsOf reads an opening balance: a whole number, as text or JSON.
// ok is false for an empty cell.
func pointsOf(v any) (int, bool, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
	case json.Number:
		s = x.String()
	default:
		return 0, false, fmt.Errorf("must be a whole number, not %s", kindOf(v))
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil {
		// Spreadsheets and JSON writers turn 12 into "12.0" or 1.2e3;
		// a value that is whole is taken, a fraction never rounded.
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<40 {
			n, err = int64(f), nil
		}
	}
	if err != nil || n > 1<<40 || n < -(1<<40) {
		return 0, false, fmt.Errorf("%s is not a whole number of points (such as 120)", shortQuote(s))
	}
	return int(n), true, nil
}

// badgeNames reads badge names: "a;b" or a JSON list of strings; empty
// names are dropped and repeats kept once.
func badgeNames(v any) ([]string, error) {
	var parts []string
	switch x := v.(type) {
	case string:
		parts = strings.Split(x, BadgeSeparator)
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("must list badge names as strings, not %s", kindOf(e))
			}
			parts = append(parts, s)
		}
	default:
		return nil, fmt.Errorf("must be badge names separated by %q, or a list of them, not %s", BadgeSeparator, kindOf(v))
	}
	var names []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p != "" && !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	return names, nil
}

// scalar is a cell as text: a string, or a JSON number or boolean.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("must be a string, number or true/false, not %s", kindOf(v))
}

// numberOrValue turns a JSON number into an int or a float64, as events
// carry numbers.
func numberOrValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return int(i)
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return "true or false"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	}
	return "that value"
}

func shortQuote(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "..."
	}
	return strconv.Quote(s)
}

// csvLine is the line a CSV error is on, or def.
func csvLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		return pe.Line
	}
	return def
}

// csvProblem says what broke the CSV, without the place (the RowError
// gives it) and in words for people.
func csvProblem(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Errorf("column %d: a quote (\") inside a value that is not quoted; quote the value and double the quote (\"\"): %w", pe.Column, pe.Err)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Errorf("column %d: a bare quote (\") in a value that is not quoted; quote the value and double the quote (\"\"): %w", pe.Column, pe.Err)
	}
	return fmt.Errorf("column %d: %w", pe.Column, pe.Err)
}

// bomSkipper drops a UTF-8 byte order mark at the start of the input,
// which spreadsheet programs write.
type bomSkipper struct {
	r    io.Reader
	done bool
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if b.done {
		return b.r.Read(p)
	}
	b.done = true
	var head [3]byte
	n, err := io.ReadFull(b.r, head[:])
	data := head[:n]
	if bytes.Equal(data, []byte("\xef\xbb\xbf")) {
		data = nil
	}
	b.r = io.MultiReader(bytes.NewReader(data), b.r)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	if err != nil {
		return 0, err
	}
	return b.r.Read(p)
}

// lineReader reads lines of at most events.MaxLineBytes.
type lineReader struct {
	r    io.Reader
	buf  []byte
	eof  bool
	line int
}

// next is the next line without its line break, and its number.
func (l *lineReader) next() ([]byte, int, error) {
	for {
		if i := bytes.IndexByte(l.buf, '\n'); i >= 0 {
			line := l.buf[:i]
			l.buf = l.buf[i+1:]
			l.line++
			return bytes.TrimSuffix(line, []byte("\r")), l.line, nil
		}
		if len(l.buf) > events.MaxLineBytes {
			return nil, l.line + 1, fmt.Errorf("line longer than %d bytes", events.MaxLineBytes)
		}
		if l.eof {
			if len(l.buf) == 0 {
				return nil, l.line, io.EOF
			}
			line := l.buf
			l.buf = nil
			l.line++
			return line, l.line, nil
		}
		chunk := make([]byte, 64<<10)
		n, err := l.r.Read(chunk)
		l.buf = append(l.buf, chunk[:n]...)
		if errors.Is(err, io.EOF) {
			l.eof = true
		} else if err != nil {
			return nil, l.line + 1, err
		}
	}
}
