package simulate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/stamp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// schemaPaths lists the field paths of t's JSON with their kind: a
// map's keys are *, a list's items [], and a type met again above names
// the path it was first listed at.
func schemaPaths(t reflect.Type) []string {
	var out []string
	seen := map[reflect.Type]string{}
	stampType := reflect.TypeFor[stamp.Time]()
	var walk func(prefix string, t reflect.Type)
	// fields walks a struct's fields; an embedded struct without a name
	// of its own has its fields in its place, as encoding/json has them.
	var fields func(prefix string, t reflect.Type)
	fields = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
				fields(prefix, f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			walk(prefix+"."+name, f.Type)
		}
	}
	walk = func(prefix string, t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t == stampType:
			out = append(out, prefix+" time")
			return
		case t.Kind() == reflect.Struct:
			if first, ok := seen[t]; ok {
				out = append(out, prefix+" object, as "+first)
				return
			}
			seen[t] = prefix
			fields(prefix, t)
		case t.Kind() == reflect.Map:
			walk(prefix+".*", t.Elem())
		case t.Kind() == reflect.Slice:
			walk(prefix+"[]", t.Elem())
		case t.Kind() == reflect.String:
			out = append(out, prefix+" string")
		case t.Kind() == reflect.Bool:
			out = append(out, prefix+" bool")
		default:
			out = append(out, prefix+" number")
		}
	}
	walk("", t)
	sort.Strings(out)
	return out
}

// The summary's JSON (hearth.simulate/v1) is listed, field by field, in
// testdata/simulate.schema.txt: a field renamed or removed shows in the
// diff, and would need a new version. The summaries of the examples, a
// window with a warm-up among them, have no field the list lacks.
func TestSummarySchema(t *testing.T) {
	paths := schemaPaths(reflect.TypeFor[simulate.Summary]())
	got := []byte(strings.Join(paths, "\n") + "\n")
	golden := filepath.Join("testdata", "simulate.schema.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the summary's fields differ from %s (go test -update rewrites it):\n--- got\n%s", golden, got)
	}
	known, alias := map[string]bool{}, map[string]string{}
	for _, p := range paths {
		name, kind, _ := strings.Cut(p, " ")
		known[name] = true
		if target, ok := strings.CutPrefix(kind, "object, as "); ok {
			alias[name] = target
		}
	}
	for _, x := range []struct {
		dir  string
		from time.Time
	}{
		{"quickstart", time.Time{}},
		{"quickstart", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		{"moderated-community", time.Time{}},
		{"email-campaign", time.Time{}},
	} {
		dir := filepath.Join("../../examples", x.dir)
		cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()}})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		f, err := os.Open(filepath.Join(dir, "events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := simulate.Run(context.Background(), cfg, f, simulate.Options{From: x.from})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sum)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if s := doc.(map[string]any)["schema"]; s != simulate.Schema {
			t.Errorf("%s: schema = %v", x.dir, s)
		}
		for _, p := range jsonPaths(nil, doc) {
			if !matches(p, "", known, alias) {
				t.Errorf("%s: %s is in the JSON, not in %s", x.dir, strings.Join(p, " "), golden)
			}
		}
	}
}

// matches says whether the path segs, below the schema path prefix, is
// in the schema: a segment is a field's name or a map's key (*), and a
// path the schema gives "as" another goes on below that one.
func matches(segs []string, prefix string, known map[string]bool, alias map[string]string) bool {
	if len(segs) == 0 {
		return known[prefix]
	}
	name := strings.TrimRight(segs[0], "[]")
	lists := segs[0][len(name):]
	for _, c := range []string{prefix + "." + segs[0], prefix + ".*" + lists} {
		next := c
		if target, ok := alias[c]; ok {
			next = target
		}
		if known[next] && len(segs) == 1 || matches(segs[1:], next, known, alias) && len(segs) > 1 {
			return true
		}
	}
	return false
}

// jsonPaths lists the leaf paths of a decoded JSON document, each a
// list of segments: a key (which may hold dots: send.dm), with [] for
// each list it is in.
func jsonPaths(prefix []string, v any) [][]string {
	switch x := v.(type) {
	case map[string]any:
		var out [][]string
		for k, e := range x {
			out = append(out, jsonPaths(append(slices.Clone(prefix), k), e)...)
		}
		return out
	case []any:
		var out [][]string
		for _, e := range x {
			p := slices.Clone(prefix)
			p[len(p)-1] += "[]"
			out = append(out, jsonPaths(p, e)...)
		}
		return out
	}
	return [][]string{prefix}
}
