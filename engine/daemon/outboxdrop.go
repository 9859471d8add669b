package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// DropResult is the answer of POST /v1/outbox/drop.
type DropResult struct {
	Dropped string `json:"dropped"` // the key
}

// dropOutbox removes the one action ?key= names, whatever its status, as
// hearth outbox drop KEY does: 404 when there is none, 409 while it is
// being sent (by this daemon's dispatcher, or by a replica holding its
// lease), since removing it then would lose the record of the send.
func (d *Daemon) dropOutbox(w http.ResponseWriter, r *http.Request) {
	ad, ok := d.opt.Store.(state.ActionDropper)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no outbox"})
		return
	}
	key := r.URL.Query().Get("key")
	if key == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "key is missing: ?key=KEY names the action to drop (GET /v1/outbox lists the keys)"})
		return
	}
	var found bool
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		drop := func() (bool, error) { return ad.DropAction(ctx, key) }
		var err error
		if disp := d.disp.Load(); disp != nil {
			found, err = disp.Drop(key, drop)
		} else {
			found, err = drop()
		}
		return err
	})
	switch {
	case errors.Is(err, state.ErrBeingSent):
		writeJSON(w, http.StatusConflict, map[string]any{"error": fmt.Sprintf("action %q is %v: it will be recorded as sent, or retried; drop it afterwards if it is still there", key, state.ErrBeingSent)})
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	case !found:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("no action %q in the outbox (GET /v1/outbox lists the keys)", key)})
		return
	}
	d.log.Info("outbox action dropped through the API", "key", key)
	writeJSON(w, http.StatusOK, DropResult{Dropped: key})
}
