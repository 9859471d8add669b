package daemon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/rules"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// The admin API answers questions about members and the population
// (routes.go lists its routes). It reads between batches on the
// processor goroutine, so answers are consistent and never race with
// event processing.

// member reads one member's committed state as JSON bytes, so the
// handler serializes nothing the processor may change later; then gets
// the batch it was read in, to read others in the same state.
func (d *Daemon) member(ctx context.Context, id string, then func(*runtime.Runtime, state.Batch, *state.Member) error) error {
	return d.Query(ctx, func(ctx context.Context, rt *runtime.Runtime) error {
		b, err := d.opt.Store.Begin(ctx)
		if err != nil {
			return err
		}
		defer b.Rollback()
		m, err := b.Member(id)
		if errors.Is(err, state.ErrNotFound) {
			return &noMemberError{id}
		}
		if err != nil {
			return err
		}
		return then(rt, b, m)
	})
}

// noMemberError is a member id the state does not have. Its text, the
// 404's error, names the id (a client reading it from a log needs it)
// and how to find the one meant; close ids are not suggested, as finding
// them would read every member.
type noMemberError struct{ id string }

func (e *noMemberError) Error() string {
	return fmt.Sprintf("no member %q in the state (GET /v1/members?q=TEXT finds members by id or name)", e.id)
}

func (e *noMemberError) Unwrap() error { return state.ErrNotFound }

func (d *Daemon) getMember(w http.ResponseWriter, r *http.Request) {
	// ?form=stored gives the document as the store keeps it, which the CLI
	// reads back into a member (the view is for people and scripts).
	form := r.URL.Query().Get("form")
	if form != "" && form != "view" && form != "stored" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "form must be view (the default) or stored"})
		return
	}
	var body []byte
	err := d.member(r.Context(), r.PathValue("id"), func(rt *runtime.Runtime, _ state.Batch, m *state.Member) error {
		var err error
		if form == "stored" {
			body, err = m.Encode()
		} else {
			body, err = m.ViewNoted(rt.Configured, rt.WaitNote(m, d.opt.Now()))
		}
		return err
	})
	d.answer(w, body, err)
}

func (d *Daemon) why(w http.ResponseWriter, r *http.Request) {
	addr := r.URL.Query().Get("rule")
	if addr == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "give ?rule=segment.NAME (or tier., badge., campaign., incentive.)"})
		return
	}
	at := d.opt.Now()
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "at must be an RFC 3339 time"})
			return
		}
		at = t
	}
	d.explain(w, r, addr, at, nil)
}

