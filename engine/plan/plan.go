// Package plan computes what must change on platforms for them to match a
// configuration, and carries those changes out.
//
// A plan reads the live objects of every platform, matches them to the
// configuration through the platform ids recorded in state (never by
// name: platforms let names repeat), and diffs them attribute by
// attribute. Apply then makes each change with the platform's Applier
// and records each result in state as it happens, so a failure part way
// leaves state saying what really happened and the next plan shows only
// what is left.
package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/state"
)

// FormatVersion is the version of the saved plan and -json format. The
// major number changes when a reader of the old format would misread
// the new one; added fields change the minor number, and so did 1.2's
// lists (a role's permissions) as JSON arrays, which a 1.1 reader
// refuses rather than misreads (Read takes both forms). 1.3's
// config_hash leaves out the sensitive variables' values, which
// sensitive_check covers; before it, config_hash is config.Config.Hash.
// 1.4's member_impact lists members by id (enter_members, leave_members,
// in place of enter_sample and leave_sample's names) and tells the rules
// change (moves) from what time does (time_moves, in place of stale).
// 1.5 adds destroy plans ("destroy": true, hearth plan -destroy) and the
// forget action, which takes an object out of state and leaves it on
// its platform (one the platform never deletes: platform.Keeper); a 1.4
// reader refuses a forget as an unknown action rather than misread it.
// 1.6 adds a drift report's unmanaged objects ("unmanaged") and hints: a
// destroy and a create that look like a renamed block, with the moved
// block that would keep the object. 1.7 adds the adopt action: a create
// that takes an object the platform already has (a Slack workspace,
// platform.Adopts), which apply carries out as a create; a 1.6 reader
// refuses it as an unknown action rather than misread it.
const FormatVersion = "1.7"

// DefaultMaxRemovalShare is the largest share of managed resources a
// plan may delete without AllowRemovals.
const DefaultMaxRemovalShare = 0.25

// Store is what plan and apply need from a state store. state.Memory and
// the sqlite store implement it.
type Store interface {
	// Resources returns every managed resource and the state serial.
	Resources(ctx context.Context) ([]state.Resource, int64, error)
	// PutResource records a resource and returns the new serial.
	PutResource(ctx context.Context, r state.Resource) (int64, error)
	// DeleteResource forgets an address and returns the new serial.
	DeleteResource(ctx context.Context, address string) (int64, error)
	// Lock takes the apply lock or fails with *state.LockedError.
	Lock(ctx context.Context, info state.LockInfo) error
	// Unlock releases a lock by id, or fails with state.ErrNotLocked.
	Unlock(ctx context.Context, id string) error
	RoleGrants
}

// Conns are open platform connections by platform block address
// (platform.local.main).
type Conns map[string]platform.Conn

// Action is what a change does.
type Action string

const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
	NoOp    Action = "no-op"
	// ForgetAction takes an object out of state and leaves it on its platform:
	// one the platform never deletes (platform.Keeper), such as an
	// adopted Discord server, whose removal would otherwise fail at
	// apply.
	ForgetAction Action = "forget"
	// AdoptAction is a create that takes an object the platform already has
	// rather than making one (config.Platform.Adopts): the Slack
	// workspace a platform block names. Apply carries it out as a
	// create. Added in 1.7.
	AdoptAction Action = "adopt"
)

// Change is one object's change.
type Change struct {
	Address string        `json:"address"`
	Kind    platform.Kind `json:"kind"`
	Action  Action        `json:"action"`
	// Platform is the platform block the object is (or will be) on.
	Platform string `json:"platform"`
	// ID is the object's platform id now; empty for a create.
	ID string `json:"id,omitempty"`
	// Before is the live object's settable attributes; null for a create.
	Before platform.Attrs `json:"before"`
	// After is what the configuration asks for; null for a delete. A
	// pin whose channel is yet to be created has no "channel" here.
	After platform.Attrs `json:"after"`
	// Changed lists the attributes that differ, for update and replace.
	Changed []string `json:"changed,omitempty"`
	// Reason says why, when the action alone does not: drift, which
	// attribute forces a replacement, or why a capacity family's
	// sub-community (and what is in it) is created or destroyed.
	Reason         string `json:"reason,omitempty"`
	PreventDestroy bool   `json:"prevent_destroy,omitempty"`
	// MovedFrom is the address state has the object at, when a moved
	// block renames it; apply renames it in state first.
	MovedFrom string `json:"moved_from,omitempty"`
	// ImportID is the platform id of an existing object an import block
	// adopts; apply records it in state before any change.
	ImportID string `json:"import_id,omitempty"`
}

// Summary counts changes the way Terraform does: a replace is one add
// and one destroy.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	// Move counts addresses renamed in state by moved blocks.
	Move int `json:"move,omitempty"`
	// Import counts existing objects adopted by import blocks.
	Import int `json:"import,omitempty"`
	// Forget counts objects taken out of state and left on their
	// platform (ForgetAction). Added in 1.5.
	Forget int `json:"forget,omitempty"`
	// Adopt counts objects the platform already has that creates take
	// (AdoptAction), which Add does not count. Added in 1.7.
	Adopt int `json:"adopt,omitempty"`
}

