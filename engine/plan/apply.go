package plan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/state"
)

// ErrStale is returned by Apply for a plan made from another
// configuration or an older state.
var ErrStale = errors.New("stale plan: run hearth plan again")

// ErrInterrupted is returned by Apply when its context was cancelled
// (Ctrl-C): the change in hand was finished and recorded, the rest were
// not attempted.
var ErrInterrupted = errors.New("interrupted")

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Config is the configuration loaded now. A plan made from another,
	// or from this one before a file or a variable's value changed
	// (sensitive or not), is stale; the plan's Source tells a plan made
	// for another configuration apart from a changed one.
	Config *config.Config
	// Who is recorded with the lock, for the message another apply gets.
	Who string
	// Progress receives one line per change; nil discards.
	Progress io.Writer
	// Events, when set, is told of each change as it starts, waits out
	// a rate limit and ends, for machine-readable progress (hearth
	// apply -json). It is called on Apply's goroutine.
	Events func(ApplyEvent)
	// MaxRetries bounds the retries of a rate-limited change; 0 means 5.
	MaxRetries int
	// Sleep waits out a rate limit; nil waits on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for the lock; nil means time.Now.
	Now func() time.Time
	// HeldLock is the id of a lock the caller took with Lock (to plan
	// and apply under one lock); Apply then neither takes nor releases
	// it. Empty makes Apply take the lock itself, waiting up to
	// LockWait.
	HeldLock string
	LockWait time.Duration
	// LockHolder is LockOptions.Holder for the lock Apply takes.
	LockHolder func(state.LockInfo) state.HolderStatus
}

// ApplyPhase is where a change is when an ApplyEvent reports it.
type ApplyPhase string

const (
	PhaseStart    ApplyPhase = "start"
	PhaseRetry    ApplyPhase = "retry" // rate limited, to be retried after RetryIn
	PhaseComplete ApplyPhase = "complete"
	PhaseErrored  ApplyPhase = "errored"
)

// ApplyEvent is one step of one change, for ApplyOptions.Events.
type ApplyEvent struct {
	Phase    ApplyPhase
	Address  string
	Kind     platform.Kind
	Platform string
	// Action is the change's: create, update, delete, replace or
	// forget; or
	// move and import for the state changes of moved and import blocks,
	// which Apply makes before the others.
	Action string
	// ID is the object's platform id once known: the one made, updated,
	// imported or (for a delete) destroyed.
	ID string
	// PreviousID is the id of the object a replace destroyed, also when
	// it then failed to create the new one.
	PreviousID string
	MovedFrom  string
	// Elapsed is the time since the change started (complete, errored).
	Elapsed time.Duration
	// RetryIn is how long a rate-limited call waits (retry).
	RetryIn time.Duration
	// Err is why the change failed (errored).
	Err error
	// Message is the progress line's text for this step, as Progress
	// has it: "community.c: Creating...", "community.c: Created (id co-1)".
	Message string
}

// Result counts what Apply did. When a change fails, Apply stops there:
// Failed is its address and NotAttempted counts the changes after it.
// When interrupted, Failed is empty and NotAttempted counts the changes
// it did not start.
type Result struct {
	Added, Changed, Destroyed int
	// Moved and Imported count moved and import blocks carried out.
	Moved, Imported int
	// Forgotten counts objects taken out of state and left on their
	// platform (ForgetAction).
	Forgotten int
	// Adopted counts objects the platform already had that creates took
	// (AdoptAction).
	Adopted      int
	Failed       string
	NotAttempted int
}

// checkConfig refuses a plan made from another configuration than cfg,
// or from cfg before it changed.
func checkConfig(p *Plan, cfg *config.Config) error {
	if cfg == nil {
		return errors.New("no configuration to check the plan against")
	}
	// Before 1.3, config_hash is the hash with the sensitive values in
	// it: such a plan still applies, checked against that hash, which
	// it already carries.
	legacy := formatBefore(p.FormatVersion, 3)
	want := cfg.Fingerprint
	if legacy {
		want = cfg.Hash
	}
	if p.ConfigHash != want {
		if e := mismatch(p.Source, SourceOf(cfg)); e != nil {
			return e
		}
		return fmt.Errorf("%w (the configuration changed since the plan was made)", ErrStale)
	}
	if legacy {
		return nil
	}
	err := checkSensitive(p.SensitiveCheck, cfg)
	if errors.Is(err, errSensitiveChanged) {
		e := &ConfigMismatchError{Sensitive: true, Dir: SourceOf(cfg).Dir}
		if p.Source != nil {
			e.PlanDir = p.Source.Dir
		}
		return e
	}
	return err
}