// explain answers GET and POST /v1/members/{id}/why: the rules of addr
// for the member at at, as hearth member why -json prints them; ev is
// the event an incentive is asked about on (POST's), nil for none.
func (d *Daemon) explain(w http.ResponseWriter, r *http.Request, addr string, at time.Time, ev *events.Event) {
	var body []byte
	err := d.member(r.Context(), r.PathValue("id"), func(rt *runtime.Runtime, b state.Batch, m *state.Member) error {
		// An event of another member (one who joined naming this one
		// as referrer, for a grant.to) is seen with its own member's
		// state, or a new one's when the state has none.
		var by *state.Member
		if ev != nil && ev.Member.ID != m.ID {
			var err error
			by, err = b.Member(ev.Member.ID)
			if errors.Is(err, state.ErrNotFound) {
				by, err = state.NewMember(ev.Member.ID, ev.At), nil
			}
			if err != nil {
				return err
			}
		}
		var outcomes func() ([]state.Outcome, error)
		if ol, ok := d.opt.Store.(outcomeLister); ok {
			outcomes = func() ([]state.Outcome, error) { return ol.Outcomes(r.Context(), m.ID, math.MaxInt32) }
		}
		// An at before the member's stored state: the rules read the
		// member as of then, as far as the state and the outcomes tell,
		// and the answer warns about the rest.
		var past *runtime.AsOf
		var err error
		ruled := m
		if at.Before(runtime.StateTime(m)) {
			var outs []state.Outcome
			if outcomes != nil {
				if outs, err = outcomes(); err != nil {
					return err
				}
			}
			if past, err = rt.MemberAsOf(m, at, outs, outcomes != nil); err != nil {
				return err
			}
			ruled = past.Member
		}
		var ex []runtime.Explanation
		if past != nil {
			ex, err = rt.WhyAsOf(past, addr, ev, by)
		} else {
			ex, err = rt.WhyOn(m, addr, ev, by, at)
		}
		if err != nil {
			return &badRequest{err}
		}
		if ex == nil {
			ex = []runtime.Explanation{}
		}
		// A run with a key the member no longer has may have been
		// dropped under retention: its outcomes may still tell of it.
		dropped, err := runtime.DroppedRun(m, addr, outcomes)
		if err != nil {
			return err
		}
		// A send skipped because the member unsubscribed, left or came
		// back is told by the outcomes (at its step) or the outbox (at
		// delivery), and a run's sends by both.
		var skipped []runtime.Skip
		var sends []state.OutboxEntry
		var outs []state.Outcome
		if strings.HasPrefix(addr, "campaign.") && len(m.Campaigns) > 0 {
			if outcomes != nil {
				if outs, err = outcomes(); err != nil {
					return err
				}
			}
			if ob, ok := d.opt.Store.(outboxLister); ok {
				if sends, err = ob.MemberOutbox(r.Context(), m.ID); err != nil {
					return err
				}
			}
			skipped = rt.Skips(m, addr, outs, sends)
		}
		verdict, incentive, err := rt.Verdict(ruled, addr, ev, by, at)
		if err != nil && ev != nil {
			return &badRequest{err} // about the event asked on
		}
		if err != nil {
			return err
		}
		// What time alone will do; not of a member read as of before.
		var forecast *runtime.Forecast
		if past == nil {
			forecast = rt.Forecast(m, addr, at)
		}
		body, err = marshalJSON(runtime.WhyView{Member: m.ID, Rule: addr, At: at.UTC(), Runs: rt.RunInfos(m, addr, "", at, outs, sends), Explanations: ex, Verdict: verdict, Incentive: incentive, Held: append(rt.Holds(m, addr, at), runtime.DeliveryHolds(m, addr, sends, at)...), Waiting: rt.Waits(m, addr, at), Dropped: dropped, EndedRuns: runtime.EndedRunsOf(m, addr), Skipped: skipped, CampaignRemoved: rt.CampaignRemoved(addr), TierMoves: rt.TierMoves(m, addr), Forecast: forecast, Stale: runtime.StaleSince(m, d.opt.Now()), Warnings: asOfNotes(past)})
		return err
	})
	d.answer(w, body, err)
}

// asOfNotes are a why's warnings: none for an at at or after the
// member's stored state.
func asOfNotes(past *runtime.AsOf) []runtime.AsOfNote {
	if past == nil {
		return nil
	}
	return past.Notes()
}

type badRequest struct{ error }