// Plan is the saved plan and the -json document.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// ConfigHash and StateSerial are what the plan was made from; apply
	// refuses the plan when either has moved on. ConfigHash is the
	// configuration's Fingerprint, without the sensitive variables'
	// values (their Hash in plans before 1.3).
	ConfigHash  string `json:"config_hash"`
	StateSerial int64  `json:"state_serial"`
	// SensitiveCheck is a salted Argon2id hash of the sensitive
	// variables' values, so apply also refuses the plan when one of
	// them changed, while a guess at a secret costs as much to test as
	// a plan to make; absent without sensitive variables, and in a
	// drift report, which apply refuses anyway. Added in 1.3.
	SensitiveCheck string `json:"sensitive_check,omitempty"`
	// Source is the configuration the plan was made for, so apply can
	// say whether a plan is for another one or its configuration
	// changed. Added in 1.1.
	Source *Source `json:"config,omitempty"`
	// RefreshOnly marks a drift report (Drift): changes made outside
	// hearth, not changes to make. Apply refuses it.
	RefreshOnly bool `json:"refresh_only,omitempty"`
	// Destroy marks a destroy plan (Options.Destroy): every object
	// state holds (or the targeted ones) removed, whatever the
	// configuration says. Added in 1.5.
	Destroy bool `json:"destroy,omitempty"`
	// Targets are the -target addresses a destroy plan was limited to,
	// so its text names them rather than everything hearth manages.
	// Added in 1.5, with Destroy.
	Targets []string `json:"targets,omitempty"`
	Changes []Change `json:"changes"`
	Summary Summary  `json:"summary"`
	// Warnings are things people should know that are not changes, such
	// as a community past its capacity.
	Warnings []string `json:"warnings,omitempty"`
	// Hints are ways to a better plan, printed after it: a moved block
	// for a destroy and a create that look like a renamed block. Added
	// in 1.6.
	Hints []Hint `json:"hints,omitempty"`
	// Unadopted are, in a drift report on a state that holds nothing,
	// the configured communities that are on their platforms
	// (StateMissingWarning): drift checked nothing. Not in the file:
	// its warning says it.
	Unadopted []Unadopted `json:"-"`
	// MemberImpact is how the rules would move stored members, when the
	// plan was asked to compute it.
	MemberImpact *Impact `json:"member_impact,omitempty"`
	// Unmanaged are, in a drift report, the channels and roles in
	// managed communities that no block manages, with the import block
	// to adopt each. Not changes: they count in no summary. Added in 1.6.
	Unmanaged []Unmanaged `json:"unmanaged,omitempty"`
}

// HasChanges reports whether applying the plan would change a platform.
func (p *Plan) HasChanges() bool {
	return p.Summary.Add+p.Summary.Change+p.Summary.Destroy+p.Summary.Move+p.Summary.Import+p.Summary.Forget+p.Summary.Adopt > 0
}

// MovesMembers reports whether the plan's member impact moves anyone:
// the rules would change a stored member's segments, tier, badges or
// campaign runs when the daemon loads them. Apply does not make those
// moves, but they are changes a review (plan -detailed-exitcode) must
// not miss. A rule changed in a way that moves no stored member is not
// one.
func (p *Plan) MovesMembers() bool {
	return p.MemberImpact != nil && len(p.MemberImpact.Moves) > 0
}

// Options tune the guards.
type Options struct {
	// AllowRemovals lets a plan delete more than MaxRemovalShare.
	AllowRemovals bool
	// MaxRemovalShare, when set, is the fraction of the managed
	// resources (from 0, no destroys at all, to 1) a plan may destroy;
	// nil means DefaultMaxRemovalShare.
	MaxRemovalShare *float64
	// Members, when set, turns on member role sync: the roles tiers and
	// segments give are assigned to and taken from the stored members
	// on the platform (state.Store's Members).
	Members Members
	// Targets, when not empty, limit the plan to these addresses, what
	// is under them (a community's channels) and what they are in (a
	// channel's community), which must exist for them to. In a destroy
	// plan, only the targets and what is under them: what they are in
	// stays.
	Targets []string
	// Destroy plans the removal of everything state holds, as
	// hearth plan -destroy and hearth destroy do: deepest first, objects
	// a platform never deletes forgotten, under the same guards as any
	// removal. Moved and import blocks are not followed (an object not
	// imported yet is not hearth's to remove), and member roles are not
	// synced: destroying a role takes its assignments along.
	Destroy bool
}

// ErrRefused wraps the errors of plans a guard refuses; Make returns
// the plan too, so it can be shown.
var ErrRefused = errors.New("plan refused")

type liveKey struct {
	platform string
	kind     platform.Kind
	id       string
}

// Make plans cfg against the live platforms and state. A platform that
// cannot be read for want of a connection is a BlockError (Unreached).
func Make(ctx context.Context, cfg *config.Config, st Store, conns Conns, opts Options) (*Plan, error) {
	p, err := makePlan(ctx, cfg, st, conns, opts)
	return p, Unreached(cfg, err)
}

