// Package memberdata answers members' data-protection requests: an
// export of everything hearth keeps about one member (GDPR articles 15
// and 20), and erasing it (article 17), optionally with suppression so
// the next platform event does not create the member again. The CLI
// uses it on a store no daemon serves, the daemon between its batches.
package memberdata

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/state"
)

// Format names the export's layout; it changes when a field's meaning
// does.
const Format = "hearth.member-export/1"

// Export is everything hearth keeps about one member. Configuration,
// secrets and other members' data are not in it: only other members'
// ids where they and the member are linked by a referral.
type Export struct {
	Format     string    `json:"format"`
	Member     string    `json:"member"`
	ExportedAt time.Time `json:"exported_at"`
	// State is the member's document as the store keeps it: profile,
	// identities, attributes, counts per event type and day, points,
	// badges, tier and its history, segments, campaign runs, moderation
	// and what the member added to the tallies. Nil when none is stored.
	State *state.Member `json:"state"`
	// Moderation is the member's moderation record (strikes, decisions
	// and their evidence), also inside state.
	Moderation *state.Moderation `json:"moderation,omitempty"`
	// ReferredBy is who referred the member; Referred whom the member
	// referred (members whose referrer is the member).
	ReferredBy string   `json:"referred_by,omitempty"`
	Referred   []string `json:"referred,omitempty"`
	// Outcomes are what the rules did about the member, oldest first, as
	// -outcomes lines give them (state.Outcome.MarshalJSON).
	Outcomes []state.Outcome `json:"outcomes"`
	// Outbox are the actions addressed to the member, pending, sent or
	// dead, with their text.
	Outbox []state.OutboxEntry `json:"outbox"`
	// RoleGrants are the records of the roles hearth gave the member on
	// the platforms (their platform id, the community's and the role's),
	// kept so hearth takes back only roles it gave.
	RoleGrants []state.RoleGrant `json:"role_grants"`
	// Suppressed says the member's id is on the suppression list.
	Suppressed bool `json:"suppressed"`
}

// ErrNoEraser is returned for a store that cannot erase members.
var ErrNoEraser = errors.New("this state store cannot export or erase members")

func eraser(store state.Store) (state.Eraser, error) {
	e, ok := store.(state.Eraser)
	if !ok {
		return nil, ErrNoEraser
	}
	return e, nil
}

