package state

import (
	"bytes"
	"encoding/json"

	"github.com/hearth-community/hearth/engine/stamp"
)

// OutcomeLine is an Outcome as the machine outputs give it (-outcomes
// lines, GET /v1/members/ID/history, hearth member export): its at in
// stamp's fixed width, so one outcome is the same line everywhere and
// lines sort as text by time. Fields in Outcome's order, then Title,
// which only -outcomes lines set (OutcomeTitleField).
type OutcomeLine struct {
	Kind   string     `json:"kind"`
	Member string     `json:"member"`
	Name   string     `json:"name"`
	Change string     `json:"change,omitempty"`
	At     stamp.Time `json:"at"`
	Rule   string     `json:"rule"`
	Event  string     `json:"event"`
	Points int        `json:"points,omitempty"`
	From   string     `json:"from,omitempty"`
	To     string     `json:"to,omitempty"`
	Detail string     `json:"detail,omitempty"`
	Title  string     `json:"title,omitempty"`
}

// Line is o as a line, with title ("" for none).
func (o Outcome) Line(title string) OutcomeLine {
	return OutcomeLine{Kind: o.Kind, Member: o.Member, Name: o.Name, Change: o.Change, At: stamp.Of(o.At), Rule: o.Rule,
		Event: o.Event, Points: o.Points, From: o.From, To: o.To, Detail: o.Detail, Title: title}
}

// MarshalJSON writes the outcome as its line, without a title. Outcomes
// are kept in the stores' own columns and records, never as this JSON;
// reading it back as an Outcome takes any RFC 3339 at.
func (o Outcome) MarshalJSON() ([]byte, error) {
	// Not json.Marshal: it would escape < > & in rules and details, which
	// the encoder around (SetEscapeHTML(false) in the CLI and the API)
	// would keep; that encoder escapes them itself where it is asked to.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(o.Line(""))
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}
