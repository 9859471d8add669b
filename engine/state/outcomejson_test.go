package state

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// An outcome marshals with its at in stamp's fixed width, every field in
// place and < > & as they are where the encoder does not escape them
// (the CLI's and the API's), and reads back as it was.
func TestOutcomeJSON(t *testing.T) {
	o := Outcome{Kind: "points", Member: "m", Name: "n", Change: "grant", At: time.Date(2026, 1, 2, 3, 4, 5, 970000000, time.FixedZone("x", 3600)),
		Rule: "incentive.n", Event: "e", Points: 3, From: "a", To: "b", Detail: "x >= 1 && y < 2"}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode([]Outcome{o}); err != nil {
		t.Fatal(err)
	}
	want := `[{"kind":"points","member":"m","name":"n","change":"grant","at":"2026-01-02T02:04:05.970000000Z","rule":"incentive.n","event":"e","points":3,"from":"a","to":"b","detail":"x >= 1 && y < 2"}]` + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	escaped, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(escaped, []byte(`x \u003e= 1 \u0026\u0026 y \u003c 2`)) {
		t.Errorf("json.Marshal escapes as it does elsewhere: %s", escaped)
	}
	var back []Outcome
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || !back[0].At.Equal(o.At) {
		t.Fatalf("read back %+v", back)
	}
	back[0].At = o.At
	if !reflect.DeepEqual(back[0], o) {
		t.Errorf("read back %+v, want %+v", back[0], o)
	}
	// A field added to Outcome is added to its JSON form, in place.
	tags := func(t reflect.Type) []string {
		var out []string
		for i := range t.NumField() {
			out = append(out, t.Field(i).Tag.Get("json"))
		}
		return out
	}
	wantTags := append(tags(reflect.TypeFor[Outcome]()), OutcomeTitleField+",omitempty")
	if got := tags(reflect.TypeFor[OutcomeLine]()); !slices.Equal(got, wantTags) {
		t.Errorf("OutcomeLine's fields %q, want Outcome's and title: %q", got, wantTags)
	}
}
