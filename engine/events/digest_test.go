package events

import (
	"testing"
	"time"
)

func mustParse(t testing.TB, line string) Event {
	t.Helper()
	ev, err := Parse([]byte(line))
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return ev
}

func TestDigestSameContent(t *testing.T) {
	base := `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"length":12,"score":1.5,"tags":["a",2],"x":{"b":1,"a":2}}}`
	same := map[string]string{
		"keys in another order":        `{"attrs":{"x":{"a":2,"b":1},"tags":["a",2],"score":1.5,"length":12},"at":"2026-11-22T10:00:00Z","member":"u1","type":"message.posted","id":"e1"}`,
		"numbers written otherwise":    `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"length":12.0,"score":15e-1,"tags":["a",2e0],"x":{"b":1.00,"a":20E-1}}}`,
		"another time zone":            `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T18:00:00+08:00","attrs":{"length":12,"score":1.5,"tags":["a",2],"x":{"b":1,"a":2}}}`,
		"the member told more fully":   `{"id":"e1","type":"message.posted","member":{"id":"u1","name":"Ann","identities":{"discord":"9"}},"at":"2026-11-22T10:00:00Z","attrs":{"length":12,"score":1.5,"tags":["a",2],"x":{"b":1,"a":2}}}`,
		"another id and source":        `{"id":"e2","source":"replay","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"length":12,"score":1.5,"tags":["a",2],"x":{"b":1,"a":2}}}`,
		"an escape for a plain letter": `{"id":"e1","type":"message.posted","member":"u\u0031","at":"2026-11-22T10:00:00Z","attrs":{"length":12,"score":1.5,"tags":["\u0061",2],"x":{"b":1,"a":2}}}`,
	}
	ev := mustParse(t, base)
	want := Digest(&ev)
	if want == 0 {
		t.Fatal("Digest = 0, which means unknown")
	}
	for name, line := range same {
		ev := mustParse(t, line)
		if got := Digest(&ev); got != want {
			t.Errorf("%s: Digest = %x; want %x, as for %s", name, got, want, base)
		}
	}
	// No attrs and {} say the same.
	a := mustParse(t, `{"id":"e1","type":"a.b","member":"u1","at":"2026-11-22T10:00:00Z"}`)
	b := mustParse(t, `{"id":"e1","type":"a.b","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{}}`)
	if Digest(&a) != Digest(&b) {
		t.Error("an event without attrs and one with attrs {} have different digests")
	}
}

func TestDigestDifferentContent(t *testing.T) {
	base := `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x","l":[1,2]}}`
	other := map[string]string{
		"type":           `{"id":"e1","type":"message.edited","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x","l":[1,2]}}`,
		"member":         `{"id":"e1","type":"message.posted","member":"u2","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x","l":[1,2]}}`,
		"time":           `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00.000000001Z","community":"c","attrs":{"n":1,"s":"x","l":[1,2]}}`,
		"community":      `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"d","attrs":{"n":1,"s":"x","l":[1,2]}}`,
		"no community":   `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"n":1,"s":"x","l":[1,2]}}`,
		"a number":       `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1.5,"s":"x","l":[1,2]}}`,
		"number as text": `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":"1","s":"x","l":[1,2]}}`,
		"list order":     `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x","l":[2,1]}}`,
		"an attr more":   `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x","l":[1,2],"m":null}}`,
		"an attr less":   `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x"}}`,
		"text":           `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00Z","community":"c","attrs":{"n":1,"s":"x\"","l":[1,2]}}`,
		// Field boundaries cannot move: "u1" + "c" is not "u" + "1c".
		"boundary": `{"id":"e1","type":"message.posted","member":"u","at":"2026-11-22T10:00:00Z","community":"1c","attrs":{"n":1,"s":"x","l":[1,2]}}`,
	}
	ev := mustParse(t, base)
	want := Digest(&ev)
	for name, line := range other {
		ev := mustParse(t, line)
		if got := Digest(&ev); got == want {
			t.Errorf("%s changed, but the digest is the same (%x)", name, got)
		}
	}
}

// The digest is stored beside event ids: it must not change between
// versions, or every event sent again after an upgrade would be warned
// about.
func TestDigestStable(t *testing.T) {
	ev := mustParse(t, `{"id":"e1","type":"message.posted","member":"u1","at":"2026-11-22T10:00:00.5Z","community":"c","attrs":{"n":1,"f":0.25,"s":"a\"b\n","l":[true,null,{"k":"v"}]}}`)
	var d Digester
	form := string(d.canonical(nil, &ev))
	wantForm := `{"type":"message.posted","member":"u1","at":1795341600500000000,"community":"c","attrs":{"f":0.25,"l":[true,null,{"k":"v"}],"n":1,"s":"a\"b\u000a"}}`
	if form != wantForm {
		t.Errorf("canonical form\n got %s\nwant %s", form, wantForm)
	}
	if got, want := Digest(&ev), uint64(0); got == want {
		t.Fatal("zero digest")
	}
	const pinned = 0x53b300ccf1ace5ff
	if got := Digest(&ev); got != pinned {
		t.Errorf("Digest = %#x; want %#x (the digest of an event must never change: stores keep it)", got, uint64(pinned))
	}
}

func TestDigestGoValues(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fromJSON := mustParse(t, `{"id":"e1","type":"a.b","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"n":3,"f":2.5,"l":["x","y"],"big":18446744073709551615}}`)
	built := Event{ID: "e1", Type: "a.b", Member: Member{ID: "u1"}, At: at,
		Attrs: map[string]any{"n": int64(3), "f": float32(2.5), "l": []string{"x", "y"}, "big": uint64(1<<64 - 1)}}
	if Digest(&fromJSON) != Digest(&built) {
		var d Digester
		t.Errorf("an event built in Go with other number and list types has another digest:\n%s\n%s",
			d.canonical(nil, &fromJSON), d.canonical(nil, &built))
	}
	before := Event{ID: "e1", Type: "a.b", Member: Member{ID: "u1"}, At: time.Unix(-1, -5e8)}
	var d Digester
	if got := string(d.canonical(nil, &before)); got != `{"type":"a.b","member":"u1","at":-1500000000,"community":"","attrs":{}}` {
		t.Errorf("a time before 1970: %s", got)
	}
}

func FuzzDigest(f *testing.F) {
	f.Add(`{"id":"e1","type":"a.b","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"b":1,"a":[1.0,"x"]}}`)
	f.Add(`{"id":"e1","type":"a.b","member":"u1","at":"2026-11-22T10:00:00Z","attrs":{"a":{"c":{"d":2e3}}}}`)
	f.Fuzz(func(t *testing.T, line string) {
		ev, err := Parse([]byte(line))
		if err != nil {
			return
		}
		d := Digest(&ev)
		if d == 0 {
			t.Fatal("zero digest")
		}
		// The event as hearth forwards it (the bus, the events file)
		// has the same digest: what it says did not change.
		data, err := Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseStored(data)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if got := Digest(&back); got != d {
			var dg Digester
			t.Fatalf("digest changed through Marshal and ParseStored:\n%s\n%s", dg.canonical(nil, &ev), dg.canonical(nil, &back))
		}
	})
}