func (d *Daemon) answer(w http.ResponseWriter, body []byte, err error) {
	var bad *badRequest
	switch {
	case errors.As(err, new(*noMemberError)):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": err.Error()})
	case errors.Is(err, state.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such member"})
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": bad.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(body, '\n'))
	}
}

// population counts members per segment and tier, and campaign runs.
func (d *Daemon) population(w http.ResponseWriter, r *http.Request) {
	var out Population
	err := d.Query(r.Context(), func(ctx context.Context, rt *runtime.Runtime) error {
		var err error
		out, err = d.countPopulation(ctx, rt)
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listOutbox reads on the processor goroutine, like outboxCounts, for the
// same reason: the store's wait for background commits must not overlap
// the processor starting one. Its filters are hearth outbox list's, read
// with the same code (outboxSelection).
func (d *Daemon) listOutbox(w http.ResponseWriter, r *http.Request) {
	sel, ok := d.opt.Store.(state.OutboxSelector)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no outbox"})
		return
	}
	qs := r.URL.Query()
	pick := outboxSelection(qs)
	if statuses := []string{outbox.Pending, outbox.Sent, outbox.Dead, outbox.Skipped}; pick.Status != "" && !slices.Contains(statuses, pick.Status) {
		// Told of the status it is a typo of, as hearth outbox list is.
		msg := "status must be pending, sent, dead or skipped"
		if near := rules.DidYouMean(pick.Status, statuses); near != "" {
			msg += ". " + near
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": msg})
		return
	}
	limit := 100
	if s := qs.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "limit must be 1 to 10000"})
			return
		}
		limit = n
	}
	f, err := pick.Filter(d.opt.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	if after := qs.Get("after"); after != "" {
		if f.After, err = state.ParseOutboxCursor(after); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "after must be the next of the page before"})
			return
		}
	}
	// One more than asked, to tell whether there are more.
	f.Limit = limit + 1
	var entries []outbox.Entry
	err = d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		entries, err = sel.SelectOutbox(ctx, f)
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	body := map[string]any{"more": len(entries) > limit}
	if len(entries) > limit {
		entries = entries[:limit] // the store lists them in order: next_at, key
		// Where the next page starts: after this entry, in that order.
		// Opaque to clients, who pass it back as ?after=.
		body["next"] = state.CursorOf(&entries[limit-1]).String()
	}
	for i := range entries {
		// Stored redacted; redacted again with the configuration in
		// force, for entries older than a secret's place in it.
		entries[i].LastError = d.Redact(entries[i].LastError)
	}
	if entries == nil {
		entries = []outbox.Entry{}
	}
	body["entries"] = entries
	// A campaign or platform the configuration lacks is no error: its
	// entries stay until retention prunes them. When nothing matches,
	// it is more likely a typo, said as hearth outbox list says it.
	if len(entries) == 0 {
		if unknown := pick.UnknownNames(d.Snapshot().Config); len(unknown) > 0 {
			body["warnings"] = unknown
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// outboxSelection is the selection a request's query parameters make,
// as hearth outbox list's flags of the same names make theirs.
func outboxSelection(qs url.Values) outbox.Selection {
	return outbox.Selection{Status: qs.Get("status"), Member: qs.Get("member"), Campaign: qs.Get("campaign"),
		Platform: qs.Get("platform"), Since: qs.Get("since")}
}

// memberPage is the most members one page of GET /v1/members holds, and
// memberPageDefault what a page holds unless ?limit= says otherwise.
const (
	memberPage        = 1000
	memberPageDefault = 50
)

// searchMembers lists members in id order (or ?sort= points, joined or
// last_active), a page at a time: those whose
// id or name holds ?q= (any case), in ?segment= or on ?tier= (members who
// left are in neither, as on the dashboard's bars), who left or not
// (?left=true or false), referred by ?referrer=, after the id ?after=
// (the "next" of the page before), "more": true while pages follow.
func (d *Daemon) searchMembers(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	f := state.MemberFilter{Query: qs.Get("q"), Segment: qs.Get("segment"), Tier: qs.Get("tier"), Referrer: qs.Get("referrer"), After: qs.Get("after"), Limit: memberPageDefault, Sort: qs.Get("sort")}
	if f.Sort != "" && !slices.Contains(state.MemberSorts(), f.Sort) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("sort must be one of %s", strings.Join(state.MemberSorts(), ", "))})
		return
	}
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > memberPage {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "limit must be 1 to " + strconv.Itoa(memberPage)})
			return
		}
		f.Limit = n
	}
	if v := qs.Get("left"); v != "" {
		left, err := strconv.ParseBool(v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "left must be true (members who left) or false (those who did not)"})
			return
		}
		f.Left = &left
	}
	cfg := d.snap.Load().Config
	if segs := names(cfg.Segments, func(s *config.Segment) string { return s.Name }); f.Segment != "" && !slices.Contains(segs, f.Segment) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("there is no segment named %q; the segments are: %s", f.Segment, listed(segs))})
		return
	}
	f.SegmentForLeft = config.SegmentsForLeft(cfg.Segments)[f.Segment]
	if tiers := names(cfg.Tiers, func(t *config.Tier) string { return t.Name }); f.Tier != "" && !slices.Contains(tiers, f.Tier) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("there is no tier named %q; the tiers are: %s", f.Tier, listed(tiers))})
		return
	}
	var page state.MemberPage
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		page, err = state.ListMembers(ctx, d.opt.Store.Members, f)
		return err
	})
	if errors.Is(err, state.ErrMemberList) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// names lists blocks' names.
func names[T any](blocks []T, name func(T) string) []string {
	out := make([]string, len(blocks))
	for i, b := range blocks {
		out[i] = name(b)
	}
	return out
}

// listed writes names for an error that says which there are.
func listed(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// outboxLister is a store that lists a member's outbox entries.
type outboxLister interface {
	MemberOutbox(ctx context.Context, member string) ([]state.OutboxEntry, error)
}

// outcomeLister is a store that keeps each member's outcomes.
type outcomeLister interface {
	Outcomes(ctx context.Context, member string, limit int) ([]state.Outcome, error)
}

// history lists what happened to a member: points, badges, tier and
// segment moves, campaign steps and actions, oldest first.
func (d *Daemon) history(w http.ResponseWriter, r *http.Request) {
	ol, ok := d.opt.Store.(outcomeLister)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no history"})
		return
	}
	var outs []state.Outcome
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		outs, err = ol.Outcomes(ctx, r.PathValue("id"), 1000)
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	if outs == nil {
		outs = []state.Outcome{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": r.PathValue("id"), "history": outs})
}
