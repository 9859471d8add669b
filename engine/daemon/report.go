package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/survey"
)

// getReport answers the community health report (schema
// hearth.report/v1) as of ?at=YYYY-MM-DD, by default the latest day
// with events. It reads the store's tallies, not its members, so it is
// cheap at any size.
func (d *Daemon) getReport(w http.ResponseWriter, r *http.Request) {
	var at time.Time
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "at must be a day, YYYY-MM-DD"})
			return
		}
		at = t
	}
	// ?by=day|week|month and ?periods=N add the series, as hearth
	// report -by and -periods do.
	opt := analytics.Options{By: r.URL.Query().Get("by")}
	if s := r.URL.Query().Get("periods"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "periods must be a number"})
			return
		}
		opt.Periods = n
	}
	if opt.By != "" {
		if err := analytics.CheckSeries(opt.By, opt.Periods); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
	}
	tr, ok := d.opt.Store.(state.TallyReader)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, map[string]any{"error": "this state store keeps no tallies for reports"})
		return
	}
	var body []byte
	err := d.Query(r.Context(), func(ctx context.Context, _ *runtime.Runtime) error {
		t, err := tr.Tallies(ctx)
		if err != nil {
			return err
		}
		if len(t) == 0 && at.IsZero() {
			// No event gives the day: the report is of today, as hearth
			// report's, not of 1970-01-01.
			at = d.opt.Now().UTC().Truncate(24 * time.Hour)
		}
		body, err = marshalJSON(analytics.BuildWith(d.snap.Load().Config, t, at, opt))
		return err
	})
	d.answer(w, body, err)
}

// FeedbackRequest is the body of POST /v1/feedback: one member's answers
// to one survey, from a web form or a bot. ID makes sending it again
// safe: each answer's event id is ID/QUESTION.
type FeedbackRequest struct {
	ID      string         `json:"id"`
	Member  string         `json:"member"`
	Survey  string         `json:"survey"`
	At      time.Time      `json:"at"`
	Answers map[string]any `json:"answers"` // question -> score (number) or choice (string)
	Comment string         `json:"comment"`
}

// FeedbackProblem is one thing wrong with a POST /v1/feedback body, as
// the 400 lists them under "problems", the way POST /v1/events lists its
// bad events: Field is the body's key at fault (id, member, survey,
// answers, comment), answers.QUESTION for one answer, or body when the
// body is not a feedback object at all.
type FeedbackProblem struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// postFeedback checks every answer against the survey and submits them as
// feedback.submitted events, all or none, like POST /v1/events. A 400
// lists every problem under "problems", with "error" summing them up.
//
// Feedback for a member the state does not have is taken, as events
// for an unknown member are (a form may be answered before the join
// arrives from the platform): the runtime creates the member, joined at
// the feedback's time. Feedback names no survey send, so hearth cannot
// tell a form the member was never sent from one they were; the 202
// warns instead, as an id mistyped by the form would otherwise make a
// member out of nothing without a word.
func (d *Daemon) postFeedback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		d.reject(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 64 KiB", nil)
		return
	}
	var req FeedbackRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		msg := "the body must be one JSON object with id, member, survey, answers and optionally at and comment: " + strings.TrimPrefix(err.Error(), "json: ")
		d.rejectFeedback(w, http.StatusBadRequest, "invalid", msg, []FeedbackProblem{{Field: "body", Error: msg}})
		return
	}
	if req.At.IsZero() {
		req.At = d.opt.Now().UTC()
	}
	evs, problems := feedbackEvents(d.snap.Load().Config, req)
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Error
		}
		d.rejectFeedback(w, http.StatusBadRequest, "invalid", "the feedback was not accepted: "+strings.Join(msgs, "; "), problems)
		return
	}
	if ahead := d.future(evs); len(ahead) > 0 {
		d.reject(w, http.StatusUnprocessableEntity, "future", "the feedback was not accepted: "+ahead[0].Error, nil)
		return
	}
	known, err := d.knownMember(r.Context(), req.Member)
	if errors.Is(err, state.ErrFailing) {
		storeFailing(w, "the feedback", err)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "the feedback's member could not be looked up: " + err.Error() + "; send it again"})
		return
	}
	d.warnTaken(evs)
	dups, err := d.Submit(r.Context(), evs)
	switch {
	case errors.Is(err, ErrStopping):
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error() + "; send the feedback again later"})
		return
	case errors.Is(err, state.ErrFailing):
		storeFailing(w, "the feedback", err)
		return
	case err != nil:
		if br, ok := asBusRefusal(err); ok {
			d.busRefused(w, "the feedback", len(evs), br)
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "the feedback could not be stored: " + err.Error() + "; send it again (its id makes it safe)"})
		return
	}
	answer := map[string]any{"accepted": len(evs) - dups, "duplicates": dups}
	if !known && dups < len(evs) {
		answer["warnings"] = []MemberWarning{{Member: req.Member, Warning: fmt.Sprintf(
			"member %q was not known; created, joined at the feedback's time: check the form sends the id hearth knows the member by", req.Member)}}
	}
	writeJSON(w, http.StatusAccepted, answer)
}

