package daemon_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
)

// hostileBodies are malformed or hostile request bodies, each of which
// must be refused with a 4xx and change nothing.
func hostileBodies(rng *rand.Rand) []string {
	valid := `{"id":"h%d","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}`
	return []string{
		"",
		"null",
		"[]",
		"{}",
		"\xff\xfe\xfd",
		`{"id":"x","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
		`{"id":"x","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"a":` + strings.Repeat(`{"a":`, 50) + `1` + strings.Repeat("}", 50) + `}}`,
		`{"id":12,"type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}`,
		`{"id":"x","type":["message.posted"],"member":"m1","at":"2026-01-01T10:00:00Z"}`,
		`{"id":"x","type":"message.posted","member":"m1","at":1767261600}`,
		`{"id":"x","type":"message.posted","member":"m1","at":"0001-01-01T00:00:00Z"}`,
		`{"id":"x","type":"message.posted","member":"","at":"2026-01-01T10:00:00Z"}`,
		`{"id":"` + strings.Repeat("x", 300) + `","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}`,
		`{"id":"x","type":"DROP TABLE members","member":"m1","at":"2026-01-01T10:00:00Z"}`,
		`{"id":"x","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","admin":true}`,
		fmt.Sprintf(valid, rng.IntN(1e9)) + "\n" + `{"id":"y"}`, // one good, one bad: all refused
		strings.Repeat(fmt.Sprintf(valid, 1)+"\n", daemon.MaxEventsPerRequest+1),
		`{"id":"x","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z","attrs":{"` + strings.Repeat("k", 100) + `":1}}`,
		`{"id":"x","type":"message.posted","member":"m1","at":"2026-01-01T10:00:00Z"}{"id":"y"}`,
		string(bytes.Repeat([]byte{0}, 1000)),
	}
}

func TestTenThousandHostileRequests(t *testing.T) {
	f := start(t, rulesA, "s3cret")
	if code, _ := post(t, f, "/v1/events", events(0, 5), "s3cret"); code != http.StatusAccepted {
		t.Fatalf("baseline post: %d", code)
	}
	before := points(t, f)
	rng := rand.New(rand.NewPCG(9, 9))
	bodies := hostileBodies(rng)
	for i := range 10000 {
		body := bodies[i%len(bodies)]
		token := "s3cret"
		switch i % 7 {
		case 0:
			token = "" // missing auth, even for a valid event
			body = events(1000+i, 1)
		case 1:
			token = "s3creT" // almost right
			body = events(1000+i, 1)
		case 2:
			// a random mutation of a valid event
			b := []byte(events(1000+i, 1))
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				b = b[:rng.IntN(len(b))]
			}
			body = string(b)
		}
		code, _ := post(t, f, "/v1/events", body, token)
		if i%7 == 2 && code == http.StatusAccepted {
			continue // a mutation can still be a valid event
		}
		if code < 400 || code > 499 {
			t.Fatalf("request %d got %d; want 4xx for %.80q", i, code, body)
		}
	}
	// Mutated but valid events may have been applied; nothing else was.
	after := points(t, f)
	if after < before {
		t.Fatalf("points went down: %d -> %d", before, after)
	}
	var valid int
	for i := range 10000 {
		if i%7 == 2 {
			valid++
		}
	}
	if after-before > valid {
		t.Errorf("hostile requests applied %d points", after-before)
	}
}

// FuzzPostEvents sends arbitrary bodies: never a 5xx, never a panic.
func FuzzPostEvents(f *testing.F) {
	for _, b := range hostileBodies(rand.New(rand.NewPCG(1, 1)))[:12] {
		f.Add([]byte(b))
	}
	f.Add([]byte(events(0, 3)))
	fx := start(f, rulesA, "")
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := http.Post(fx.srv.URL+"/v1/events", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
	})
}
