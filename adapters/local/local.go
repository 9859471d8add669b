package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/platform"
)

// DefaultPath is where the platform file goes, relative to the
// configuration directory.
const DefaultPath = ".hearth/local-platform.json"

// DefaultPageSize is the largest page Read returns unless the Adapter
// says otherwise. It is small on purpose, like Discord's and Slack's
// limits, so that plans against the local platform exercise paging.
const DefaultPageSize = 50

// Adapter is the local platform type. Its zero value is ready to use; the
// fields tune behaviour tests need to reach.
type Adapter struct {
	// PageSize is the largest page Read returns; 0 means DefaultPageSize.
	PageSize int
	// RateLimit, when its Count is above zero, refuses Apply and Perform
	// calls beyond Count per Window on one Conn with a
	// platform.RateLimitError, as a real platform answers 429.
	RateLimit durations.Rate
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PollInterval is how often a following Stream looks for events
	// written by other processes; 0 means 100ms. Events posted through
	// the same Conn are delivered at once.
	PollInterval time.Duration
	// Fault, when set, is called before each Apply and Perform changes
	// anything; an error it returns is the call's result. Tests use it to
	// fail an apply part way, as a real platform can.
	Fault func(ctx context.Context, call Call) error
}

// Call is the call Fault is asked about: one of the two is set.
type Call struct {
	Apply   *platform.ApplyRequest
	Perform *platform.PerformRequest
}

// New returns the local adapter with default behaviour.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "local".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// Open opens the platform file, creating an empty platform when there is
// none, and checks it: a damaged file is reported here, with what is
// wrong (ErrCorrupt), before anything else runs. Opened ReadOnly (for a
// plan) it creates nothing and changes nothing: a missing file reads as
// an empty platform, and changes fail with ErrReadOnly.
func (a *Adapter) Open(ctx context.Context, req platform.OpenRequest) (platform.Conn, error) {
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path, err := platform.SettingString(req.Settings, "path", DefaultPath)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: setting path is empty", platform.ErrInvalid)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(req.Dir, path)
	}
	name, err := platform.SettingString(req.Settings, "workspace", req.Name)
	if err != nil {
		return nil, err
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	ws := Workspace{ID: "ws-" + randomHex(4), Name: name, CreatedAt: now().UTC()}
	var st *store
	if req.ReadOnly {
		if st, err = openReadOnly(path, ws); err != nil {
			return nil, fmt.Errorf("opening the local platform: %w", err)
		}
		// Read it now, so a damaged file is reported here as it is
		// when opened to write.
		if err := st.view(ctx, func(*db) error { return nil }); err != nil {
			st.close()
			return nil, err
		}
	} else {
		if st, err = openStore(path); err != nil {
			return nil, fmt.Errorf("opening the local platform: %w", err)
		}
		created, err := st.create(ctx, ws)
		if err != nil {
			st.close()
			return nil, err
		}
		if created {
			log.Info("created an empty local platform", "path", path, "workspace", name)
		}
	}
	pageSize := a.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	poll := a.PollInterval
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	return &Conn{
		st: st, log: log, now: now, pageSize: pageSize, poll: poll,
		rate: a.RateLimit, fault: a.Fault, changed: make(chan struct{}),
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// Conn is an open local platform. It implements every capability and is
// safe for concurrent use: calls on one Conn are serialized, and Conns in
// any number of processes exclude each other with the file lock.
type Conn struct {
	mu       sync.Mutex
	st       *store
	closed   bool
	log      *slog.Logger
	now      func() time.Time
	pageSize int
	poll     time.Duration
	fault    func(context.Context, Call) error

	rate  durations.Rate
	calls []time.Time // times of recent calls, for rate

	// changed is closed and replaced after every write through this
	// Conn, waking its following Streams.
	changed chan struct{}
}

var (
	_ platform.Reader    = (*Conn)(nil)
	_ platform.Applier   = (*Conn)(nil)
	_ platform.Importer  = (*Conn)(nil)
	_ platform.Performer = (*Conn)(nil)
	_ platform.Streamer  = (*Conn)(nil)
)

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("local platform connection is closed")

// Path is the platform file.
func (c *Conn) Path() string { return c.st.path }

// Close releases the file lock.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.st.close()
}

// view and update run fn with the Conn's mutex and the file lock held.
func (c *Conn) view(ctx context.Context, fn func(*db) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return platform.Permanent(ErrClosed)
	}
	return c.st.view(ctx, fn)
}

func (c *Conn) update(ctx context.Context, fn func(*db) (bool, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return platform.Permanent(ErrClosed)
	}
	wrote := false
	err := c.st.update(ctx, func(d *db) (bool, error) {
		ch, err := fn(d)
		wrote = ch && err == nil
		return ch, err
	})
	if wrote && err == nil {
		close(c.changed)
		c.changed = make(chan struct{})
	}
	return err
}

// admit applies the rate limit and the fault hook before a change.
func (c *Conn) admit(ctx context.Context, call Call) error {
	if c.rate.Count > 0 {
		c.mu.Lock()
		now := c.now()
		keep := c.calls[:0]
		for _, t := range c.calls {
			if now.Sub(t) < c.rate.Window {
				keep = append(keep, t)
			}
		}
		c.calls = keep
		if len(c.calls) >= c.rate.Count {
			wait := c.calls[0].Add(c.rate.Window).Sub(now)
			c.mu.Unlock()
			return &platform.RateLimitError{After: wait, Err: fmt.Errorf("more than %s calls", c.rate)}
		}
		c.calls = append(c.calls, now)
		c.mu.Unlock()
	}
	if c.fault != nil {
		if err := c.fault(ctx, call); err != nil {
			return err
		}
	}
	return nil
}

// Snapshot returns the whole platform as the file holds it now: a copy
// the caller owns, for tests and for showing the platform (a future
// `hearth local` command).
func (c *Conn) Snapshot(ctx context.Context) (*File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, platform.Permanent(ErrClosed)
	}
	return c.st.readFile(ctx)
}