// ExportMember gathers what the store keeps about member id. It answers
// state.ErrNotFound when it keeps nothing at all.
func ExportMember(ctx context.Context, store state.Store, id string, now time.Time) (*Export, error) {
	e, err := eraser(store)
	if err != nil {
		return nil, err
	}
	x := &Export{Format: Format, Member: id, ExportedAt: now.UTC(), Outcomes: []state.Outcome{}, Outbox: []state.OutboxEntry{}, RoleGrants: []state.RoleGrant{}}
	b, err := store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	m, err := b.Member(id)
	_ = b.Rollback()
	switch {
	case err == nil:
		x.State, x.Moderation, x.ReferredBy = m, m.Moderation, m.Referrer
	case !errors.Is(err, state.ErrNotFound):
		return nil, err
	}
	err = store.Members(ctx, func(o *state.Member) error {
		if o.Referrer == id && o.ID != id {
			x.Referred = append(x.Referred, o.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if x.Outcomes, err = e.MemberOutcomes(ctx, id, math.MaxInt32); err != nil {
		return nil, err
	}
	if x.Outbox, err = e.MemberOutbox(ctx, id); err != nil {
		return nil, err
	}
	if x.Suppressed, err = e.IsSuppressed(ctx, id); err != nil {
		return nil, err
	}
	var identities map[string]string
	if x.State != nil {
		identities = x.State.Identities
	}
	if x.RoleGrants, err = e.MemberRoleGrants(ctx, id, identities); err != nil {
		return nil, err
	}
	if x.RoleGrants == nil {
		x.RoleGrants = []state.RoleGrant{}
	}
	if x.Outcomes == nil {
		x.Outcomes = []state.Outcome{}
	}
	if x.Outbox == nil {
		x.Outbox = []state.OutboxEntry{}
	}
	if x.State == nil && len(x.Outcomes) == 0 && len(x.Outbox) == 0 && len(x.Referred) == 0 && len(x.RoleGrants) == 0 && !x.Suppressed {
		return nil, state.ErrNotFound
	}
	return x, nil
}

// Options say how to forget.
type Options struct {
	// Suppress puts the id on the suppression list: later events for it
	// are refused instead of creating the member again.
	Suppress bool
	Now      time.Time
}

// Result is what Forget removed and changed.
type Result struct {
	Member string       `json:"member"`
	Erased state.Erased `json:"erased"`
	// References are other members whose documents named the member (as
	// their referrer, in a campaign's entering event, or as a run's key)
	// and no longer do.
	References int `json:"references"`
	// RunKey is the key that took the member's id's place where it was
	// the key of other members' campaign runs: in the runs, in their
	// outcomes and in their outbox entries. Empty when it was no run's
	// key.
	RunKey string `json:"run_key,omitempty"`
	// Tallies are the changes made to the community tallies: the member
	// counts as gone from today and on no tier; counts of the past stay.
	Tallies state.Tallies `json:"tallies,omitempty"`
	// Suppressed says the id is on the suppression list now.
	Suppressed bool `json:"suppressed"`
}

// Forget erases member id: other members' references to them first, and
// the tallies, in one batch; then the member's document, outcomes,
// outbox entries and the records of the roles hearth gave them, and the id where it is the key of other members'
// campaign runs in their outcomes and outbox entries (state.Eraser).
// Interrupted, it can be run again: each step finds what the last one
// left (a run moved to one key before the interruption keeps it, and its
// outcomes and entries get the key the next call draws: both name
// nobody). It answers state.ErrNotFound when nothing was
// kept about the member and no suppression was asked for. A daemon must
// call it between batches, so no batch holds the member.
func Forget(ctx context.Context, store state.Store, id string, opt Options) (Result, error) {
	res := Result{Member: id}
	if id == "" {
		return res, errors.New("no member id")
	}
	e, err := eraser(store)
	if err != nil {
		return res, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Suppress {
		// First, so an event that comes while erasing cannot make the
		// member again.
		if err := e.Suppress(ctx, id, opt.Now); err != nil {
			return res, fmt.Errorf("suppressing: %w", err)
		}
		res.Suppressed = true
	}
	label := forgottenKey()
	var refs []string
	err = store.Members(ctx, func(o *state.Member) error {
		if n, _ := scrub(o, id, label, true); o.ID != id && n > 0 {
			refs = append(refs, o.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	b, err := store.Begin(ctx)
	if err != nil {
		return res, err
	}
	for _, rid := range refs {
		o, err := b.Member(rid)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			_ = b.Rollback()
			return res, err
		}
		n, keyed := scrub(o, id, label, false)
		if keyed > 0 {
			res.RunKey = label
		}
		if n > 0 {
			res.References++
			if err := b.SaveMember(o); err != nil {
				_ = b.Rollback()
				return res, err
			}
		}
	}
	var identities map[string]string
	m, err := b.Member(id)
	switch {
	case err == nil:
		// The role grants name the member by these; the erase needs
		// them, after the document is gone.
		identities = m.Identities
		if tb, ok := b.(state.TallyBatch); ok {
			d := state.Tallies{}
			analytics.Forget(d, m, state.DayOf(opt.Now))
			if len(d) > 0 {
				res.Tallies = d
				// Saved with what it counted, so running Forget again
				// after an interruption does not count it out twice.
				err = tb.AddTallies(d)
				if err == nil {
					err = b.SaveMember(m)
				}
			}
		}
	case errors.Is(err, state.ErrNotFound):
		err = nil
	}
	if err != nil {
		_ = b.Rollback()
		return res, err
	}
	if err := b.Commit(); err != nil {
		return res, err
	}
	if res.Erased, err = e.EraseMember(ctx, id, state.EraseOptions{RunKey: label, At: opt.Now, Identities: identities}); err != nil {
		return res, err
	}
	if res.Erased.RunKeyOutcomes > 0 || len(res.Erased.RunKeyOutbox) > 0 {
		res.RunKey = label
	}
	if !res.Erased.Any() && res.References == 0 && !opt.Suppress {
		return res, state.ErrNotFound
	}
	return res, nil
}

// Lift takes id off the suppression list and reports whether it was on.
func Lift(ctx context.Context, store state.Store, id string) (bool, error) {
	e, err := eraser(store)
	if err != nil {
		return false, err
	}
	return e.Unsuppress(ctx, id)
}

// scrub blanks id where member o names it: as its referrer, a referee or
// a once_per key of its grants, as a value
// anywhere in the entering event its campaign runs keep (in lists and
// maps too, and a map key naming it goes), as the key of a run
// (run_key = "event.referrer": the run goes on under label), and as an
// ended key kept of a run (reentry = "never": removed). It counts what it
// found, and the runs keyed by id apart; with dry, it changes nothing.
func scrub(o *state.Member, id, label string, dry bool) (n, keyed int) {
	if o.Referrer == id {
		n++
		if !dry {
			o.Referrer = ""
		}
	}
	// Among the members o referred who converted, and the once_per keys
	// of o's grants (once_per = "event.referee"): the id goes, the
	// count of referrals and the points stay.
	if o.HasReferee(id) {
		n++
		if !dry {
			o.RemoveReferee(id)
		}
	}
	for i := range o.Grants {
		if g := &o.Grants[i]; g.HasKey(id) {
			n++
			if !dry {
				g.RemoveKey(id)
			}
		}
	}
	// A key kept of an ended run (reentry = "never") is only there to
	// refuse it again: it goes, not renamed as a run is.
	for campaign := range o.KeysEnded {
		if _, ok := o.KeyEnded(campaign, id); ok {
			n++
			if !dry {
				o.RemoveEndedKey(campaign, id)
			}
		}
	}
	names := make([]string, 0, len(o.Campaigns))
	for name := range o.Campaigns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		run := o.Campaigns[name]
		if run == nil {
			continue
		}
		if campaign, key, ok := state.SplitRunID(name); ok && key == id {
			n++
			keyed++
			if !dry {
				forgetKey(o, name, campaign, label)
			}
		}
		for k, v := range run.Event {
			if k == id {
				n++
				if !dry {
					delete(run.Event, k)
				}
				continue
			}
			// The run's own member is o, never the erased one; other
			// attributes (a referrer, a target member) may name them.
			if k == "member" {
				continue
			}
			if s, ok := v.(string); ok {
				if s == id {
					n++
					if !dry {
						run.Event[k] = ""
					}
				}
				continue
			}
			n += scrubValue(v, id, dry)
		}
	}
	return n, keyed
}

// scrubValue blanks id in a list or map of an event's value, at any
// depth, and drops map keys that are id; it counts what it found.
func scrubValue(v any, id string, dry bool) int {
	n := 0
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			if s, ok := e.(string); ok {
				if s == id {
					n++
					if !dry {
						v[i] = ""
					}
				}
				continue
			}
			n += scrubValue(e, id, dry)
		}
	case []string:
		for i, s := range v {
			if s == id {
				n++
				if !dry {
					v[i] = ""
				}
			}
		}
	case map[string]any:
		for k, e := range v {
			if k == id {
				n++
				if !dry {
					delete(v, k)
				}
				continue
			}
			if s, ok := e.(string); ok {
				if s == id {
					n++
					if !dry {
						v[k] = ""
					}
				}
				continue
			}
			n += scrubValue(e, id, dry)
		}
	}
	return n
}

// forgetKey moves o's run kept under runID, whose key is an erased
// member's id, to label, a key that names nobody (or "label 2" and so on
// beside another run of the campaign under it, which a label drawn
// afresh makes all but impossible). The run keeps all it counts, under
// way or ended: its sends still meet the frequency cap, its step and
// timer go on, and its next outbox keys carry label, after those it made
// before, which the store moves to label too (state.EraseOptions).
func forgetKey(o *state.Member, runID, campaign, label string) {
	key := label
	for i := 2; o.Campaigns[state.RunID(campaign, key)] != nil; i++ {
		key = fmt.Sprintf("%s %d", label, i)
	}
	run := o.Campaigns[runID]
	delete(o.Campaigns, runID)
	run.Key = key
	o.Campaigns[state.RunID(campaign, key)] = run
}

// forgottenKey is the key runs keyed by a forgotten member's id go on
// under, drawn afresh for each erasure: "(forgotten 3fa9c2d1)". One fixed
// key would not do: a member can have runs keyed by two forgotten ids
// with the same run number, message number and step (two invitees
// thanked the same way), whose outbox keys, which must differ, would
// then be one. A hash of the id would differ too, but anyone who knows
// the id could compute it and find the runs again; a random draw names
// nobody.
func forgottenKey() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail
	return "(forgotten " + hex.EncodeToString(b[:]) + ")"
}
