package discourse

import (
	"sync"
	"time"
)

// A username read for member.mention is kept this long, for at most
// this many users: a send mentioning the same members (an alert naming
// its responders, a campaign step posting for each joiner) reads each
// once, while a renamed user gets the new name within minutes.
const (
	usernamesFor = 10 * time.Minute
	usernamesMax = 10_000
)

// usernames caches user id -> username per forum for the Conns of one
// Adapter. The zero value is ready to use.
type usernames struct {
	mu    sync.Mutex
	m     map[userKey]usernameEntry
	swept time.Time // when expired entries were last dropped
}

type userKey struct {
	forum string // the API's base URL
	id    int
}

type usernameEntry struct {
	name string
	at   time.Time
}

// get is the username kept for a user, if it was read within
// usernamesFor of now.
func (u *usernames) get(forum string, id int, now time.Time) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.m[userKey{forum, id}]
	if !ok || now.Sub(e.at) >= usernamesFor || now.Before(e.at) {
		return "", false
	}
	return e.name, true
}

// put keeps a username read at now. Full, it drops the expired entries
// (at most once per usernamesFor, so a full cache of fresh names is not
// scanned on every put), then any one entry while it still is.
func (u *usernames) put(forum string, id int, name string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[userKey]usernameEntry{}
	}
	k := userKey{forum, id}
	if _, ok := u.m[k]; !ok && len(u.m) >= usernamesMax {
		if now.Sub(u.swept) >= usernamesFor {
			for k, e := range u.m {
				if now.Sub(e.at) >= usernamesFor {
					delete(u.m, k)
				}
			}
			u.swept = now
		}
		for k := range u.m {
			if len(u.m) < usernamesMax {
				break
			}
			delete(u.m, k)
		}
	}
	u.m[k] = usernameEntry{name, now}
}

// len is how many usernames are kept, for tests.
func (u *usernames) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.m)
}