func makePlan(ctx context.Context, cfg *config.Config, st Store, conns Conns, opts Options) (*Plan, error) {
	if m := opts.MaxRemovalShare; m != nil && !(*m >= 0 && *m <= 1) {
		return nil, fmt.Errorf("max removal share %v is not a fraction from 0 to 1", *m)
	}
	if opts.Destroy {
		return planDestroy(ctx, cfg, st, conns, opts)
	}
	desired, err := DesiredObjects(cfg)
	if err != nil {
		return nil, err
	}
	desired, sendOnly := managed(cfg, desired, conns)
	if desired, err = derive(cfg, desired, conns); err != nil {
		return nil, err
	}
	resources, serial, err := st.Resources(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	stored := resources
	resources, movedFrom, blocked := applyMoved(cfg.Moved, resources)
	resources, imported, importWarnings, err := planImports(ctx, cfg, desired, resources, conns)
	if err != nil {
		return nil, err
	}
	live, liveWarnings, err := readLive(ctx, conns, resources)
	if err != nil {
		return nil, err
	}
	p := &Plan{FormatVersion: FormatVersion, ConfigHash: cfg.Fingerprint, SensitiveCheck: sensitiveCheck(cfg), Source: SourceOf(cfg), StateSerial: serial, Changes: []Change{}}
	byAddr := make(map[string]state.Resource, len(resources))
	for _, r := range resources {
		byAddr[r.Address] = r
	}
	subs, warnings, subReasons, emptied, err := subCommunities(ctx, cfg, desired, byAddr, conns, st)
	if err != nil {
		return nil, err
	}
	desired = append(desired, subs...)
	p.Warnings = append(append(append(append(sendOnly, blocked...), importWarnings...), liveWarnings...), warnings...)
	wanted := make(map[string]bool, len(desired))
	for _, d := range desired {
		wanted[d.Address] = true
	}
	p.Warnings = append(p.Warnings, strayMoves(cfg.Moved, stored, resources, wanted)...)

	// Deletes come first, deepest first, so a community goes after what
	// is in it and a name is free before something new takes it.
	var gone []state.Resource
	for _, r := range resources {
		if !wanted[r.Address] {
			gone = append(gone, r)
		}
	}
	slices.SortFunc(gone, deepestFirst)
	for _, r := range gone {
		c := removal(r, live, conns)
		c.Before = withoutDropped(cfg, c.Platform, c.Kind, c.Before)
		c.MovedFrom = movedFrom[r.Address]
		switch why := subReason(subReasons, emptied, r.Address); {
		case why == "":
		case c.Action == Delete && c.Reason == "":
			c.Reason = why
		case c.Action == ForgetAction:
			c.Reason = why + "; " + c.Reason
		}
		p.Changes = append(p.Changes, c)
	}

	// stable are the ids of objects that keep theirs through this plan,
	// which a pin needs for its channel attribute.
	stable := map[string]string{}
	for _, d := range desired {
		c := Change{Address: d.Address, Kind: d.Kind, Platform: d.Platform, After: d.Attrs.Clone(), PreventDestroy: d.PreventDestroy, MovedFrom: movedFrom[d.Address], ImportID: imported[d.Address]}
		if d.Kind == platform.KindPin {
			if id, ok := stable[d.Channel]; ok {
				c.After["channel"] = id
			}
		}
		r, inState := byAddr[d.Address]
		o, isLive := live[liveKey{r.Platform, d.Kind, r.ID}]
		switch {
		case !inState:
			c.Action, c.Reason = create(d), subReasons[d.Address]
		case r.Platform != d.Platform:
			c.Action, c.ID, c.Reason = Replace, r.ID, "moves from "+r.Platform
			c.Before = withoutDropped(cfg, r.Platform, d.Kind, platform.Attrs(maps.Clone(r.Attrs)))
		case r.Kind != string(d.Kind):
			return nil, fmt.Errorf("%s: state has a %s at this address, the configuration a %s; remove it from state first", d.Address, r.Kind, d.Kind)
		case !isLive:
			c.Action, c.Reason = create(d), "was deleted outside hearth"
		default:
			c.ID, c.Before = r.ID, withoutDropped(cfg, r.Platform, d.Kind, settable(o))
			changed, forceNew := diff(d, c.After, o)
			c.Changed = append(changed, forceNew...)
			slices.Sort(c.Changed)
			switch {
			case len(forceNew) > 0:
				c.Action, c.Reason = Replace, strings.Join(forceNew, ", ")+" cannot change in place"
			case d.Kind == platform.KindPin && c.After["channel"] == "":
				c.Action, c.Reason = Replace, "its channel is replaced"
			case len(changed) > 0:
				c.Action = Update
			default:
				c.Action = NoOp
			}
			if c.Action == Update || c.Action == NoOp {
				stable[d.Address] = r.ID
			}
		}
		p.Changes = append(p.Changes, c)
	}
	held := 0
	if opts.Members != nil {
		var roles []Change
		var queued int
		roles, held, queued, err = roleSync(ctx, cfg, opts.Members, st, byAddr, conns)
		if err != nil {
			return nil, err
		}
		p.Changes = append(p.Changes, roles...)
		if queued > 0 {
			what, them := "1 member role assignment below (queued in the outbox already) is", "it"
			if queued > 1 {
				what, them = fmt.Sprintf("%d member role assignments below (queued in the outbox already) are", queued), "them"
			}
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s queued in the daemon's outbox as the members moved, not delivered yet: hearth run makes %s as it catches up. Apply makes %s now all the same, and the outbox then finds %s made; hearth outbox list -status pending lists %s.", what, them, them, them, them))
		}
	}
	if len(opts.Targets) > 0 {
		p.Changes = slices.DeleteFunc(p.Changes, func(c Change) bool { return !targeted(c.Address, opts.Targets) })
	}
	p.count()
	p.Hints = append(renameHints(p.Changes), unadoptedHints(unadopted(ctx, cfg, desired, resources, conns), p.Changes)...)
	return p, guard(p, resources, held, opts, emptied)
}

// count sets the plan's summary from its changes.
func (p *Plan) count() {
	p.Summary = Summary{}
	for _, c := range p.Changes {
		if c.MovedFrom != "" {
			p.Summary.Move++
		}
		if c.ImportID != "" {
			p.Summary.Import++
		}
		switch c.Action {
		case Create:
			p.Summary.Add++
		case Update:
			p.Summary.Change++
		case Delete:
			p.Summary.Destroy++
		case Replace:
			p.Summary.Add++
			p.Summary.Destroy++
		case ForgetAction:
			p.Summary.Forget++
		case AdoptAction:
			p.Summary.Adopt++
		}
	}
}

// create is the action that brings d about when nothing in state is
// it: an adoption where the platform's create takes an existing object
// (Desired.Adopt), else a create.
func create(d Desired) Action {
	if d.Adopt {
		return AdoptAction
	}
	return Create
}

// removal is the change that removes what state has in r: a delete, of
// what is live (its attributes as they are) or of what is gone already
// (only forgotten, with the attributes last applied), or a forget of an
// object its platform never deletes (platform.Keeper), which stays there.
func removal(r state.Resource, live map[liveKey]platform.Object, conns Conns) Change {
	c := Change{Address: r.Address, Kind: platform.Kind(r.Kind), Action: Delete, Platform: r.Platform, ID: r.ID, PreventDestroy: r.PreventDestroy}
	o, isLive := live[liveKey{r.Platform, platform.Kind(r.Kind), r.ID}]
	if !isLive {
		c.Before = platform.Attrs(maps.Clone(r.Attrs))
		c.Reason = onlyForgotten
		return c
	}
	c.Before = settable(o)
	if k, ok := conns[r.Platform].(platform.Keeper); ok {
		if why := k.Keeps(c.Kind); why != "" {
			c.Action, c.Reason = ForgetAction, why+": it stays on the platform, no longer managed by hearth"
		}
	}
	return c
}

// planDestroy is Make for a destroy plan: every object state holds (or
// the targeted ones and what is under them) removed, deepest first, as
// removed blocks are. prevent_destroy protects an object whether state
// has it (as last applied) or its block says so now: a destroy is the
// one plan that removes objects whose blocks are still there.
func planDestroy(ctx context.Context, cfg *config.Config, st Store, conns Conns, opts Options) (*Plan, error) {
	resources, serial, err := st.Resources(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	live, warnings, err := readLive(ctx, conns, resources)
	if err != nil {
		return nil, err
	}
	protected := map[string]bool{}
	if desired, err := DesiredObjects(cfg); err == nil {
		for _, d := range desired {
			protected[d.Address] = d.PreventDestroy
		}
	}
	// The guard reads prevent_destroy from the resources: a block's
	// protects its object, and what the object is in, as an applied one.
	resources = slices.Clone(resources)
	for i, r := range resources {
		resources[i].PreventDestroy = r.PreventDestroy || protected[r.Address]
	}
	p := &Plan{FormatVersion: FormatVersion, ConfigHash: cfg.Fingerprint, SensitiveCheck: sensitiveCheck(cfg), Source: SourceOf(cfg), StateSerial: serial, Destroy: true, Targets: slices.Clone(opts.Targets), Changes: []Change{}, Warnings: warnings}
	var gone []state.Resource
	for _, r := range resources {
		if len(opts.Targets) == 0 || slices.ContainsFunc(opts.Targets, func(t string) bool { return under(r.Address, t) }) {
			gone = append(gone, r)
		}
	}
	slices.SortFunc(gone, deepestFirst)
	for _, r := range gone {
		c := removal(r, live, conns)
		c.Before = withoutDropped(cfg, c.Platform, c.Kind, c.Before)
		p.Changes = append(p.Changes, c)
	}
	p.count()
	return p, guard(p, resources, 0, opts, nil)
}

// deepestFirst orders removals: what is in an object before it (a pin
// before its channel, a channel before its community).
func deepestFirst(a, b state.Resource) int {
	return cmp.Or(-cmp.Compare(strings.Count(a.Address, "."), strings.Count(b.Address, ".")), -strings.Compare(a.Address, b.Address))
}

// applyMoved renames, in a copy of the state's resources, what moved
// blocks rename: an address and everything under it, unless state
// already has something at the new address (then the block has been
// applied before, or conflicts, and is left alone). It returns the
// renamed resources, by new address the old one, and a warning for each
// block left alone while state still has its old address: the plan then
// destroys or keeps that object as if the block were not there, which
// its writer did not mean, so it must not pass in silence.
func applyMoved(moved []*config.Moved, resources []state.Resource) ([]state.Resource, map[string]string, []string) {
	from := map[string]string{}
	if len(moved) == 0 {
		return resources, from, nil
	}
	var blocked []string
	out := slices.Clone(resources)
	for _, m := range moved {
		taken := map[string]bool{}
		for _, r := range out {
			taken[r.Address] = true
		}
		if taken[m.To] {
			if taken[m.From] {
				blocked = append(blocked, fmt.Sprintf("the moved block at %s was not followed: state has objects at both %s and %s; remove the one not wanted (hearth state rm) or the moved block.",
					where(m.DeclRange), m.From, m.To))
			}
			continue
		}
		for i, r := range out {
			if !under(r.Address, m.From) {
				continue
			}
			dst := m.To + strings.TrimPrefix(r.Address, m.From)
			if taken[dst] {
				continue
			}
			orig := r.Address
			if o, ok := from[orig]; ok { // moved twice: keep the first name
				orig = o
				delete(from, r.Address)
			}
			out[i].Address = dst
			from[dst] = orig
		}
	}
	return out, from, blocked
}

// strayMoves warns about moved blocks that moved nothing while the plan
// destroys an object whose address is a near miss of the block's from,
// and creates the block's to: the from has a slip (channel.chatt), and
// the object meant is destroyed and made anew, as if the block were not
// there. validate cannot see it: a from names an address the
// configuration no longer has, which only state knows. A block whose to
// state has is one applied before, and says nothing.
func strayMoves(moved []*config.Moved, stored, resources []state.Resource, wanted map[string]bool) []string {
	var out []string
	for _, m := range moved {
		if slices.ContainsFunc(stored, func(r state.Resource) bool { return under(r.Address, m.From) }) ||
			slices.ContainsFunc(resources, func(r state.Resource) bool { return r.Address == m.To }) {
			continue
		}
		i := strings.LastIndex(m.From, ".")
		if i < 0 {
			continue
		}
		parent, name := m.From[:i], m.From[i+1:]
		var gone []string // destroyed beside the from: the same kind, in the same community
		for _, r := range resources {
			if j := strings.LastIndex(r.Address, "."); j >= 0 && !wanted[r.Address] && r.Address[:j] == parent {
				gone = append(gone, r.Address[j+1:])
			}
		}
		if c := rules.Closest(name, gone); c != "" {
			out = append(out, fmt.Sprintf("the moved block at %s moved nothing: state has no %s. Did you mean from = %s.%s? As written, this plan destroys %s.%s and creates %s anew.",
				where(m.DeclRange), m.From, parent, c, parent, c, m.To))
		}
	}
	return out
}

// where names a block's file and line for an error that is not a
// diagnostic (it comes from the platform, at plan time).
func where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", filepath.Base(r.Filename), r.Start.Line)
}

// BlockError is a plan error about one block of the configuration, such
// as an import block the plan cannot follow. Diagnostic has the block's
// range and says what to do, so commands print it as they print a
// configuration's problems: with file, line, column and source line.
type BlockError struct {
	Diagnostic *hcl.Diagnostic
	// Err is what the platform answered, when that is the cause.
	Err error
}

func (e *BlockError) Error() string {
	at := ""
	if r := e.Diagnostic.Subject; r != nil {
		at = fmt.Sprintf(" (%s:%d:%d)", filepath.Base(r.Filename), r.Start.Line, r.Start.Column)
	}
	return fmt.Sprintf("%s%s: %s", e.Diagnostic.Summary, at, e.Diagnostic.Detail)
}

func (e *BlockError) Unwrap() error { return e.Err }

// blockError is a BlockError at rng.
func blockError(rng hcl.Range, cause error, summary, detail string, args ...any) *BlockError {
	return &BlockError{Err: cause, Diagnostic: &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng.Ptr()}}
}

