package plan_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
)

// FuzzRead feeds the saved-plan reader arbitrary files, as `hearth apply
// FILE` does with whatever it is given: no panic, a plan it accepts
// renders as text, and writing it out reads back to the same plan, so a
// plan hearth took can always be saved again.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"format_version":"1.1","config_hash":"h","state_serial":3,"changes":[{"address":"community.c.channel.general","kind":"channel","action":"update","platform":"platform.local.main","id":"9","before":{"name":"general","position":0,"private":false},"after":{"name":"general","position":2,"private":true,"topic":"Welcome"},"changed":["position","private","topic"]}],"summary":{"add":0,"change":1,"destroy":0}}`))
	f.Add([]byte(`{"format_version":"1.0","changes":[{"address":"community.c.role.mod","kind":"role","action":"replace","before":{"hoist":"true"},"after":{"hoist":"false","permissions":"kick_members"},"changed":["hoist"],"reason":"hoist cannot change in place"}],"summary":{"add":1,"destroy":1}}`))
	f.Add([]byte(`{"format_version":"1.1","refresh_only":true,"changes":[{"address":"a","kind":"pin","action":"delete","id":"1","before":{"channel":"5"}},{"address":"b","kind":"channel","action":"update","before":{"topic":"a\nb\nc"},"after":{"topic":"a\nB\nc"},"changed":["topic"]}],"summary":{"change":1,"destroy":1}}`))
	f.Add([]byte(`{"format_version":"1.1","changes":[{"address":"x","kind":"pin","action":"create","after":{"message":"hi"}},{"address":"y","action":"no-op","moved_from":"z","import_id":"7"}],"summary":{"add":1,"move":1,"import":1},"warnings":["full"],"member_impact":{"members":2,"moves":[{"kind":"tier","name":"gold","enter":1,"enter_sample":["ann"]}]}}`))
	f.Add([]byte(`{"format_version":"2.0"}`))
	f.Add([]byte(`{"format_version":"1.0","changes":[{"address":"a","after":{"x":[1]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Read(bytes.NewReader(data))
		if err != nil {
			if p != nil {
				t.Fatalf("Read returned a plan with its error %v", err)
			}
			return
		}
		for _, color := range []bool{false, true} {
			if err := p.WriteText(io.Discard, color); err != nil {
				t.Fatalf("WriteText: %v", err)
			}
		}
		var out bytes.Buffer
		if err := p.WriteJSON(&out); err != nil {
			t.Fatalf("a plan that was read cannot be written: %v", err)
		}
		first := out.String()
		q, err := plan.Read(&out)
		if err != nil {
			t.Fatalf("a written plan does not read back: %v\n%s", err, first)
		}
		if len(q.Changes) != len(p.Changes) {
			t.Fatalf("%d changes read back as %d", len(p.Changes), len(q.Changes))
		}
		for i, c := range p.Changes {
			if !sameAttrs(c.Before, q.Changes[i].Before) || !sameAttrs(c.After, q.Changes[i].After) {
				t.Fatalf("%s read back as %+v, want %+v", c.Address, q.Changes[i], c)
			}
		}
		var again bytes.Buffer
		if err := q.WriteJSON(&again); err != nil {
			t.Fatal(err)
		}
		if again.String() != first {
			t.Fatalf("written twice, the plan differs:\n%s\nthen\n%s", first, again.String())
		}
	})
}

// sameAttrs compares attribute sets, an empty one the same as none.
func sameAttrs(a, b map[string]string) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}
