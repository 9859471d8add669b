// Package stamp formats times for machine outputs (simulate -json,
// -outcomes lines): RFC 3339 in UTC with exactly nine fractional digits,
// so every stamp has the same width and sorting them as text sorts them
// by time. Events keep their times to the nanosecond, so nothing is lost.
package stamp

import (
	"encoding/json"
	"time"
)

// Layout is the fixed-width form: 2018-02-06T22:07:52.777000000Z.
const Layout = "2006-01-02T15:04:05.000000000Z"

// Format writes t in UTC in Layout.
func Format(t time.Time) string { return t.UTC().Format(Layout) }

// Time is a time.Time that marshals to JSON in Layout (unmarshals any
// RFC 3339). Its zero value is omitted by omitzero, as a time.Time is.
type Time struct{ time.Time }

// Of wraps t.
func Of(t time.Time) Time { return Time{t} }

// MarshalJSON writes the time in Layout.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(Format(t.Time))
}

// UnmarshalJSON reads an RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error { return t.Time.UnmarshalJSON(b) }