// planImports looks up the objects import blocks adopt and adds them to
// a copy of the resources, as if state had them, so the plan diffs them
// against their blocks. A block whose address state binds to its id is
// done and skipped. Communities are imported before what is in them.
//
// A block the plan cannot follow is an error, as in Terraform: its
// object managed at another address (one object, one address: a moved
// block renames), or its address bound in state to another object. Left
// alone, either would plan as if the block were not there, and the
// object it names would stay where it is or unmanaged, in silence.
//
// Two blocks are left in place after a destroy, which README says they
// may be, and are skipped with a warning instead: one into a community
// state does not have (this plan creates it, and the object with it:
// nothing on the platform can be in a community not made yet), and one
// whose address state binds already while its id is gone from the
// platform (the object it adopted was destroyed and made anew).
func planImports(ctx context.Context, cfg *config.Config, desired []Desired, resources []state.Resource, conns Conns) ([]state.Resource, map[string]string, []string, error) {
	imports := cfg.Imports
	done := map[string]string{}
	if len(imports) == 0 {
		return resources, done, nil, nil
	}
	var warnings []string
	out := slices.Clone(resources)
	byAddr := map[string]state.Resource{}
	owner := map[liveKey]string{}
	for _, r := range out {
		byAddr[r.Address] = r
		owner[liveKey{r.Platform, platform.Kind(r.Kind), r.ID}] = r.Address
	}
	todo := slices.Clone(imports)
	slices.SortStableFunc(todo, func(a, b *config.Import) int { return cmp.Compare(strings.Count(a.To, "."), strings.Count(b.To, ".")) })
	for _, im := range todo {
		bound, inState := byAddr[im.To]
		if inState && bound.ID == im.ID {
			continue // imported before
		}
		d, ok := importable(cfg, desired, im.To)
		if !ok {
			return nil, nil, nil, blockError(im.ToRange, nil, "Import target not in the configuration", "The configuration has no %s; write its block too.", im.To)
		}
		if other, ok := owner[liveKey{d.Platform, d.Kind, im.ID}]; ok {
			return nil, nil, nil, managedElsewhere(im, d.Kind, im.ID, other, bound, inState)
		}
		community := ""
		if d.Community != "" {
			co, ok := byAddr[d.Community]
			if !ok {
				warnings = append(warnings, fmt.Sprintf("the import block at %s was not followed: %s is not in state, so this plan creates it and %s in it anew; remove the block, or import %s first to adopt %s %s.",
					where(im.DeclRange), d.Community, im.To, d.Community, d.Kind, im.ID))
				continue
			}
			community = co.ID
		}
		conn, ok := conns[d.Platform]
		if !ok {
			return nil, nil, nil, blockError(im.ToRange, nil, "Platform not open", "%s is on %s, which is not open.", im.To, d.Platform)
		}
		imp, err := platform.Require[platform.Importer](conn, d.Platform)
		if err != nil {
			return nil, nil, nil, blockError(im.DeclRange, err, "Platform cannot import", "%s.", err)
		}
		// The platform may know the object by another id than the one
		// written (the id state holds): what it answers decides.
		resp, err := imp.Import(ctx, platform.ImportRequest{Kind: d.Kind, Community: community, ID: im.ID, Address: im.To})
		if err != nil {
			if inState && errors.Is(err, platform.ErrNotFound) {
				warnings = append(warnings, fmt.Sprintf("the import block at %s was not followed: %s %s is not on the platform, and state binds %s to %s %s already; remove the block.",
					where(im.DeclRange), d.Kind, im.ID, im.To, bound.Kind, bound.ID))
				continue
			}
			detail := "%s %s: %s."
			if inState {
				detail += fmt.Sprintf(" %s is bound in state to %s %s already.", im.To, bound.Kind, bound.ID)
			}
			return nil, nil, nil, blockError(im.IDRange, err, "Cannot import", detail, d.Kind, im.ID, err)
		}
		k := liveKey{d.Platform, d.Kind, resp.Object.ID}
		switch other, ok := owner[k]; {
		case ok && other == im.To:
			continue // the object state binds here, by another id
		case ok:
			return nil, nil, nil, managedElsewhere(im, d.Kind, resp.Object.ID, other, bound, inState)
		case inState:
			return nil, nil, nil, blockError(im.IDRange, nil, "Import target already in state",
				"%s is bound in state to %s %s, not to %s %s, and an address holds one object. Remove this import block if %s is the object meant; to adopt %s instead, run hearth state rm %s first (%s %s stays on the platform, no longer managed), then plan again.",
				im.To, bound.Kind, bound.ID, d.Kind, im.ID, bound.ID, im.ID, im.To, bound.Kind, bound.ID)
		}
		r := state.Resource{Address: im.To, Platform: d.Platform, Kind: string(d.Kind), ID: resp.Object.ID,
			Community: community, Attrs: settable(canonicalLive(resp.Object)), PreventDestroy: d.PreventDestroy}
		out = append(out, r)
		byAddr[r.Address], owner[k] = r, r.Address
		done[im.To] = r.ID
	}
	return out, done, warnings, nil
}

