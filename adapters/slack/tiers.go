package slack

import (
	"fmt"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// Slack limits each Web API method per app and workspace by tier: about
// 1 (tier 1), 20 (tier 2), 50 (tier 3) or 100 (tier 4) calls a minute,
// allowing short bursts; chat.postMessage allows about one message a
// second per conversation. hearth paces its own calls to stay inside
// those, so a plan over many channels slows down instead of collecting
// 429s; a 429 that comes anyway is still honoured (errors.go).
var tiers = map[string]int{
	"conversations.list": 2, "conversations.create": 2, "conversations.rename": 2, "conversations.setTopic": 2,
	"conversations.setPurpose": 2, "conversations.archive": 2, "users.list": 2, "pins.add": 2, "pins.remove": 2,
	"pins.list": 2, "usergroups.list": 2, "usergroups.create": 2, "usergroups.update": 2, "usergroups.disable": 2,
	"usergroups.enable": 2, "usergroups.users.list": 2, "usergroups.users.update": 2, "admin.users.remove": 2,
	"admin.conversations.convertToPrivate": 2, "admin.conversations.convertToPublic": 2,
	"conversations.info": 3, "conversations.history": 3, "conversations.kick": 3, "conversations.open": 3,
	"users.conversations": 3, "conversations.join": 3, "chat.update": 3, "chat.delete": 3, "team.info": 3,
	"users.info": 4, "auth.test": 4,
}

var perMinute = map[int]float64{1: 1, 2: 20, 3: 50, 4: 100}

// pacer is a token bucket per method and workspace (and per conversation
// for chat.postMessage), shared by the Conns of one Adapter.
type pacer struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// rate gives a method's calls per second and its burst.
func rate(method string) (float64, float64) {
	if method == "chat.postMessage" {
		return 1, 3
	}
	t, ok := tiers[method]
	if !ok {
		t = 3
	}
	n := perMinute[t]
	return n / 60, n
}

// reserve says how long to wait before calling method in bucket key. With
// take it books the call, so the caller must then wait that long and
// call; without, it books only a call that may go now.
func (p *pacer) reserve(key, method string, now time.Time, take bool) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	perSec, burst := rate(method)
	b := p.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		p.buckets[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*perSec)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	wait := time.Duration((1 - b.tokens) / perSec * float64(time.Second))
	if take {
		b.tokens--
	}
	return wait
}

// pace waits for a Read or Apply call's turn.
func (c *Conn) pace(ctxSleep func(time.Duration) error, method, key string) error {
	if d := c.a.pacer().reserve(c.team+"/"+key, method, c.now(), true); d > 0 {
		return ctxSleep(d)
	}
	return nil
}

// paced refuses a Perform call whose turn has not come, as a rate limit
// the outbox waits out, rather than holding the outbox's worker.
func (c *Conn) paced(method, key string) error {
	if d := c.a.pacer().reserve(c.team+"/"+key, method, c.now(), false); d > 0 {
		return &platform.RateLimitError{After: d, Err: fmt.Errorf("slack %s: paced by hearth to Slack's rate tier", method)}
	}
	return nil
}
