package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

// whyBodyMax bounds POST /v1/members/{id}/why's body: an event as large
// as an events file's line may be, and the rest of the question.
const whyBodyMax = events.MaxLineBytes + 4096

// whyBodyForm says what POST /v1/members/{id}/why's body is, for errors.
const whyBodyForm = `the body must be {"rule": "incentive.NAME", "event": {"type": ..., "attrs": {...}}, "at": RFC 3339}, every field optional, or empty`

// whyOn answers POST /v1/members/{id}/why: why with an event, which an
// incentive's rules read (hearth member why -event). The event is a JSON
// object in the body, not a query parameter: it may be large and may
// hold what a member wrote, which has no place in access logs. The rule
// and time may come in the body or as GET's ?rule= and ?at=; the body
// wins. An event is taken as POST /v1/events would take it (its id,
// member and at may be left out: "eval", the member asked about and the
// time asked at), and refused with the same words, as a 400.
func (d *Daemon) whyOn(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, whyBodyMax))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "the body is larger than an event and its question may be"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "could not read the body: " + err.Error()})
		return
	}
	in := struct {
		Rule  string          `json:"rule"`
		At    string          `json:"at"`
		Event json.RawMessage `json:"event"`
	}{Rule: r.URL.Query().Get("rule"), At: r.URL.Query().Get("at")}
	if len(bytes.TrimSpace(raw)) > 0 {
		if msg := decodeWhy(raw, &in); msg != "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": msg})
			return
		}
	}
	if in.Rule == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": `give "rule": "incentive.NAME" in the body (or ?rule=; segment., tier., badge., campaign. too)`})
		return
	}
	at := d.opt.Now()
	if in.At != "" {
		if at, err = time.Parse(time.RFC3339, in.At); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "at must be an RFC 3339 time"})
			return
		}
	}
	var ev *events.Event
	if len(in.Event) > 0 && !bytes.Equal(in.Event, []byte("null")) {
		if !strings.HasPrefix(in.Rule, "incentive.") {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "event is for why of an incentive (incentive.NAME), whose rules read the event it fires on"})
			return
		}
		if ev, err = events.ParseAsked(in.Event, r.PathValue("id"), at); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "event: " + err.Error()})
			return
		}
		if bad := d.screen([]events.Event{*ev}); len(bad) > 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "event: " + bad[0].Error})
			return
		}
	}
	d.explain(w, r, in.Rule, at, ev)
}

// decodeWhy reads POST /v1/members/{id}/why's body into in, over what
// the query gave: "" when it could, or what is wrong, as the events'
// parser says malformed JSON.
func decodeWhy(raw []byte, in any) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(in)
	if se := events.ExplainSyntax(raw, err); se != nil {
		return "the body is " + se.Error()
	}
	if err != nil {
		return whyBodyForm + " (" + err.Error() + ")"
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return whyBodyForm + ": there is more after its closing }"
	}
	return ""
}