// managedElsewhere is the error of an import block whose object state
// already manages at another address: importing it again would give one
// object two addresses, and two blocks would fight over it.
func managedElsewhere(im *config.Import, kind platform.Kind, id, other string, bound state.Resource, inState bool) *BlockError {
	also := ""
	if inState {
		also = fmt.Sprintf(" State binds %s to %s %s already, which a move there needs forgotten first (hearth state rm %s).", im.To, bound.Kind, bound.ID, im.To)
	}
	return blockError(im.IDRange, nil, "Object already managed",
		"%s %s is already managed at %s, so it cannot be imported to %s too: an object has one address. To move it there, replace this import block with a moved block (from = %s, to = %s), or run hearth state rm %s first; if it belongs at %s, remove this import block.%s",
		kind, id, other, im.To, other, im.To, other, other, also)
}

// targeted reports whether addr is a target, under one, or holds one.
func targeted(addr string, targets []string) bool {
	for _, t := range targets {
		if under(addr, t) || under(t, addr) {
			return true
		}
	}
	return false
}

// diff compares the configured attributes with a live object. Read-only
// attributes, keys the platform does not have (Slack roles have no
// color) and ignore_changes are left alone.
func diff(d Desired, after platform.Attrs, o platform.Object) (changed, forceNew []string) {
	spec, _ := platform.SpecOf(d.Kind)
	for _, k := range slices.Sorted(maps.Keys(after)) {
		a, ok := spec.Attr(k)
		if !ok || a.ReadOnly() || slices.Contains(d.Ignore, k) {
			continue
		}
		lv, ok := o.Attrs[k]
		if !ok || lv == after[k] {
			continue
		}
		if a.ForceNew() {
			forceNew = append(forceNew, k)
		} else {
			changed = append(changed, k)
		}
	}
	return changed, forceNew
}

