package daemon

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hearth-community/hearth/engine/outbox"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// RetryResult is the answer of POST /v1/outbox/retry.
type RetryResult struct {
	// Key is the one action asked for (?key=), Status the status the
	// filters selected actions of (?status=).
	Key    string `json:"key,omitempty"`
	Status string `json:"status,omitempty"`
	// Selected is how many actions were selected, and Retried how many
	// of them were made due now: those still in that status, not sent,
	// retried or dropped by the time the change was made.
	Selected int `json:"selected"`
	Retried  int `json:"retried"`
	// Keys are the keys selected, the first retryKeysListed of them.
	Keys []string `json:"keys"`
	// Warnings name a campaign or platform the configuration does not
	// have, when nothing was selected, as GET /v1/outbox does.
	Warnings []outbox.UnknownName `json:"warnings,omitempty"`
}

// retryKeysListed bounds the keys a bulk retry's answer lists; Selected
// says how many there were in all.
const retryKeysListed = 1000

// retryArgs says what POST /v1/outbox/retry takes.
const retryArgs = "give ?key=KEY for one action, or ?status=dead (or pending) and the filters of GET /v1/outbox (member, campaign, platform, since) for every action they select"

// retryOutbox makes dead or pending actions due now, as hearth outbox
// retry does: one by its key, or every action of a status the filters
// select, chosen with the code hearth outbox retry -status uses. Like
// it, it retries the keys it selected, and of those only the ones still
// in that status, so an action sent meanwhile is never sent again. The
// dispatcher reads the outbox afresh at each round and sends them at the
// next one.
func (d *Daemon) retryOutbox(w http.ResponseWriter, r *http.Request) {
	sel, ok := d.opt.Store.(state.OutboxSelector)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no outbox"})
		return
	}
	qs := r.URL.Query()
	pick := outboxSelection(qs)
	key := qs.Get("key")
	switch {
	case key != "" && (pick.Status != "" || pick.Narrowed()):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "key names one action; status and the filters select many in its place: give one or the other"})
		return
	case key != "":
		d.retryKey(w, r, key)
		return
	case pick.Status == "" && pick.Narrowed():
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "member, campaign, platform and since go with status=dead (or pending), which retries every action they select"})
		return
	case pick.Status == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": retryArgs})
		return
	case state.RetryStatus(pick.Status) != nil:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "status must be dead or pending: a sent action is not sent again, and a skipped one was dropped on purpose"})
		return
	}
	now := d.opt.Now()
	f, err := pick.Filter(now)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	out := RetryResult{Status: pick.Status, Keys: []string{}}
	var keys []string
	err = d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		err := state.SelectAll(ctx, sel, f, func(page []outbox.Entry) {
			for _, e := range page {
				keys = append(keys, e.Key)
			}
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		out.Retried, err = sel.RetryActions(ctx, keys, pick.Status, now)
		return err
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error() + "; nothing was changed"})
		return
	}
	out.Selected = len(keys)
	out.Keys = append(out.Keys, keys[:min(len(keys), retryKeysListed)]...)
	if len(keys) == 0 {
		out.Warnings = pick.UnknownNames(d.Snapshot().Config)
	} else {
		d.log.Info("outbox actions retried through the API", "status", pick.Status, "selected", out.Selected, "retried", out.Retried)
	}
	writeJSON(w, http.StatusOK, out)
}

// retryKey makes the one action key names due now, as hearth outbox
// retry KEY does: 404 when there is no dead or pending action of that
// key.
func (d *Daemon) retryKey(w http.ResponseWriter, r *http.Request, key string) {
	ob, ok := d.opt.Store.(outbox.Store)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no outbox"})
		return
	}
	var found bool
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		found, err = ob.RetryAction(ctx, key, d.opt.Now())
		return err
	})
	switch {
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	case !found:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("no pending or dead action %q in the outbox (GET /v1/outbox lists the keys; a sent action is not sent again, and a skipped one stays skipped)", key)})
		return
	}
	d.log.Info("outbox action retried through the API", "key", key)
	writeJSON(w, http.StatusOK, RetryResult{Key: key, Selected: 1, Retried: 1, Keys: []string{key}})
}
