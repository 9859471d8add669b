package simulate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/stamp"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// An event is out of order when it is dated before the latest event
// above it, not merely before the one just above; one of the same time
// is in order, and the first is reported against the latest before it.
func TestOrderCheck(t *testing.T) {
	for _, c := range []struct {
		name  string
		times []string
		want  *simulate.OutOfOrder
	}{
		{"in order", []string{"2026-10-01T10:00:00Z", "2026-10-02T10:00:00Z"}, nil},
		{"same time", []string{"2026-10-01T10:00:00Z", "2026-10-01T10:00:00Z"}, nil},
		{"empty", nil, nil},
		{"one late", []string{"2026-10-01T10:00:00Z", "2026-10-05T10:00:00Z", "2026-10-02T10:00:00Z", "2026-10-06T10:00:00Z"},
			&simulate.OutOfOrder{Count: 1, Line: 3, At: stamp.Of(at("2026-10-02T10:00:00Z")), LatestLine: 2, Latest: stamp.Of(at("2026-10-05T10:00:00Z"))}},
		// The fourth is after the third but before the second: late too.
		{"after a late one", []string{"2026-10-01T10:00:00Z", "2026-10-05T10:00:00Z", "2026-10-02T10:00:00Z", "2026-10-03T10:00:00Z", "2026-10-07T10:00:00Z", "2026-10-06T10:00:00Z"},
			&simulate.OutOfOrder{Count: 3, Line: 3, At: stamp.Of(at("2026-10-02T10:00:00Z")), LatestLine: 2, Latest: stamp.Of(at("2026-10-05T10:00:00Z"))}},
		// Offsets are compared as instants.
		{"offsets", []string{"2026-10-01T12:00:00+02:00", "2026-10-01T10:30:00Z", "2026-10-01T11:00:00+02:00"},
			&simulate.OutOfOrder{Count: 1, Line: 3, At: stamp.Of(at("2026-10-01T11:00:00+02:00")), LatestLine: 2, Latest: stamp.Of(at("2026-10-01T10:30:00Z"))}},
	} {
		var check simulate.OrderCheck
		for i, s := range c.times {
			check.See(i+1, at(s))
		}
		if got := check.Report(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v; want %+v", c.name, got, c.want)
		}
	}
}

