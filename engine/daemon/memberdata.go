package daemon

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/memberdata"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// LiftResult is the answer of POST /v1/members/{id}/unsuppress.
type LiftResult struct {
	Member string `json:"member"`
	Lifted bool   `json:"lifted"`
}

// memberID is the path's member id, or "" after answering 400 for one no
// event could carry.
func memberID(w http.ResponseWriter, r *http.Request) string {
	id := r.PathValue("id")
	switch {
	case strings.TrimSpace(id) == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "the member id is empty"})
	case len(id) > events.MaxIDLen:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "the member id is longer than " + strconv.Itoa(events.MaxIDLen) + " bytes: no event could name such a member"})
	case !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "the member id holds control characters or is not UTF-8"})
	default:
		return id
	}
	return ""
}

// exportMember answers everything the state keeps about a member, read
// between batches, as hearth member export prints it.
func (d *Daemon) exportMember(w http.ResponseWriter, r *http.Request) {
	id := memberID(w, r)
	if id == "" {
		return
	}
	var out *memberdata.Export
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		out, err = memberdata.ExportMember(ctx, d.opt.Store, id, d.opt.Now())
		return err
	})
	d.answerMemberData(w, id, out, err)
}

// forgetMember erases a member between batches, as hearth member forget
// does on a store no daemon serves: no batch holds the member while it
// is erased, and the store keeps no copy a later batch could write back.
// ?suppress=true puts the id on the suppression list.
func (d *Daemon) forgetMember(w http.ResponseWriter, r *http.Request) {
	id := memberID(w, r)
	if id == "" {
		return
	}
	suppress := false
	if s := r.URL.Query().Get("suppress"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "suppress must be true or false"})
			return
		}
		suppress = v
	}
	var out memberdata.Result
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		out, err = memberdata.Forget(ctx, d.opt.Store, id, memberdata.Options{Suppress: suppress, Now: d.opt.Now()})
		return err
	})
	if err == nil {
		// No id in the log: the member asked to be forgotten.
		d.log.Info("member forgotten through the API", "suppressed", out.Suppressed, "outcomes", out.Erased.Outcomes, "references", out.References)
	}
	d.answerMemberData(w, id, out, err)
}

// liftSuppression takes a member off the suppression list.
func (d *Daemon) liftSuppression(w http.ResponseWriter, r *http.Request) {
	id := memberID(w, r)
	if id == "" {
		return
	}
	var lifted bool
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		var err error
		lifted, err = memberdata.Lift(ctx, d.opt.Store, id)
		return err
	})
	if err == nil && !lifted {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "member " + id + " is not on the suppression list"})
		return
	}
	d.answerMemberData(w, id, LiftResult{Member: id, Lifted: lifted}, err)
}

func (d *Daemon) answerMemberData(w http.ResponseWriter, id string, out any, err error) {
	switch {
	case errors.Is(err, state.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "the state keeps nothing about member " + id})
	case errors.Is(err, memberdata.ErrNoEraser):
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": d.Redact(err.Error())})
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