// settable keeps the attributes hearth can set, which are the ones a plan
// shows.
func settable(o platform.Object) platform.Attrs {
	spec, _ := platform.SpecOf(o.Kind)
	out := platform.Attrs{}
	for k, v := range o.Attrs {
		if a, ok := spec.Attr(k); ok && !a.ReadOnly() {
			out[k] = v
		}
	}
	return out
}

// importable is the desired object an import block adopts at addr: one
// of the configuration's, or of a sub-community of a community's
// capacity family (community.oss-2, made by hand where the platform's
// bots cannot make communities, such as a Discord server).
func importable(cfg *config.Config, desired []Desired, addr string) (Desired, bool) {
	if i := slices.IndexFunc(desired, func(d Desired) bool { return d.Address == addr }); i >= 0 {
		return desired[i], true
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(addr, "community."), ".")
	if parent, place := cfg.Family(name); parent != nil && place > 1 {
		for _, d := range mirror(parent, desired, place) {
			if d.Address == addr {
				return d, true
			}
		}
	}
	return Desired{}, false
}

// onlyForgotten is the reason of a delete of what is gone already.
const onlyForgotten = "already deleted outside hearth; only forgotten"

// guard refuses plans that destroy protected objects or too much. What
// goes with an emptied sub-community (subCommunities) is not held by
// the prevent_destroy it copies; it still counts against the share.
func guard(p *Plan, resources []state.Resource, heldRoles int, opts Options, emptied map[string]bool) error {
	var errs []error
	deletes, roleDeletes := 0, 0
	for _, c := range p.Changes {
		if c.Action != Delete && c.Action != Replace {
			continue
		}
		if c.Kind == platform.KindRoleAssignment {
			if c.ID != "" { // else only hearth's record of it is forgotten
				roleDeletes++
			}
			continue
		}
		if c.Action == Delete {
			deletes++
			if c.Reason == onlyForgotten { // already gone: nothing is destroyed
				continue
			}
		}
		if emptiedAbove(emptied, c.Address) != "" {
			continue
		}
		// Deleting a community deletes what is in it, so a protected
		// channel protects its community too.
		for _, r := range resources {
			if r.PreventDestroy && (r.Address == c.Address || strings.HasPrefix(r.Address, c.Address+".")) ||
				r.Address == c.Address && c.PreventDestroy {
				errs = append(errs, fmt.Errorf("%w: %s has prevent_destroy set, and this plan would %s %s; set prevent_destroy = false and apply first if you mean it",
					ErrRefused, r.Address, map[Action]string{Delete: "destroy", Replace: "replace"}[c.Action], c.Address))
				break
			}
		}
	}
	share := DefaultMaxRemovalShare
	if opts.MaxRemovalShare != nil {
		share = *opts.MaxRemovalShare
	}
	// The share guards a configuration that lost blocks by mistake; a
	// destroy asks for the removals by name, and apply confirms them.
	allowed := opts.AllowRemovals || p.Destroy
	if n := len(resources); !allowed && n > 0 && float64(deletes) > share*float64(n) {
		errs = append(errs, fmt.Errorf("%w: it destroys %d of %d managed resources (%.0f%%), more than the %.0f%% allowed; check the configuration, or pass -allow-removals",
			ErrRefused, deletes, n, 100*float64(deletes)/float64(n), 100*share))
	}
	if !allowed && heldRoles > 0 && float64(roleDeletes) > share*float64(heldRoles) {
		errs = append(errs, fmt.Errorf("%w: it takes %d of %d member roles hearth gave for tiers and segments (%.0f%%), more than the %.0f%% allowed; check the rules, or pass -allow-removals",
			ErrRefused, roleDeletes, heldRoles, 100*float64(roleDeletes)/float64(heldRoles), 100*share))
	}
	return errors.Join(errs...)
}

