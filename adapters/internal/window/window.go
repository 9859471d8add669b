// Package window is a sliding-window rate limiter for platforms that
// publish a fixed quota ("20 messages a minute per robot") and punish
// going over it: the adapter checks the quota before it sends, so a burst
// of campaign messages waits in the outbox instead of getting the robot
// throttled for minutes.
package window

import (
	"sync"
	"time"
)

// Limiter allows at most N events in any Per long window.
type Limiter struct {
	N   int
	Per time.Duration

	mu   sync.Mutex
	sent []time.Time // times of allowed events inside the window, oldest first
}

// Take records one event at now if the window has room and returns 0;
// otherwise it records nothing and returns how long until a slot frees.
func (l *Limiter) Take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.N <= 0 {
		return 0
	}
	cut := 0
	for cut < len(l.sent) && now.Sub(l.sent[cut]) >= l.Per {
		cut++
	}
	l.sent = l.sent[cut:]
	if len(l.sent) >= l.N {
		return l.sent[0].Add(l.Per).Sub(now)
	}
	l.sent = append(l.sent, now)
	return 0
}

// Give back the slot of an event that was not sent after all (the
// request never left), so it does not count against the quota.
func (l *Limiter) Give(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.sent) - 1; i >= 0; i-- {
		if l.sent[i].Equal(at) {
			l.sent = append(l.sent[:i], l.sent[i+1:]...)
			return
		}
	}
}
