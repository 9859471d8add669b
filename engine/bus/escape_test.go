package bus

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-community/hearth/engine/events"
)

// An event the door accepts reaches the sink whatever its text: the bus
// must not store it in a longer form than events.Parse takes back, as
// JSON's HTML escapes would make of "<" ("\u003c", six bytes for one).
func TestLargeEventWithEscapesIsApplied(t *testing.T) {
	text := strings.Repeat("<a>&", events.MaxStringLen/4-1)
	line := `{"id":"big","type":"message.posted","member":"m1","at":"2026-03-01T00:00:00Z","attrs":{"n":0,` +
		`"a":"` + text + `","b":"` + text + `","c":"` + text + `"}}`
	ev, err := events.Parse([]byte(line))
	if err != nil {
		t.Fatalf("the door refuses the event: %v", err)
	}
	stream := freshStream(t)
	rec := newRecorder()
	b := openBus(t, stream, "a", 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx, rec, rec) })
	defer func() { cancel(); wg.Wait() }()
	publish(t, b, []events.Event{ev})
	waitFor(t, "the event applied", func() bool { return rec.count() == 1 })
}
