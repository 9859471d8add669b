// Package lograte keeps a log line that could repeat without bound (a
// request refused for its token, a delivery failing through an outage)
// to one per interval and key, and counts the lines held back so the
// next one written can say how many there were.
package lograte

import (
	"sync"
	"time"
)

// maxKeys bounds the keys remembered: keys come from outside (platform
// names of stored entries), and a limiter must not grow with them.
const maxKeys = 1000

// Limiter lets one line per key through every interval. Its zero value
// is not usable; New makes one. It is safe for concurrent use.
type Limiter struct {
	every time.Duration
	mu    sync.Mutex
	keys  map[string]*slot
}

type slot struct {
	last time.Time
	held int
}

// New returns a limiter that lets a key's line through at most once
// every interval.
func New(every time.Duration) *Limiter {
	return &Limiter{every: every, keys: map[string]*slot{}}
}

// Allow says whether the line for key may be written at now. When it
// may, held is how many lines for key were held back since the last one
// written, for the line to report.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.keys[key]
	if s == nil {
		if len(l.keys) >= maxKeys {
			l.forget(now)
		}
		s = &slot{}
		l.keys[key] = s
	} else if now.Sub(s.last) < l.every {
		s.held++
		return false, 0
	}
	held, s.held, s.last = s.held, 0, now
	return true, held
}

// Flush is Allow for a line that only reports the lines held back, such
// as a summary once what they were about is over: it passes when key's
// interval is over, then returning how many were held since the last
// line written and counting from now; held back itself, it counts
// nothing. ok is false while the interval lasts.
func (l *Limiter) Flush(key string, now time.Time) (held int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.keys[key]
	if s == nil {
		return 0, true
	}
	if now.Sub(s.last) < l.every {
		return 0, false
	}
	held, s.held, s.last = s.held, 0, now
	return held, true
}

// Forget ends what is remembered of key and returns how many of its
// lines were held back: once what the lines were about is over (a
// failure recovered), its next line is a new story and comes through at
// once.
func (l *Limiter) Forget(key string) (held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.keys[key]; s != nil {
		held = s.held
		delete(l.keys, key)
	}
	return held
}

// forget drops the keys whose interval is over and that hold nothing
// back, or all of them if that frees no room: at worst a line comes
// through early, and the count of a few held back is lost.
func (l *Limiter) forget(now time.Time) {
	for k, s := range l.keys {
		if s.held == 0 && now.Sub(s.last) >= l.every {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= maxKeys {
		clear(l.keys)
	}
}