// formatBefore reports whether a 1.x format version is older than
// 1.minor. A minor number that is not one is taken as new: its plan is
// then checked as this hearth makes them, and refused if it was not
// made so.
func formatBefore(version string, minor int) bool {
	_, m, _ := strings.Cut(version, ".")
	n, err := strconv.Atoi(m)
	return err == nil && n < minor
}

// Apply carries out a plan's changes one by one, in the plan's order,
// holding the state lock. Each result is recorded in state as soon as
// the platform confirms it, so when a change fails, the changes before
// it are in state and a new plan shows only what is left.
func Apply(ctx context.Context, p *Plan, st Store, conns Conns, opts ApplyOptions) (Result, error) {
	var res Result
	if major, _, _ := strings.Cut(p.FormatVersion, "."); major != "1" {
		return res, fmt.Errorf("the plan has format version %q; this hearth reads 1.x", p.FormatVersion)
	}
	if p.RefreshOnly {
		return res, fmt.Errorf("this is a drift report (-refresh-only), which changes nothing; run hearth plan for the changes to make")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.HeldLock == "" {
		id, err := Lock(ctx, st, LockOptions{Who: opts.Who, Wait: opts.LockWait, Now: now, Sleep: opts.Sleep, Holder: opts.LockHolder})
		if err != nil {
			return res, err
		}
		// Unlock even when ctx was cancelled (Ctrl-C), or the lock would stay.
		defer st.Unlock(context.WithoutCancel(ctx), id)
	}

	resources, serial, err := st.Resources(ctx)
	if err != nil {
		return res, fmt.Errorf("reading state: %w", err)
	}
	if err := checkConfig(p, opts.Config); err != nil {
		return res, err
	}
	if p.StateSerial != serial {
		return res, fmt.Errorf("%w (the state changed since the plan was made, by another apply or a hearth state command: it is at serial %d, the plan was made at %d)", ErrStale, serial, p.StateSerial)
	}
	a := &applier{st: st, conns: conns, opts: opts, now: now, byAddr: map[string]state.Resource{}, interrupt: ctx}
	// A change once started is finished and recorded whatever the
	// interrupt: cancelling a platform call in flight, or the state
	// write after it, would leave an object made but not in state (a
	// duplicate at the next apply). Ctrl-C stops apply between changes;
	// a second Ctrl-C ends the process.
	work := context.WithoutCancel(ctx)
	// stopped ends an interrupted apply before next, with the changes
	// of rest not attempted.
	stopped := func(next string, rest []Change) (Result, error) {
		for _, c := range rest {
			if c.Action != NoOp {
				res.NotAttempted++
			}
		}
		return res, fmt.Errorf("%w before %s", ErrInterrupted, next)
	}
	if a.opts.Progress == nil {
		a.opts.Progress = io.Discard
	}
	if a.opts.MaxRetries <= 0 {
		a.opts.MaxRetries = 5
	}
	if a.opts.Sleep == nil {
		a.opts.Sleep = sleep
	}
	for _, r := range resources {
		a.byAddr[r.Address] = r
	}
	// Renames and imports first, so every change finds its object at
	// its address.
	for _, c := range p.Changes {
		if c.MovedFrom == "" {
			continue
		}
		if ctx.Err() != nil {
			return stopped(c.Address+" (moved from "+c.MovedFrom+")", p.Changes)
		}
		if err := a.move(work, c); err != nil {
			return res, err
		}
		res.Moved++
	}
	for _, c := range p.Changes {
		if c.ImportID == "" {
			continue
		}
		if ctx.Err() != nil {
			return stopped(c.Address+" (import)", p.Changes)
		}
		if err := a.adopt(work, c); err != nil {
			return res, err
		}
		res.Imported++
	}
	// Apply stops at the first failure: later changes may need the
	// failed one (a pin its channel, a channel its community), and the
	// plan does not record which do.
	for i, c := range p.Changes {
		if ctx.Err() != nil {
			return stopped(c.Address, p.Changes[i:])
		}
		if err := a.change(work, c, &res); err != nil {
			res.Failed = c.Address
			for _, rest := range p.Changes[i+1:] {
				if rest.Action != NoOp {
					res.NotAttempted++
				}
			}
			if errors.Is(err, platform.ErrNotFound) {
				err = fmt.Errorf("%w\n(an object this plan changes was changed or deleted outside hearth since the plan was made; run hearth plan again)", err)
			}
			return res, err
		}
	}
	return res, nil
}

type applier struct {
	st     Store
	conns  Conns
	opts   ApplyOptions
	now    func() time.Time
	byAddr map[string]state.Resource // state as it is now, kept in step
	// interrupt is Apply's own context: the changes run without its
	// cancellation, but a rate-limit wait, where nothing is in flight,
	// ends on it.
	interrupt context.Context
	// current is the start event of the change in hand, for the
	// events of its rate-limit waits.
	current ApplyEvent
}

func (a *applier) progress(format string, args ...any) {
	fmt.Fprintf(a.opts.Progress, format, args...)
}

func (a *applier) event(e ApplyEvent) {
	if a.opts.Events != nil {
		a.opts.Events(e)
	}
}

// outcome is how a change went, for its progress line and events.
type outcome struct {
	// done ends the progress line: "Created (id co-1)"; after a
	// failure, what follows " failed" (" after destroying ch-1").
	done string
	// id is the object's id after the change; previousID the one a
	// replace destroyed.
	id, previousID string
}

// step carries out one change: its progress line, in two halves around
// do ("community.c: Creating..." and " Created (id co-1)"), and its
// start and complete or errored events.
func (a *applier) step(c Change, action, doing, id string, do func() (outcome, error)) error {
	begin := fmt.Sprintf("%s: %s...", c.Address, doing)
	a.progress("%s", begin)
	ev := ApplyEvent{Phase: PhaseStart, Address: c.Address, Kind: c.Kind, Platform: c.Platform, Action: action, ID: id, MovedFrom: c.MovedFrom, Message: begin}
	a.current = ev
	a.event(ev)
	start := a.now()
	o, err := do()
	ev.Elapsed = a.now().Sub(start)
	ev.PreviousID = o.previousID
	if o.id != "" || o.previousID != "" {
		// Made, or destroyed by a replace: the start's id is gone.
		ev.ID = o.id
	}
	if err != nil {
		a.progress(" failed%s\n", o.done)
		ev.Phase, ev.Err, ev.Message = PhaseErrored, err, begin+" failed"+o.done
		a.event(ev)
		return err
	}
	a.progress(" %s\n", o.done)
	ev.Phase, ev.Message = PhaseComplete, c.Address+": "+o.done
	a.event(ev)
	return nil
}

// track reports a state change of a moved or import block, which has a
// progress line of its own, as a start and a complete or errored event.
func (a *applier) track(ev ApplyEvent, doing, done string, do func() error) error {
	ev.Phase, ev.Message = PhaseStart, ev.Address+": "+doing+"..."
	a.current = ev
	a.event(ev)
	start := a.now()
	err := do()
	ev.Elapsed = a.now().Sub(start)
	if err != nil {
		ev.Phase, ev.Err, ev.Message = PhaseErrored, err, ev.Address+": "+doing+"... failed"
	} else {
		ev.Phase, ev.Message = PhaseComplete, ev.Address+": "+done
	}
	a.event(ev)
	return err
}

func (a *applier) change(ctx context.Context, c Change, res *Result) error {
	if c.Kind == platform.KindRoleAssignment {
		return a.assignment(ctx, c, res)
	}
	old, inState := a.byAddr[c.Address]
	switch c.Action {
	case NoOp:
		// The platform already matches the block, perhaps after a change
		// made by hand that the configuration then took up: state takes
		// the live values, so drift stops reporting what is now agreed.
		// prevent_destroy is kept in state because a removed block can
		// no longer say it.
		if !inState || c.Before == nil {
			return nil
		}
		if old.PreventDestroy != c.PreventDestroy || !maps.Equal(old.Attrs, c.Before) {
			old.PreventDestroy = c.PreventDestroy
			old.Attrs = maps.Clone(c.Before)
			return a.put(ctx, old)
		}
		return nil
	case Create:
		return a.step(c, string(Create), "Creating", "", func() (outcome, error) {
			r, err := a.create(ctx, c)
			if err != nil {
				if r.ID != "" {
					return outcome{done: fmt.Sprintf(" after making it (id %s, recorded in state)", r.ID), id: r.ID}, err
				}
				return outcome{}, err
			}
			res.Added++
			return outcome{done: fmt.Sprintf("Created (id %s)", r.ID), id: r.ID}, nil
		})
	case AdoptAction:
		// The same create as ever: the platform's create is what takes
		// the object it already has (a Slack workspace).
		return a.step(c, string(AdoptAction), "Adopting", "", func() (outcome, error) {
			r, err := a.create(ctx, c)
			if err != nil {
				return outcome{}, err
			}
			res.Adopted++
			return outcome{done: fmt.Sprintf("Adopted (id %s)", r.ID), id: r.ID}, nil
		})
	case Update:
		if !inState {
			return fmt.Errorf("%s: %w (it is no longer in state)", c.Address, ErrStale)
		}
		return a.step(c, string(Update), "Updating", old.ID, func() (outcome, error) {
			attrs := platform.Attrs{}
			for _, k := range c.Changed {
				attrs[k] = c.After[k]
			}
			resp, err := a.apply(ctx, c.Platform, platform.ApplyRequest{Op: platform.OpUpdate, Kind: c.Kind, Community: old.Community, ID: old.ID, Address: c.Address, Attrs: attrs})
			if err != nil {
				return outcome{}, err
			}
			// State takes the object as it now is: what was live at plan
			// time with the changes made on top.
			next := old
			next.Attrs = maps.Clone(c.Before)
			if next.Attrs == nil {
				next.Attrs = maps.Clone(old.Attrs)
			}
			if next.Attrs == nil {
				next.Attrs = map[string]string{}
			}
			maps.Copy(next.Attrs, attrs)
			next.PreventDestroy = c.PreventDestroy
			if err := a.put(ctx, next); err != nil {
				return outcome{}, err
			}
			res.Changed++
			return outcome{done: fmt.Sprintf("Updated (id %s)", resp.Object.ID), id: resp.Object.ID}, nil
		})
	case Delete:
		return a.step(c, string(Delete), "Destroying", old.ID, func() (outcome, error) {
			if err := a.destroy(ctx, c.Address); err != nil {
				return outcome{}, err
			}
			res.Destroyed++
			return outcome{done: fmt.Sprintf("Destroyed (id %s)", old.ID)}, nil
		})
	case ForgetAction:
		return a.step(c, string(ForgetAction), "Forgetting", old.ID, func() (outcome, error) {
			if err := a.forget(ctx, c.Address); err != nil {
				return outcome{}, err
			}
			res.Forgotten++
			return outcome{done: fmt.Sprintf("Forgotten (id %s, left on the platform)", old.ID)}, nil
		})
	case Replace:
		return a.step(c, string(Replace), "Replacing", old.ID, func() (outcome, error) {
			if err := a.destroy(ctx, c.Address); err != nil {
				return outcome{}, err
			}
			r, err := a.create(ctx, c)
			if err != nil {
				return outcome{done: " after destroying " + old.ID, previousID: old.ID}, err
			}
			res.Added++
			res.Destroyed++
			return outcome{done: fmt.Sprintf("Replaced (id %s -> %s)", old.ID, r.ID), id: r.ID, previousID: old.ID}, nil
		})
	}
	return fmt.Errorf("%s: unknown action %q in the plan", c.Address, c.Action)
}

// move renames an object in state (moved blocks): the new address is
// written before the old one is removed, so a failure in between leaves
// the object known under both rather than under none.
func (a *applier) move(ctx context.Context, c Change) error {
	from, to := c.MovedFrom, c.Address
	r, ok := a.byAddr[from]
	if !ok {
		return fmt.Errorf("%w: state has nothing at %s to move to %s", ErrStale, from, to)
	}
	ev := ApplyEvent{Address: to, Kind: c.Kind, Platform: c.Platform, Action: "move", ID: r.ID, MovedFrom: from}
	return a.track(ev, "Moving from "+from, "Moved from "+from, func() error {
		r.Address = to
		if err := a.put(ctx, r); err != nil {
			return err
		}
		if _, err := a.st.DeleteResource(ctx, from); err != nil {
			return err
		}
		delete(a.byAddr, from)
		a.progress("%s: Moved from %s\n", to, from)
		return nil
	})
}

// adopt records an object an import block adopts, as it was when
// planned (Before), so the plan's update applies on top of it.
func (a *applier) adopt(ctx context.Context, c Change) error {
	if old, ok := a.byAddr[c.Address]; ok {
		return fmt.Errorf("%w: state already has %s (id %s)", ErrStale, c.Address, old.ID)
	}
	r := state.Resource{Address: c.Address, Platform: c.Platform, Kind: string(c.Kind), ID: c.ImportID,
		Attrs: maps.Clone(c.Before), PreventDestroy: c.PreventDestroy}
	if c.Kind != platform.KindCommunity {
		co, ok := a.byAddr[communityAddr(c.Address)]
		if !ok {
			return fmt.Errorf("%s: its community %s is not in state", c.Address, communityAddr(c.Address))
		}
		r.Community = co.ID
	}
	ev := ApplyEvent{Address: c.Address, Kind: c.Kind, Platform: c.Platform, Action: "import", ID: c.ImportID}
	done := fmt.Sprintf("Imported (id %s)", c.ImportID)
	return a.track(ev, "Importing", done, func() error {
		if err := a.put(ctx, r); err != nil {
			return err
		}
		a.progress("%s: %s\n", c.Address, done)
		return nil
	})
}

// assignment gives or takes a member's role. Assignments are not kept
// in state: the member state in the store says who should hold what, and
// the platform says who does.
func (a *applier) assignment(ctx context.Context, c Change, res *Result) error {
	co, ok := a.byAddr[communityAddr(c.Address)]
	if !ok {
		return fmt.Errorf("%s: its community %s is not in state", c.Address, communityAddr(c.Address))
	}
	attrs := c.After
	if c.Action == Delete {
		attrs = c.Before
	}
	g := state.RoleGrant{Platform: c.Platform, Community: co.ID, Role: attrs["role"], Member: attrs["member"], At: a.now().UTC()}
	switch c.Action {
	case Create:
		return a.step(c, string(Create), "Assigning", "", func() (outcome, error) {
			if _, err := a.apply(ctx, c.Platform, platform.ApplyRequest{Op: platform.OpCreate, Kind: c.Kind, Community: co.ID, Address: c.Address, Attrs: c.After}); err != nil {
				return outcome{}, err
			}
			res.Added++
			// Recorded after the platform call: should it fail, hearth
			// counts the role as given by hand and never takes it,
			// rather than take one it did not give.
			if err := a.st.PutRoleGrant(ctx, g); err != nil {
				return outcome{}, fmt.Errorf("%s was assigned on %s but state could not record that hearth gave it: %w", c.Address, c.Platform, err)
			}
			return outcome{done: "Assigned"}, nil
		})
	case Delete:
		if c.ID == "" {
			// Gone already: only hearth's record of giving it goes.
			return a.step(c, string(Delete), "Forgetting", "", func() (outcome, error) {
				if err := a.st.DeleteRoleGrant(ctx, g); err != nil {
					return outcome{}, err
				}
				res.Destroyed++
				return outcome{done: "Forgotten"}, nil
			})
		}
		return a.step(c, string(Delete), "Removing", c.ID, func() (outcome, error) {
			// The record is read again: the daemon may have taken the
			// role since the plan (and a moderator given it back by
			// hand), and a role hearth did not give is not taken.
			made, err := a.st.HasRoleGrant(ctx, g)
			if err != nil {
				return outcome{}, err
			}
			if !made {
				return outcome{done: "Left alone (no longer recorded as given by hearth: hearth run took it since the plan was made)"}, nil
			}
			_, err = a.apply(ctx, c.Platform, platform.ApplyRequest{Op: platform.OpDelete, Kind: c.Kind, Community: co.ID, ID: c.ID, Address: c.Address})
			if err != nil && !errors.Is(err, platform.ErrNotFound) {
				return outcome{}, err
			}
			res.Destroyed++
			if err := a.st.DeleteRoleGrant(ctx, g); err != nil {
				return outcome{}, fmt.Errorf("%s was removed on %s but state could not record it: %w", c.Address, c.Platform, err)
			}
			return outcome{done: "Removed"}, nil
		})
	}
	return fmt.Errorf("%s: a role assignment cannot be %sd", c.Address, c.Action)
}

// forgetGrants drops the records of the assignments hearth made of a
// role that is destroyed: they went with it, and the ids are not reused.
func (a *applier) forgetGrants(ctx context.Context, role state.Resource) error {
	gs, err := a.st.RoleGrants(ctx, role.Platform, role.Community)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Role != role.ID {
			continue
		}
		if err := a.st.DeleteRoleGrant(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// communityAddr is the address of the community an address is in.
func communityAddr(addr string) string {
	parts := strings.SplitN(addr, ".", 3)
	if len(parts) < 2 {
		return addr
	}
	return parts[0] + "." + parts[1]
}

func (a *applier) create(ctx context.Context, c Change) (state.Resource, error) {
	attrs := platform.Attrs(maps.Clone(c.After))
	req := platform.ApplyRequest{Op: platform.OpCreate, Kind: c.Kind, Address: c.Address, Attrs: attrs}
	if c.Kind != platform.KindCommunity {
		co, ok := a.byAddr[communityAddr(c.Address)]
		if !ok {
			return state.Resource{}, fmt.Errorf("%s: its community %s is not in state; was its creation skipped?", c.Address, communityAddr(c.Address))
		}
		req.Community = co.ID
	}
	if c.Kind == platform.KindPin {
		chAddr, _, _ := strings.Cut(c.Address, ".pin.")
		ch, ok := a.byAddr[chAddr]
		if !ok {
			return state.Resource{}, fmt.Errorf("%s: its channel %s is not in state", c.Address, chAddr)
		}
		attrs["channel"] = ch.ID
	}
	resp, err := a.apply(ctx, c.Platform, req)
	if err != nil && resp.Object.ID == "" && c.Kind == platform.KindCommunity && errors.Is(err, platform.ErrConflict) {
		// The community is there already: most often made by the
		// hearth whose state this is not.
		id := "ID"
		for _, o := range liveCommunities(ctx, a.conns, c.Platform) {
			if o.Attrs["name"] == c.After["name"] {
				id = o.ID
			}
		}
		return state.Resource{}, fmt.Errorf("%w; if hearth made it, this is not the state it applied with (check the state's path or database; a CI job needs the state kept between runs); if it was made by hand, adopt it with an import block (to = %s, id = %q)", err, c.Address, id)
	}
	if err != nil && resp.Object.ID == "" {
		return state.Resource{}, conflictHint(c, err)
	}
	r := state.Resource{Address: c.Address, Platform: c.Platform, Kind: string(c.Kind), ID: resp.Object.ID,
		Community: req.Community, Attrs: created(c.Kind, attrs, resp.Object.Attrs), PreventDestroy: c.PreventDestroy}
	if err != nil {
		// Made, then a later step of the create failed (a Slack
		// channel whose topic was refused): state records the object as
		// the platform has it, so the next plan updates what is left
		// instead of creating it again and hitting its name.
		r.Attrs = settable(canonicalLive(resp.Object))
		if perr := a.put(ctx, r); perr != nil {
			return r, fmt.Errorf("%w; %v", err, perr)
		}
		return r, fmt.Errorf("%w\n(%s was made on %s as id %s before that failed, and state records it: hearth plan shows what is left to change)", err, c.Address, c.Platform, r.ID)
	}
	return r, a.put(ctx, r)
}

// conflictHint adds to a create refused for a name the platform already
// has the import block that adopts the existing object at the block's
// address, with its id when the adapter could tell it.
func conflictHint(c Change, err error) error {
	if !errors.Is(err, platform.ErrConflict) || (c.Kind != platform.KindChannel && c.Kind != platform.KindRole) {
		return err
	}
	id := platform.ExistingID(err)
	where := ""
	if id == "" {
		id = "ID"
		where = ", with its id from hearth drift,"
	}
	return fmt.Errorf("%w\n(%s already has a %s of this name: made outside hearth, or by an apply that stopped partway. To manage it with this block, add%s\n\n%s\n\nand run hearth plan again; or give the block another name)",
		err, c.Platform, c.Kind, where, ImportBlock(c.Address, id))
}

// created is what state keeps of an object just made: the platform's
// answer, canonical and settable as a refresh reads it, so that the first
// apply with nothing to do finds state equal to the platform and writes
// nothing (a write moves the serial, staling plans saved before it). An
// empty value asked for that the answer leaves out (a channel's color or
// purpose) is left out too, as a refresh leaves it out; what else the
// answer is silent about keeps the value asked for.
func created(k platform.Kind, asked, answer platform.Attrs) platform.Attrs {
	if len(answer) == 0 {
		return asked
	}
	out := settable(canonicalLive(platform.Object{Kind: k, Attrs: answer}))
	for key, v := range asked {
		if _, ok := out[key]; !ok && v != "" {
			out[key] = v
		}
	}
	return out
}

// destroy deletes what state has at addr. An object already gone (a
// community's delete took its channels along, or someone deleted it by
// hand) counts as deleted.
func (a *applier) destroy(ctx context.Context, addr string) error {
	old, ok := a.byAddr[addr]
	if !ok {
		return nil
	}
	_, err := a.apply(ctx, old.Platform, platform.ApplyRequest{Op: platform.OpDelete, Kind: platform.Kind(old.Kind), Community: old.Community, ID: old.ID, Address: addr})
	if err != nil && !errors.Is(err, platform.ErrNotFound) {
		return err
	}
	if _, err := a.st.DeleteResource(ctx, addr); err != nil {
		return fmt.Errorf("%s was deleted on %s but state could not record it: %w", addr, old.Platform, err)
	}
	delete(a.byAddr, addr)
	if old.Kind == string(platform.KindRole) {
		if err := a.forgetGrants(ctx, old); err != nil {
			return fmt.Errorf("%s was deleted on %s but state could not forget the role assignments hearth made of it: %w", addr, old.Platform, err)
		}
	}
	return nil
}

// forget takes addr out of state and leaves its object on the platform,
// which never deletes it (platform.Keeper); the records of a role's
// assignments go with it, as with a destroy.
func (a *applier) forget(ctx context.Context, addr string) error {
	old, ok := a.byAddr[addr]
	if !ok {
		return nil
	}
	if _, err := a.st.DeleteResource(ctx, addr); err != nil {
		return err
	}
	delete(a.byAddr, addr)
	if old.Kind == string(platform.KindRole) {
		return a.forgetGrants(ctx, old)
	}
	return nil
}

func (a *applier) put(ctx context.Context, r state.Resource) error {
	if _, err := a.st.PutResource(ctx, r); err != nil {
		return fmt.Errorf("%s (id %s) was applied on %s but state could not record it: %w", r.Address, r.ID, r.Platform, err)
	}
	a.byAddr[r.Address] = r
	return nil
}

// apply calls the platform, waiting out rate limits.
func (a *applier) apply(ctx context.Context, paddr string, req platform.ApplyRequest) (platform.ApplyResponse, error) {
	conn, ok := a.conns[paddr]
	if !ok {
		return platform.ApplyResponse{}, fmt.Errorf("%s: %s is not configured", req.Address, paddr)
	}
	ap, err := platform.Require[platform.Applier](conn, paddr)
	if err != nil {
		return platform.ApplyResponse{}, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := ap.Apply(ctx, req)
		var rl *platform.RateLimitError
		// A create that made its object before the limit is not sent
		// again: that would make a second one, or hit the first's name.
		if err == nil || !errors.As(err, &rl) || attempt >= a.opts.MaxRetries || req.Op == platform.OpCreate && resp.Object.ID != "" {
			return resp, err
		}
		wait := rl.After.Round(time.Millisecond)
		a.progress(" (rate limited, retrying in %s)", wait)
		ev := a.current
		ev.Phase, ev.RetryIn, ev.Message = PhaseRetry, rl.After, fmt.Sprintf("%s: rate limited, retrying in %s", ev.Address, wait)
		a.event(ev)
		if err := a.opts.Sleep(a.interrupt, rl.After); err != nil {
			return resp, fmt.Errorf("%w while waiting out a rate limit (%v)", ErrInterrupted, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