// readLive reads, from every platform state mentions, the communities
// and the channels, roles and pins of the communities state knows, and
// the warnings the platforms gave about them.
func readLive(ctx context.Context, conns Conns, resources []state.Resource) (map[liveKey]platform.Object, []string, error) {
	live := map[liveKey]platform.Object{}
	var warnings []string
	communities := map[string][]string{} // platform -> community ids in state
	for _, r := range resources {
		if r.Kind == string(platform.KindCommunity) {
			communities[r.Platform] = append(communities[r.Platform], r.ID)
		}
	}
	for _, paddr := range slices.Sorted(maps.Keys(communities)) {
		conn, ok := conns[paddr]
		if !ok {
			return nil, nil, fmt.Errorf("state has objects on %s, which the configuration no longer has; add the platform block back to change or delete them", paddr)
		}
		rd, err := reader(conn, paddr)
		if err != nil {
			return nil, nil, err
		}
		objs, err := platform.ReadAll(ctx, rd, platform.ReadRequest{Kind: platform.KindCommunity})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: reading communities: %w", paddr, err)
		}
		for _, o := range objs {
			live[liveKey{paddr, o.Kind, o.ID}] = canonicalLive(o)
		}
		for _, cid := range communities[paddr] {
			if _, ok := live[liveKey{paddr, platform.KindCommunity, cid}]; !ok {
				continue // deleted outside hearth, with everything in it
			}
			for _, k := range []platform.Kind{platform.KindChannel, platform.KindRole, platform.KindPin} {
				objs, notes, err := platform.ReadAllWarned(ctx, rd, platform.ReadRequest{Kind: k, Community: cid})
				warnings = append(warnings, notes...)
				if errors.Is(err, platform.ErrUnsupported) {
					// A platform that cannot list this kind (a Telegram
					// group is its own only channel; the Bot API lists
					// none): what state has is taken as live, as last
					// applied, rather than as deleted outside hearth.
					for _, r := range resources {
						if r.Platform == paddr && r.Community == cid && r.Kind == string(k) {
							live[liveKey{paddr, k, r.ID}] = platform.Object{Kind: k, ID: r.ID, Community: cid, Attrs: platform.Attrs(maps.Clone(r.Attrs))}
						}
					}
					continue
				}
				if err != nil {
					return nil, nil, fmt.Errorf("%s: reading %ss of community %s: %w", paddr, k, cid, err)
				}
				for _, o := range objs {
					live[liveKey{paddr, o.Kind, o.ID}] = canonicalLive(o)
				}
			}
		}
	}
	return live, warnings, nil
}