// Sort holds the file, gives the lines that are not events first, with
// their lines in the file, then the events by time, those of one time in
// file order, each with its line and text; and reports the file's order.
func TestSort(t *testing.T) {
	file := `{"id":"b","type":"member.joined","member":"u1","at":"2026-10-05T10:00:00Z"}
{"id":"a1","type":"member.joined","member":"u2","at":"2026-10-01T10:00:00Z"}

{"id":
{"id":"c","type":"message.posted","member":"u1","at":"2026-10-06T10:00:00Z"}
{"id":"a2","type":"message.posted","member":"u2","at":"2026-10-01T10:00:00Z"}
{"type":"message.posted","member":"u2","at":"2026-10-01T10:00:00Z"}
`
	var progress []int
	s, err := simulate.Sort(strings.NewReader(file), func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var bad *events.Error
		if errors.As(err, &bad) {
			got = append(got, fmt.Sprintf("bad %d=%d", bad.Line, s.Line()))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s@%d %v", ev.ID, s.Line(), strings.Contains(string(s.Raw()), `"id":"`+ev.ID+`"`)))
	}
	want := []string{"bad 4=4", "bad 7=7", "a1@2 true", "a2@6 true", "b@1 true", "c@5 true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted:\n%v\nwant:\n%v", got, want)
	}
	if s.Lines() != 7 {
		t.Errorf("%d lines; want 7", s.Lines())
	}
	wantOrder := &simulate.OutOfOrder{Count: 2, Line: 2, At: stamp.Of(at("2026-10-01T10:00:00Z")), LatestLine: 1, Latest: stamp.Of(at("2026-10-05T10:00:00Z")), Sorted: true}
	if o := s.OutOfOrder(); !reflect.DeepEqual(o, wantOrder) {
		t.Errorf("order %+v; want %+v", o, wantOrder)
	}
	if fmt.Sprint(progress) != "[7]" {
		t.Errorf("progress %v for 7 lines; want [7], once at the end", progress)
	}
	progress = nil
	// Progress comes every 10,000 lines read, and with the whole file
	// at the end.
	var many strings.Builder
	for i := range 20005 {
		fmt.Fprintf(&many, `{"id":"e%d","type":"member.joined","member":"u","at":"2026-10-01T10:00:00Z"}`+"\n", i)
	}
	if _, err := simulate.Sort(strings.NewReader(many.String()), func(n int) { progress = append(progress, n) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(progress) != "[10000 20000 20005]" {
		t.Errorf("progress %v; want [10000 20000 20005]", progress)
	}
}

// orderConfig is a campaign whose goal a post reaches before its nudge.
const orderConfig = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "nudge" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`

// joinsFirst lists the joins before the posts: replayed so, bob's join
// on the 5th takes the replay past ann's nudge on the 4th before her post
// of the 2nd comes.
const joinsFirst = `{"id":"j1","type":"member.joined","member":"ann","at":"2026-10-01T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-10-05T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-10-02T10:00:00Z"}
{"id":"p2","type":"message.posted","member":"bob","at":"2026-10-06T10:00:00Z"}
`

const byTime = `{"id":"j1","type":"member.joined","member":"ann","at":"2026-10-01T10:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-10-02T10:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-10-05T10:00:00Z"}
{"id":"p2","type":"message.posted","member":"bob","at":"2026-10-06T10:00:00Z"}
`

func loadConfigText(t *testing.T, text string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(dir, config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// A file out of time order is replayed as it comes, which changes the
// result, and the summary says so; with Sort it is replayed as the same
// events in time order are, and the summary says how the file was.
func TestRunOutOfOrder(t *testing.T) {
	cfg := loadConfigText(t, orderConfig)
	run := func(stream string, opt simulate.Options) *simulate.Summary {
		t.Helper()
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), opt)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	funnel := func(sum *simulate.Summary) string {
		f := sum.Campaigns["welcome"]
		return fmt.Sprintf("goal %d finished %d sends %d", f.Goal, f.Finished, f.Sends)
	}
	asIs, sorted, inOrder := run(joinsFirst, simulate.Options{}), run(joinsFirst, simulate.Options{Sort: true}), run(byTime, simulate.Options{})
	if got := funnel(asIs); got != "goal 1 finished 1 sends 1" {
		t.Errorf("as the file comes: %s", got)
	}
	if got, want := funnel(sorted), funnel(inOrder); got != want || want != "goal 2 finished 0 sends 0" {
		t.Errorf("sorted: %s; in time order: %s; want goal 2 finished 0 sends 0", got, want)
	}
	wantOrder := simulate.OutOfOrder{Count: 1, Line: 3, At: stamp.Of(at("2026-10-02T10:00:00Z")), LatestLine: 2, Latest: stamp.Of(at("2026-10-05T10:00:00Z"))}
	if asIs.OutOfOrder == nil || *asIs.OutOfOrder != wantOrder {
		t.Errorf("out of order: %+v; want %+v", asIs.OutOfOrder, wantOrder)
	}
	wantOrder.Sorted = true
	if sorted.OutOfOrder == nil || *sorted.OutOfOrder != wantOrder {
		t.Errorf("sorted, out of order: %+v; want %+v", sorted.OutOfOrder, wantOrder)
	}
	if inOrder.OutOfOrder != nil || run(byTime, simulate.Options{Sort: true}).OutOfOrder != nil {
		t.Errorf("a file in time order is reported out of order: %+v", inOrder.OutOfOrder)
	}
}

// Rejected lines are listed in the summary, placed in the file (sorted
// or not), the first MaxRejectedLines of them, and all are counted.
func TestRunListsRejectedLines(t *testing.T) {
	cfg := loadConfigText(t, orderConfig)
	var b strings.Builder
	b.WriteString(`{"id":"j1","type":"member.joined","member":"ann","at":"2026-10-02T10:00:00Z"}` + "\n")
	b.WriteString(`{"id":` + "\n")
	for range simulate.MaxRejectedLines + 5 {
		b.WriteString(`{"type":"member.joined","member":"ann","at":"2026-10-01T10:00:00Z"}` + "\n")
	}
	for _, sort := range []bool{false, true} {
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(b.String()), simulate.Options{Sort: sort, BadEvent: func(*events.Error) {}})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rejected != simulate.MaxRejectedLines+6 || len(sum.RejectedLines) != simulate.MaxRejectedLines {
			t.Fatalf("sort %v: %d rejected, %d listed", sort, sum.Rejected, len(sum.RejectedLines))
		}
		first, second := sum.RejectedLines[0], sum.RejectedLines[1]
		if first.Line != 2 || first.Column != 7 || !strings.HasPrefix(first.Error, "invalid event: malformed JSON: ") {
			t.Errorf("sort %v: first rejected %+v", sort, first)
		}
		if second.Line != 3 || second.Column != 0 || !strings.HasPrefix(second.Error, "invalid event: missing id") {
			t.Errorf("sort %v: second rejected %+v", sort, second)
		}
	}
}
