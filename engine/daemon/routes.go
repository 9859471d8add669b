package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hearth-community/hearth/engine/daemon/dashboard"
	"github.com/hearth-community/hearth/engine/events"
)

// Route is one endpoint of the HTTP API. The server registers its routes
// from the one table routes returns, and hearth run -h lists the same
// table, so the documentation cannot leave a route out.
type Route struct {
	// Pattern is the http.ServeMux pattern, such as "POST /v1/events".
	Pattern string
	// Usage is how it is written for people, with its parameters, such
	// as "GET /v1/members/ID/why?rule=segment.NAME".
	Usage string
	// Doc says what it does.
	Doc string
	// Token says whether it needs the bearer token, when one is set.
	Token bool
	// Events says it takes events: a request to its path with another
	// method is refused as a request to it, counted in
	// hearth_requests_refused_total{reason="method"}.
	Events bool

	handler func(d *Daemon) http.HandlerFunc
}

// Routes lists the HTTP API, in the order hearth run -h shows it.
func Routes() []Route {
	rs := routes()
	for i := range rs {
		rs[i].handler = nil
	}
	return rs
}

// routes is the table the server registers from.
func routes() []Route {
	return []Route{
		{Pattern: "POST /v1/events", Usage: "POST /v1/events", Token: true, Events: true,
			Doc: fmt.Sprintf("one JSON event (pretty-printed or not), a JSON array of events, JSON lines, or a JSON text sequence (RFC 7464); "+
				"at most %d MiB and %d events a request (413 beyond, before the events are judged); the body is sent as itself (curl --data-binary @FILE; any JSON, "+
				"JSON-lines or application/json-seq Content-Type, text/plain, application/octet-stream, or the form type curl sends by default), in UTF-8 "+
				"(another charset, or a form upload (curl -F), XML or another type that is not JSON gets 415); 202 once durably stored, with \"warnings\" naming an event type neither "+
				"standard nor declared that looks like a typo of one that is (taken all the same), an attribute its type does not declare "+
				"that looks like a typo of one it does, which the event lacks (\"chanel\" for channel: taken, and no rule reads it), a member's timezone that is not an IANA time zone name "+
				"(\"Europe/Berln\", with the zone it looks like: taken, and the member's time zone is not set from it), and an id reused with different content, "+
				"within the request or after an event applied earlier (the first event applied, the later ones counted as duplicates); a refused request "+
				"changes nothing and lists every problem at once, each with its index, line, id and \"reason\": 400 when an event is invalid (malformed JSON with the line and column where it breaks; "+
				"an attribute of the wrong type for its event type: the rules could not read it; attrs nested deeper than %d levels, named), with the events dated "+
				"more than -max-ahead (5m) past this machine's clock (reason future) and those older than the event ids kept (too_old) listed beside them; "+
				"422 when those are all; ?backfill=true marks history sent in time order "+
				"(hearth replay does): timers wait until 10s after the last such request, so members are not taken to today "+
				"between two batches", MaxBody>>20, MaxEventsPerRequest, events.MaxDepth),
			handler: func(d *Daemon) http.HandlerFunc { return d.postEvents }},
		// Inbound platforms authenticate each request themselves
		// (signatures, signed links); a platform.Responder also answers
		// methods other than POST, so the route takes every method.
		{Pattern: "/v1/inbound/{type}/{name}", Usage: "POST /v1/inbound/TYPE/NAME",
			Doc: "events from a platform that takes them over HTTP, such as platform \"webhook\" \"NAME\" with inbound = true: " +
				"signed (X-Hearth-Timestamp, X-Hearth-Signature), no token; a bad, stale or replayed signature gets 401 or 409 " +
				"and changes nothing. An email platform's List-Unsubscribe link, GET|POST /v1/inbound/email/NAME?member=ID&token=T: " +
				"a one-click POST (List-Unsubscribe=One-Click) with a valid token ingests email.unsubscribed for the member, " +
				"once a day, and no more email goes to them through that platform; GET shows a confirm button; a bad token gets 403",
			handler: func(d *Daemon) http.HandlerFunc { return d.inbound }},
		{Pattern: "POST /v1/reload", Usage: "POST /v1/reload", Token: true,
			Doc: "reload now, reading the files as they are; 200 (\"unchanged\": true when the files mean the configuration in force; " +
				"\"removed_campaigns\" with their active_runs, \"removed_steps\" with the runs waiting at each) or 422 with diagnostics",
			handler: func(d *Daemon) http.HandlerFunc { return d.postReload }},
		{Pattern: "GET /v1/status", Usage: "GET  /v1/status", Token: true,
			Doc: "version, go_version, started_at and uptime_seconds; the configuration in force (its hash), reloads, " +
				"the change to the files held back while a file has no blocks left (\"reload_held\": since, until, files), counters, " +
				"queue_events (accepted, not yet committed), outbox, retention, bus; with -bus, the live \"replicas\" (id, address, hash, version, " +
				"partitions, started_at, last_seen) and \"config_mismatch\": true when their configuration hashes differ; the event types neither standard nor declared " +
				"taken lately (\"undeclared_types\": events, first and last seen, the known type each looks like), and the attributes taken " +
				"that look like a typo of one their type declares (\"attr_typos\": type, attribute, events, first and last seen, suggestion)",
			handler: func(d *Daemon) http.HandlerFunc { return d.status }},
		{Pattern: "GET /v1/members", Usage: "GET  /v1/members?q=TEXT", Token: true,
			Doc: "members in id order whose id or name contains TEXT (any case; no q lists all), &segment=NAME, &tier=NAME " +
				"(members who left are in neither), &left=true or false (who left, or who did not); 50 a page (&limit=N, at most 1000), with \"more\": true and \"next\" to give as &after= for the next page",
			handler: func(d *Daemon) http.HandlerFunc { return d.searchMembers }},
		{Pattern: "GET /v1/members/{id}", Usage: "GET  /v1/members/ID", Token: true,
			Doc:     "one member's state, as hearth member show -json prints it; ?form=stored as the store keeps it; 404 naming the id when the state has no such member",
			handler: func(d *Daemon) http.HandlerFunc { return d.getMember }},
		{Pattern: "GET /v1/members/{id}/history", Usage: "GET  /v1/members/ID/history", Token: true,
			Doc:     "what happened to the member: points, badges, tier and segment moves, campaign steps and actions",
			handler: func(d *Daemon) http.HandlerFunc { return d.history }},
		{Pattern: "GET /v1/members/{id}/why", Usage: "GET  /v1/members/ID/why?rule=segment.NAME", Token: true,
			Doc:     "which rule decides for the member and with which values (tier., badge., campaign., incentive. too); &at=RFC3339 for another time; POST asks an incentive's with an event",
			handler: func(d *Daemon) http.HandlerFunc { return d.why }},
		{Pattern: "POST /v1/members/{id}/why", Usage: "POST /v1/members/ID/why", Token: true,
			Doc: "GET's why with the event an incentive is asked about, as hearth member why -event: the body {\"rule\": \"incentive.NAME\", " +
				"\"event\": {\"type\": ..., \"attrs\": {...}}, \"at\": RFC3339} (the event's id, member and at may be left out; rule and at may be " +
				"?rule= and ?at=); the incentive's when and verdict are evaluated on that event, which is not applied; a bad event gets 400 in the words POST /v1/events has for it",
			handler: func(d *Daemon) http.HandlerFunc { return d.whyOn }},
		{Pattern: "POST /v1/members/{id}/pardon", Usage: "POST /v1/members/ID/pardon", Token: true,
			Doc:     "clear the member's moderation strikes, as hearth member pardon does; ?rule=NAME for one rule's",
			handler: func(d *Daemon) http.HandlerFunc { return d.pardon }},
		{Pattern: "GET /v1/members/{id}/export", Usage: "GET  /v1/members/ID/export", Token: true,
			Doc:     "everything the state keeps about the member (state, outcomes, outbox entries, moderation, referrals), as hearth member export prints it; 404 when it keeps nothing",
			handler: func(d *Daemon) http.HandlerFunc { return d.exportMember }},
		{Pattern: "POST /v1/members/{id}/forget", Usage: "POST /v1/members/ID/forget", Token: true,
			Doc:     "erase the member, as hearth member forget does: state, outcomes, outbox entries, other members' references; ?suppress=true refuses their later events",
			handler: func(d *Daemon) http.HandlerFunc { return d.forgetMember }},
		{Pattern: "POST /v1/members/{id}/unsuppress", Usage: "POST /v1/members/ID/unsuppress", Token: true,
			Doc:     "take the member off the suppression list, so their events are applied again; 404 when not on it",
			handler: func(d *Daemon) http.HandlerFunc { return d.liftSuppression }},
		{Pattern: "GET /v1/campaigns", Usage: "GET  /v1/campaigns", Token: true,
			Doc: "every campaign of the configuration in force, in its order: name, status (active, or paused), steps, runs entered, " +
				"running, and ended by how (goal, finished, exited, left, stopped), and goal_rate (goal of entered) for one with a goal; it reads every member",
			handler: func(d *Daemon) http.HandlerFunc { return d.listCampaigns }},
		{Pattern: "GET /v1/campaigns/{name}", Usage: "GET  /v1/campaigns/NAME", Token: true,
			Doc: "how the campaign is doing, as hearth campaign show -json prints it: entered, running by step, how runs ended, " +
				"A/B variants compared (each with its messages queued, \"sends\", and delivered), and \"steps\": each step's runs reached, sends (queued), delivered, pending, dead, failed, skipped " +
				"(by why), held (by what), timed out and the goal reached after its send, from the outcomes and outbox entries " +
				"retention keeps (\"step_records\"); it reads every member, so ask for it, not poll it",
			handler: func(d *Daemon) http.HandlerFunc { return d.campaignView }},
		{Pattern: "POST /v1/campaigns/{name}/stop", Usage: "POST /v1/campaigns/NAME/stop", Token: true,
			Doc: "end the campaign's runs, as hearth campaign stop does; ?member=ID for one member's, &key=KEY for the runs with that run_key key alone; " +
				"the stopped runs' sends still pending in the outbox are marked skipped (\"skipped\", how many), so nothing more goes out for them; " +
				"&keep_pending=true leaves them to go out (\"kept\"), &drop=true drops them, leaving no record (\"dropped\"); " +
				"one being sent at that moment goes out (\"going_out\"); " +
				"a stop holds nothing: the answer's \"paused\" and \"reentry\" say whether members still enter it (paused = true in its block holds it)",
			handler: func(d *Daemon) http.HandlerFunc { return d.stopCampaign }},
		{Pattern: "GET /v1/campaigns/{name}/stop", Usage: "GET  /v1/campaigns/NAME/stop", Token: true,
			Doc: "the runs POST would end with the same ?member= and ?key=, changing nothing (hearth campaign stop -dry-run): " +
				"\"runs\", each with member, key, step and entered_at, \"members\", how many members they are of, " +
				"and \"pending_sends\", their sends waiting in the outbox, which POST skips",
			handler: func(d *Daemon) http.HandlerFunc { return d.previewStop }},
		{Pattern: "GET /v1/communities", Usage: "GET  /v1/communities", Token: true,
			Doc:     "every community's figures now, its number of moderation rules, and every alert watching it: severity, holding, fired, last fired",
			handler: func(d *Daemon) http.HandlerFunc { return d.communities }},
		{Pattern: "GET /v1/population", Usage: "GET  /v1/population", Token: true,
			Doc:     "members stored and how many left, members per segment and tier (not counting those who left), campaign funnels and their A/B variants, and the sends held back (\"held\": quiet_hours, frequency_cap)",
			handler: func(d *Daemon) http.HandlerFunc { return d.population }},
		{Pattern: "GET /v1/outbox", Usage: "GET  /v1/outbox?status=pending|sent|dead|skipped", Token: true,
			Doc: "actions to send, sent, dead letters and skipped (member left, came back to a win-back, or unsubscribed from the email), due first on top; " +
				"filters as hearth outbox list's: &member=ID, &campaign=NAME, &platform=P (discord.main, or a type, discord), &since=T " +
				"(finished, or queued for pending ones, at T or later: 6h, 2d, RFC 3339 or YYYY-MM-DD), 400 for a bad value; when nothing matches, " +
				"\"warnings\" name a campaign or platform the configuration lacks; &limit=N (100), with \"more\": true and \"next\" to pass as &after= for the next page",
			handler: func(d *Daemon) http.HandlerFunc { return d.listOutbox }},
		{Pattern: "POST /v1/outbox/retry", Usage: "POST /v1/outbox/retry?status=dead|pending", Token: true,
			Doc: "make due now every action of that status GET /v1/outbox's filters select (&member, &campaign, &platform, &since), as hearth outbox retry -status does: " +
				"only those still in that status by then, so a sent one is never sent again; answers \"selected\", \"retried\" and the first 1000 \"keys\"; " +
				"?key=KEY for one action instead (404 when it is not pending or dead)",
			handler: func(d *Daemon) http.HandlerFunc { return d.retryOutbox }},
		{Pattern: "POST /v1/outbox/drop", Usage: "POST /v1/outbox/drop?key=KEY", Token: true,
			Doc: "remove one action from the outbox, whatever its status, as hearth outbox drop KEY does; answers {\"dropped\": KEY}, " +
				"404 when there is none, 409 while it is being sent (it is then recorded as sent, or retried)",
			handler: func(d *Daemon) http.HandlerFunc { return d.dropOutbox }},
		{Pattern: "GET /v1/timeseries", Usage: "GET  /v1/timeseries", Token: true,
			Doc:     "the dashboard's charts: counters sampled every 10s, the last hour, in memory",
			handler: func(d *Daemon) http.HandlerFunc { return d.timeseries }},
		{Pattern: "GET /v1/report", Usage: "GET  /v1/report", Token: true,
			Doc:     "the community health report of hearth report -json; ?at=YYYY-MM-DD, ?by=day|week|month and ?periods=N for the series",
			handler: func(d *Daemon) http.HandlerFunc { return d.getReport }},
		{Pattern: "POST /v1/feedback", Usage: "POST /v1/feedback", Token: true, Events: true,
			Doc: "one member's survey answers, {\"id\", \"member\", \"survey\", \"answers\": {QUESTION: score or choice}, \"at\", \"comment\"}; 202 (with a warning when the member was not known: created, joined at the feedback's time), " +
				"or 400 with every problem under \"problems\" ({\"field\", \"error\"}) and \"error\" summing them up",
			handler: func(d *Daemon) http.HandlerFunc { return d.postFeedback }},
		{Pattern: "POST /v1/state/backup", Usage: "POST /v1/state/backup", Token: true,
			Doc: "a consistent copy of the SQLite state, as one file in the answer (what hearth state backup saves); " +
				"events go on being applied meanwhile; 409 while another backup is being made, 501 for PostgreSQL state (use pg_dump)",
			handler: func(d *Daemon) http.HandlerFunc { return d.backupState }},
		{Pattern: "GET /metrics", Usage: "GET  /metrics", Token: true,
			Doc: "Prometheus metrics (the README lists them): events (refused by reason, likely attribute typos by type), rules, outbox, reloads, HTTP requests by route pattern, " +
				"refused tokens (hearth_http_unauthorized_total), hearth_build_info and hearth_config_info",
			handler: func(d *Daemon) http.HandlerFunc {
				return promhttp.HandlerFor(d.opt.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP
			}},
		// The page holds no data, so it needs no token; its API calls do.
		{Pattern: "GET /{$}", Usage: "GET  /",
			Doc: "the dashboard",
			handler: func(d *Daemon) http.HandlerFunc {
				return dashboard.Page(func() string {
					if s := d.snap.Load(); s != nil && s.Config != nil {
						return s.Config.Settings.DefaultLocale // the one in force, after a reload too
					}
					return ""
				}).ServeHTTP
			}},
		{Pattern: "GET /dashboard/", Usage: "GET  /dashboard/FILE",
			Doc:     "the dashboard's scripts and styles",
			handler: func(*Daemon) http.HandlerFunc { return dashboard.Assets().ServeHTTP }},
		{Pattern: "GET /healthz", Usage: "GET  /healthz",
			Doc:     "200 while the process serves and can recover by itself; 503 once the state store failed in a way only a restart mends (the daemon then stops, exit 1)",
			handler: func(d *Daemon) http.HandlerFunc { return d.healthz }},
		{Pattern: "GET /readyz", Usage: "GET  /readyz",
			Doc:     "200 when it takes events: its state store writes (a SQLite state whose disk is full does not) and its PostgreSQL state and NATS bus answer; 503 with the reason otherwise; from SIGTERM on, the listener is closed, so probes are refused like any new connection",
			handler: func(d *Daemon) http.HandlerFunc { return d.readyz }},
	}
}

// Drain makes /readyz answer 503 while the daemon still takes events, so
// a load balancer stops sending it requests before it stops: the time
// between the two is hearth run's -drain.
func (d *Daemon) Drain() { d.draining.Store(true) }

func (d *Daemon) postReload(w http.ResponseWriter, r *http.Request) {
	res := d.Reload("api")
	code := http.StatusOK
	if !res.OK {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, res)
}

// readiness is a dependency that can say whether it answers: the
// PostgreSQL store, the NATS bus, and the SQLite store, which fails
// while it cannot write (storehealth.go).
type readiness interface {
	Ready(ctx context.Context) error
}

// readyTimeout bounds each dependency's check, well inside the probe
// timeouts orchestrators use (Kubernetes: 1s by default, often raised).
const readyTimeout = 800 * time.Millisecond

func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	if d.stopping.Load() || d.snap.Load() == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready"})
		return
	}
	if d.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	deps := []struct {
		name string
		dep  any
	}{{"state", d.opt.Store}, {"bus", d.opt.Bus}}
	for _, x := range deps {
		dep, ok := x.dep.(readiness)
		if !ok {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := dep.Ready(ctx)
		cancel()
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reason": x.name + ": " + d.Redact(err.Error())})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
}