// derive adds to each desired object the attributes its platform derives
// from the configured ones (platform.Deriver), so they are diffed like
// the rest; the hearth block's ignore_changes covers them too.
func derive(cfg *config.Config, desired []Desired, conns Conns) ([]Desired, error) {
	for i, d := range desired {
		dv, ok := conns[d.Platform].(platform.Deriver)
		if !ok {
			continue
		}
		got := dv.Derive(platform.DeriveRequest{Kind: d.Kind, Attrs: d.Attrs.Clone()}).Attrs
		extra := platform.Attrs{}
		for k, v := range got {
			if _, set := d.Attrs[k]; !set {
				extra[k] = v
			}
		}
		if len(extra) == 0 {
			continue
		}
		extra, err := canonical(d.Address, d.Kind, extra)
		if err != nil {
			return nil, fmt.Errorf("%s derived: %w", d.Platform, err)
		}
		d.Attrs = d.Attrs.Clone()
		d.Ignore = slices.Clone(d.Ignore)
		for k, v := range extra {
			d.Attrs[k] = v
			if ignored(cfg.Settings.IgnoreChanges, d.Address+"."+k) {
				d.Ignore = append(d.Ignore, k)
			}
		}
		desired[i] = d
	}
	return desired, nil
}

// managed drops the objects of communities on platforms that can neither
// read nor change objects (webhooks, chat robots such as WeCom's or
// Feishu's): hearth only sends messages through them, so there is nothing
// to plan there. A note says so, once per community.
func managed(cfg *config.Config, desired []Desired, conns Conns) ([]Desired, []string) {
	var out []Desired
	var notes []string
	sendsOnly := map[string]bool{}
	for _, p := range cfg.Platforms {
		sendsOnly[p.Addr()] = p.SendsOnly
	}
	for _, d := range desired {
		conn, ok := conns[d.Platform]
		if !ok && !sendsOnly[d.Platform] {
			out = append(out, d)
			continue
		}
		_, reads := conn.(platform.Reader)
		_, applies := conn.(platform.Applier)
		if ok && (reads || applies) {
			out = append(out, d)
			continue
		}
		if d.Kind == platform.KindCommunity {
			where := ""
			for _, c := range cfg.Communities {
				if "community."+c.Name == d.Address && c.DeclRange.Filename != "" {
					where = fmt.Sprintf(" (%s:%d)", filepath.Base(c.DeclRange.Filename), c.DeclRange.Start.Line)
				}
			}
			notes = append(notes, fmt.Sprintf("%s%s is on %s, which only sends messages: hearth does not create or change its groups and channels, so they are not planned", d.Address, where, d.Platform))
		}
	}
	return out, notes
}