// MemberWarning is a member a request named whom the state did not
// have, and whom it created: one of the "warnings" of POST /v1/feedback's
// 202.
type MemberWarning struct {
	Member  string `json:"member"`
	Warning string `json:"warning"`
}

// knownMember says whether the state has the member id.
func (d *Daemon) knownMember(ctx context.Context, id string) (bool, error) {
	err := d.member(ctx, id, func(*runtime.Runtime, state.Batch, *state.Member) error { return nil })
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// rejectFeedback refuses a feedback request with each of its problems,
// counted as one refused request.
func (d *Daemon) rejectFeedback(w http.ResponseWriter, code int, reason, msg string, problems []FeedbackProblem) {
	d.countRefusal(reason, 1)
	writeJSON(w, code, map[string]any{"error": msg, "problems": problems})
}

// feedbackEvents turns a request into events, or says everything wrong
// with it.
func feedbackEvents(surveys survey.Lookup, req FeedbackRequest) ([]events.Event, []FeedbackProblem) {
	var problems []FeedbackProblem
	bad := func(field, format string, args ...any) {
		problems = append(problems, FeedbackProblem{Field: field, Error: fmt.Sprintf(format, args...)})
	}
	if req.ID == "" {
		bad("id", "id is missing: give each submission a unique id, so sending it again is safe")
	}
	if req.Member == "" {
		bad("member", "member is missing")
	}
	if surveys.Survey(req.Survey) == nil {
		bad("survey", "there is no survey %q", req.Survey)
	}
	if len(req.Answers) == 0 {
		bad("answers", "answers is empty: give {\"QUESTION\": score or choice}")
	}
	if len(req.Comment) > events.MaxStringLen {
		bad("comment", "comment is too long")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	questions := make([]string, 0, len(req.Answers))
	for q := range req.Answers {
		questions = append(questions, q)
	}
	sort.Strings(questions)
	var evs []events.Event
	for _, q := range questions {
		var value string
		switch v := req.Answers[q].(type) {
		case json.Number:
			value = v.String()
		case string:
			value = v
		default:
			bad("answers."+q, "the answer to %q must be a number or a string", q)
			continue
		}
		a, err := survey.Value(surveys, req.Survey, q, value)
		if err != nil {
			bad("answers."+q, "%s", strings.TrimPrefix(err.Error(), survey.ErrInvalid.Error()+": "))
			continue
		}
		a.Comment = req.Comment
		ev := survey.Event(req.ID+"/"+q, req.Member, req.At, "http", a)
		if err := ev.Check(); err != nil {
			bad("answers."+q, "%s", err.Error())
			continue
		}
		evs = append(evs, ev)
	}
	return evs, problems
}
