package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/analytics"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// chromiumPath is Debian's chromium; the test runs wherever it is
// installed (CI installs it) and skips elsewhere.
const chromiumPath = "/usr/bin/chromium"

// TestDashboardInBrowser runs the daemon on the quickstart with its
// sample events, opens the dashboard in headless Chromium and checks
// what a person would read there: the tier ladder, the onboarding
// funnel, a member lookup with its "why", and a failed reload in red.
func TestDashboardInBrowser(t *testing.T) {
	needBrowser(t)
	q := startQuickstart(t, 200*time.Millisecond)
	srv, d, store, dir := q.srv, q.d, q.store, q.dir
	// What the page must show, from the API itself.
	var pop daemon.Population
	getJSON(t, srv.URL+"/v1/population", &pop)
	var u07 struct{ Points int }
	getJSON(t, srv.URL+"/v1/members/u07", &u07)
	if pop.Tiers["regular"] == 0 || u07.Points == 0 {
		t.Fatalf("the sample events gave no regulars or no points to u07: %+v, %d", pop.Tiers, u07.Points)
	}
	ctx := openBrowser(t)

	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)

	regular := fmt.Sprintf(`(() => { const r = document.querySelector('#tier-bars [data-name="regular"]');
		return !!r && r.textContent.includes("regular") && r.querySelector(".count").textContent === "%d"; })()`, pop.Tiers["regular"])
	waitPage(t, ctx, shots, fmt.Sprintf("the tier ladder shows regular with %d members", pop.Tiers["regular"]), regular)
	top := `document.querySelector("#tier-bars .bar-row").dataset.name === "core"`
	waitPage(t, ctx, shots, "the highest rung, core, is on top", top)
	waitPage(t, ctx, shots, "the onboarding funnel shows entered 30",
		`(() => { const s = document.querySelector('[data-campaign="onboarding"] [data-stage="entered"] .n'); return !!s && s.textContent === "30"; })()`)
	waitPage(t, ctx, shots, "the funnel has a stage for runs stop_when ended, apart from the goal",
		`(() => { const s = document.querySelector('[data-campaign="onboarding"] [data-stage="exited"] .n'); return !!s && s.textContent === "0"; })()`)
	waitPage(t, ctx, shots, "the overview counts the members", `document.getElementById("k-members").textContent === "30"`)
	waitPage(t, ctx, shots, "the commit time chart draws p50 and p99 of the batches",
		`document.querySelectorAll("#commit-chart path.line").length === 2 && /^p99 \d+\.\d ms/.test(document.getElementById("commit-now").textContent)`)

	// The community health section draws the same figures as GET /v1/report.
	var rep analytics.Report
	getJSON(t, srv.URL+"/v1/report", &rep)
	if rep.Members.Joined != 30 || rep.Funnel[1].Members == 0 {
		t.Fatalf("the report of the sample events: %+v", rep)
	}
	activeDays, cohorts := 0, 0
	for _, d := range rep.Daily {
		if d.Active > 0 {
			activeDays++
		}
	}
	for _, c := range rep.Weekly {
		if c.Size > 0 {
			cohorts++
		}
	}
	waitPage(t, ctx, shots, fmt.Sprintf("the health section shows %.1f%% active over 7 days", rep.Active.Ratio7*100),
		fmt.Sprintf(`document.getElementById("hr-a7").textContent === "%.1f%%" && document.getElementById("hr-asof").textContent === "as of %s"`, rep.Active.Ratio7*100, rep.AsOf))
	waitPage(t, ctx, shots, fmt.Sprintf("the funnel shows %d first contributions", rep.Funnel[1].Members),
		fmt.Sprintf(`(() => { const r = document.querySelector('#hr-funnel [data-name="first contribution"] .count'); return !!r && r.textContent === "%d"; })()`, rep.Funnel[1].Members))
	waitPage(t, ctx, shots, fmt.Sprintf("the daily chart has %d bars and the 7- and 30-day lines", activeDays),
		fmt.Sprintf(`document.querySelectorAll("#hr-daily rect.day").length === %d && document.querySelectorAll("#hr-daily path.active_7d, #hr-daily path.active_30d").length === 2`, activeDays))
	waitPage(t, ctx, shots, fmt.Sprintf("the retention table has %d cohorts", cohorts),
		fmt.Sprintf(`document.querySelectorAll("#hr-retention tbody tr").length === %d`, cohorts))
	// The segment chart starts with the sizes the store kept day by day
	// before the daemon's samples, and says so.
	var days struct {
		Series struct {
			Periods []struct {
				End      string                  `json:"end"`
				Segments []struct{ Name string } `json:"segments"`
			} `json:"periods"`
		} `json:"series"`
	}
	getJSON(t, srv.URL+"/v1/report?by=day&periods=30", &days)
	stored := 0
	for _, p := range days.Series.Periods {
		if len(p.Segments) > 0 && p.End < time.Now().UTC().Format(time.DateOnly) {
			stored++
		}
	}
	if stored == 0 {
		t.Fatalf("the report keeps no segment sizes of past days: %+v", days.Series.Periods)
	}
	waitPage(t, ctx, shots, fmt.Sprintf("the segment chart is seeded with %d stored days, and says so", stored),
		`(() => { const s = document.getElementById("seg-since").textContent; return s.startsWith("daily from ") && s.includes("(stored), then by the minute since the daemon started"); })()`)
	lookupExample(t, ctx, shots, srv.URL)
	do(t, ctx, "scroll to the health section", chromedp.Evaluate[chromedp.Void](`document.getElementById("health-report").scrollIntoView()`))
	shot(t, ctx, shots, "dashboard-health.png")

	// A small laptop's window, where the cards are one column: the
	// cohort table scrolls inside its card, not the page.
	tablet := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 800, Height: 900, DeviceScaleFactor: 1})
		return chromedp.Void{}, err
	})
	do(t, ctx, "widen the screen to 800 pixels", tablet)
	waitPage(t, ctx, shots, "nothing sticks out of the page or its cards at 800 pixels",
		`window.innerWidth === 800 && document.documentElement.scrollWidth <= window.innerWidth &&
		[...document.querySelectorAll(".card")].every((c) => c.scrollWidth <= c.clientWidth + 1)`)
	shot(t, ctx, shots, "dashboard-health-800.png")
	do(t, ctx, "back to the window's own size", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return chromedp.Void{}, err
	}))

	// A dead letter: the overview counts it in red and the Dead tab lists
	// it with its error and when it gave up. Marked on the processor
	// goroutine, as the dispatcher's updates would be, so it never
	// overlaps a commit.
	died := time.Date(2026, 11, 20, 14, 35, 0, 0, time.UTC)
	err := d.Query(ctx, func(ctx context.Context, _ *runtime.Runtime) error {
		entries, err := store.ListOutbox(ctx, "pending", 1)
		if err != nil || len(entries) == 0 {
			return fmt.Errorf("no pending action to kill: %v", err)
		}
		return store.MarkDead(ctx, entries[0].Key, 5, died, "platform answered 403 Forbidden: missing permission")
	})
	if err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "open the dead letters", `#outbox .tabs button[data-status="dead"]`)
	waitPage(t, ctx, shots, "the dead letter is listed with its error",
		`(() => { const r = document.querySelector("#outbox-table tr.dead"); return !!r && r.textContent.includes("403 Forbidden"); })()`)
	waitPage(t, ctx, shots, "the dead letter says when it gave up, under Gave up",
		fmt.Sprintf(`(() => { const r = document.querySelector("#outbox-table tr.dead td.when"), th = document.querySelectorAll("#outbox-table th")[5];
			return !!r && !!th && th.textContent === "Gave up" && r.textContent === new Date(%q).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }); })()`, died.Format(time.RFC3339)))
	waitPage(t, ctx, shots, "the overview counts one dead letter", `document.getElementById("k-dead").textContent === "1"`)

	do(t, ctx, "look up u07",
		chromedp.SetValue(chromedp.CSS("#member-id"), "u07"),
		chromedp.Click(chromedp.CSS(`#member-form button[type=submit]`)))
	waitPage(t, ctx, shots, fmt.Sprintf("the member view shows u07's %d points", u07.Points),
		fmt.Sprintf(`(() => { const p = document.querySelector("#member-view .points"); return !!p && p.textContent === "%d points"; })()`, u07.Points))
	waitPage(t, ctx, shots, "the why view explains a rule", `document.querySelectorAll("#why-out .explanation pre").length > 0`)
	shot(t, ctx, shots, "dashboard.png")

	// A broken file: the reload fails, the page must say so in red.
	if err := os.WriteFile(filepath.Join(dir, "broken.hcl"), []byte("segment \"oops\" {\n  community = community.explorers\n  when = \"member.points >=\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/v1/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var reload daemon.Reload
	err = json.NewDecoder(resp.Body).Decode(&reload)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusUnprocessableEntity || len(reload.Diagnostics.Diagnostics) == 0 {
		t.Fatalf("reload of a broken file: %d %v %+v", resp.StatusCode, err, reload)
	}
	summary := reload.Diagnostics.Diagnostics[0].Summary
	sum, _ := json.Marshal(summary)
	waitPage(t, ctx, shots, "the reloads section shows the error "+string(sum),
		fmt.Sprintf(`(() => { const r = document.querySelector("#reload-list .reload.failed"); return !!r && r.textContent.includes(%s) && r.textContent.includes("broken.hcl:"); })()`, sum))
	waitPage(t, ctx, shots, "the failed reload is drawn in red",
		`getComputedStyle(document.querySelector("#reload-list .reload.failed .status")).color !== getComputedStyle(document.querySelector("#reload-list .reload.ok .status") || document.body).color`)
	waitPage(t, ctx, shots, "the header says the reload failed", `document.getElementById("health").textContent === "last reload failed"`)
	do(t, ctx, "scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shot(t, ctx, shots, "dashboard-reload-failed.png")

	// Taken out again, the files mean the configuration in force: that
	// reload is shown as unchanged, not as one more configuration.
	if err := os.Remove(filepath.Join(dir, "broken.hcl")); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(srv.URL+"/v1/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	reload = daemon.Reload{}
	err = json.NewDecoder(resp.Body).Decode(&reload)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !reload.Unchanged {
		t.Fatalf("reload of the files in force: %d %v %+v", resp.StatusCode, err, reload)
	}
	waitPage(t, ctx, shots, "the reloads section marks the reload unchanged",
		`(() => { const r = document.querySelector("#reload-list .reload.unchanged"); return !!r && r.textContent.includes("UNCHANGED") && r.textContent.includes("nothing was swapped"); })()`)

	dark := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return chromedp.Void{}, err
	})
	do(t, ctx, "switch to dark mode", dark)
	shot(t, ctx, shots, "dashboard-dark.png")

	// With a token, the page asks for it once and keeps it for the tab,
	// out of the URL.
	const token = "s3cret-dashboard-token"
	authed := httptest.NewServer(d.Handler(token))
	defer authed.Close()
	do(t, ctx, "open the dashboard of a daemon with a token", chromedp.Navigate(authed.URL+"/"))
	waitPage(t, ctx, shots, "the page asks for the token", `document.getElementById("auth").open === true`)
	do(t, ctx, "give the token",
		chromedp.SetValue(chromedp.CSS("#auth-token"), token),
		chromedp.Click(chromedp.CSS(`#auth-form button[type=submit]`)))
	waitPage(t, ctx, shots, "the page loads with the token", `document.body.dataset.loaded === "true" && document.getElementById("k-members").textContent === "30"`)
	waitPage(t, ctx, shots, "the token is kept in sessionStorage, not in the URL",
		fmt.Sprintf(`!location.href.includes(%q) && sessionStorage.getItem("hearth.token") === %q`, token, token))
}

// quickstart is a daemon running on a copy of the quickstart.
type quickstart struct {
	srv   *httptest.Server
	d     *daemon.Daemon
	store *sqlite.Store
	dir   string
}

// startQuickstart runs a daemon on a copy of the quickstart, sampling the
// population at most every popEvery, and posts the sample events to it.
func startQuickstart(t *testing.T, popEvery time.Duration) quickstart {
	t.Helper()
	evs, err := os.ReadFile("../../examples/quickstart/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return startDashboard(t, copyQuickstart(t), evs, popEvery)
}

// startDashboard runs a daemon on the configuration in dir and posts
// events to it.
func startDashboard(t *testing.T, dir string, evs []byte, popEvery time.Duration, tweak ...func(*daemon.Options)) quickstart {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	opts := daemon.Options{Dir: dir, Store: store,
		Load:        config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}},
		SampleEvery: 200 * time.Millisecond, PopulationEvery: popEvery}
	for _, f := range tweak {
		f(&opts)
	}
	d, diags, _ := daemon.New(opts)
	if d == nil {
		t.Fatal(diags.Error())
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	srv := httptest.NewServer(d.Handler(""))
	t.Cleanup(func() {
		srv.Close()
		stopRun()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		store.Close()
	})
	resp, err := http.Post(srv.URL+"/v1/events", "application/x-ndjson", strings.NewReader(string(evs)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("posting the sample events: %d %s", resp.StatusCode, body)
	}
	return quickstart{srv: srv, d: d, store: store, dir: dir}
}

// openBrowser starts headless Chromium for the test; it ends with it.
// needBrowser skips a test that drives chromium where there is none, and
// in -short mode.
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s: apt-get install chromium to run the browser test", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
}

func openBrowser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() {
		cancel()
		cancelBrowser()
		cancelAlloc()
	})
	return ctx
}

// TestDashboardAtStart opens the page of a daemon whose only population
// sample was taken before its events came in, as after a start with
// -events: the segment chart must end at the page's own count, so its
// legend agrees with the segment bars, and a community that sold nothing
// shows no lifetime value rather than 0.00.
func TestDashboardAtStart(t *testing.T) {
	needBrowser(t)
	srv := startQuickstart(t, time.Hour).srv
	var pop daemon.Population
	getJSON(t, srv.URL+"/v1/population", &pop)
	if pop.Segments["active"] == 0 {
		t.Fatalf("the sample events put no one in segment active: %+v", pop.Segments)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	for name, n := range pop.Segments {
		waitPage(t, ctx, shots, fmt.Sprintf("the segment chart's legend says %s %d", name, n),
			fmt.Sprintf(`[...document.querySelectorAll("#seg-legend > span")].some((s) => s.textContent.replace(/\s+/g, " ").trim() === %q)`, fmt.Sprintf("%s %d", name, n)))
	}
	waitPage(t, ctx, shots, "lifetime value shows no figure", `document.getElementById("hr-ltv").textContent === "–"`)
}

// TestDashboardHealthExample opens the page of the health-report
// example, whose survey has negative NPS groups and whose members
// include some who left: the NPS bars must grow left (and red) for a
// negative score and right for a positive one, the member count and the
// tier ladder must agree with the report (members who left hold no
// tier), and on a phone-sized screen nothing may stick out of the page.
func TestDashboardHealthExample(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	for _, f := range []string{"main.hcl", "members.hcl", "pulse.hcl"} {
		b, err := os.ReadFile(filepath.Join("../../examples/health-report", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := os.ReadFile("../../examples/health-report/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	srv := startDashboard(t, dir, evs, 200*time.Millisecond).srv
	var rep analytics.Report
	getJSON(t, srv.URL+"/v1/report", &rep)
	if rep.Members.Left == 0 || len(rep.Surveys) == 0 || rep.Surveys[0].NPS == nil {
		t.Fatalf("the example's report has no members who left or no NPS: %+v", rep.Members)
	}
	var neg, pos string
	for _, g := range rep.Surveys[0].ByTier {
		if g.Score < 0 && neg == "" {
			neg = "tier " + g.Name
		}
		if g.Score > 0 && pos == "" {
			pos = "tier " + g.Name
		}
	}
	if neg == "" || pos == "" {
		t.Fatalf("the example's NPS by tier has no negative and positive group: %+v", rep.Surveys[0].ByTier)
	}

	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)

	// A bar's fill against the middle of its track, in pixels.
	bar := func(name string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelector('#hr-surveys [data-question="%s.%s"] .bar-row[data-name="%s"]');
			if (!r) return null; const t = r.querySelector(".track").getBoundingClientRect(), f = r.querySelector(".fill").getBoundingClientRect();
			return { mid: t.left + t.width / 2, left: f.left, right: f.right, width: f.width, neg: r.querySelector(".fill").classList.contains("neg") }; })()`,
			rep.Surveys[0].Survey, rep.Surveys[0].Question, name)
	}
	waitPage(t, ctx, shots, fmt.Sprintf("the NPS bar of %s grows left of the middle, in red", neg),
		fmt.Sprintf(`(() => { const b = %s; return !!b && b.neg && b.width > 5 && Math.abs(b.right - b.mid) < 2; })()`, bar(neg)))
	waitPage(t, ctx, shots, fmt.Sprintf("the NPS bar of %s grows right of the middle", pos),
		fmt.Sprintf(`(() => { const b = %s; return !!b && !b.neg && b.width > 5 && Math.abs(b.left - b.mid) < 2; })()`, bar(pos)))

	waitPage(t, ctx, shots, fmt.Sprintf("the overview counts the %d current members, and the %d who left", rep.Members.Current, rep.Members.Left),
		fmt.Sprintf(`document.getElementById("k-members").textContent === "%d" && document.getElementById("k-members-sub").textContent === "%d left"`, rep.Members.Current, rep.Members.Left))
	for _, tier := range rep.Tiers {
		waitPage(t, ctx, shots, fmt.Sprintf("the ladder shows %s with %d members, as the report", tier.Name, tier.Members),
			fmt.Sprintf(`(() => { const r = document.querySelector('#tier-bars [data-name="%s"] .count'); return !!r && r.textContent === "%d"; })()`, tier.Name, tier.Members))
	}
	do(t, ctx, "scroll to the health section", chromedp.Evaluate[chromedp.Void](`document.getElementById("health-report").scrollIntoView()`))
	shot(t, ctx, shots, "dashboard-health-example.png")

	phone := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
		return chromedp.Void{}, err
	})
	do(t, ctx, "narrow the screen to a phone's", phone)
	waitPage(t, ctx, shots, "nothing sticks out of the page or its cards at 390 pixels",
		`window.innerWidth === 390 && document.documentElement.scrollWidth <= window.innerWidth &&
		[...document.querySelectorAll(".card")].every((c) => c.scrollWidth <= c.clientWidth + 1)`)
	waitPage(t, ctx, shots, "the campaign stages' labels and counts do not overlap",
		`[...document.querySelectorAll(".stage-top")].every((e) => e.scrollWidth <= e.clientWidth + 1)`)
	shot(t, ctx, shots, "dashboard-phone.png")

}

// moderationConfig has one moderation rule and an alert on what it
// catches; quietConfig has neither.
const moderationConfig = `
platform "local" "main" {}

community "c" {
  title    = "Tea House"
  platform = platform.local.main
  moderation "ads" {
    keywords = { en = ["buy now"] }
    action   = "warn"
  }
}

alert "caught" {
  description = "The rules are catching a lot"
  community   = community.c
  when        = "community.flagged_1h >= 2"
  severity    = "critical"
  notify {
    channel = "email"
    to      = "mods@example.com"
  }
}

alert "reports" {
  community = community.c
  when      = "community.reports_24h >= 5"
  notify {
    channel = "email"
    to      = "mods@example.com"
  }
}
`

// TestDashboardModeration: an operator of a moderated community sees on
// the page what the rules caught in the last hour and which alerts fire,
// the firing one first and in red; a configuration without moderation
// or alerts shows no such section.
func TestDashboardModeration(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	write(t, dir, "main.hcl", moderationConfig)
	// The daemon's clock stands at half past the hour, so the messages ten
	// minutes before are in the current clock hour (the _1h figures)
	// whenever the test runs.
	clock := time.Now().UTC().Truncate(time.Hour).Add(30 * time.Minute)
	at := clock.Add(-10 * time.Minute).Format(time.RFC3339)
	var evs strings.Builder
	for i, text := range []string{"BUY NOW cheap tea", "hello all", "buy now, last chance"} {
		fmt.Fprintf(&evs, `{"id":"m%d","type":"message.posted","member":"u%d","at":%q,"attrs":{"text":%q,"channel":"general"}}`+"\n", i, i, at, text)
	}
	srv := startDashboard(t, dir, []byte(evs.String()), 200*time.Millisecond, func(o *daemon.Options) {
		o.Now = func() time.Time { return clock }
	}).srv

	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "the moderation section counts 2 messages caught in the hour, in red",
		`(() => { const k = document.querySelector('#moderation [data-community="c"] [data-figure="Caught this hour"]');
			return !document.getElementById("moderation").hidden && !!k && k.querySelector(".value").textContent === "2" && k.classList.contains("warn"); })()`)
	waitPage(t, ctx, shots, "the alert caught is firing, listed first, fired once",
		`(() => { const r = document.querySelector('#moderation table.alerts tbody tr');
			return !!r && r.dataset.alert === "caught" && r.classList.contains("firing") && r.querySelector(".state").textContent === "firing" && r.querySelectorAll("td")[3].textContent === "1"; })()`)
	// What fires is at the top of the page, not only in its section:
	// the header counts it in red (the alert is critical), and the
	// banner gives its description.
	waitPage(t, ctx, shots, "the header says 1 alert firing, in red, linking to the section, and the pill no longer says all is well",
		`(() => { const a = document.querySelector('#attention a[data-attention="alerts"]'); return !!a && !document.getElementById("attention").hidden &&
			a.textContent === "1 alert firing" && a.classList.contains("bad") && a.getAttribute("href") === "#moderation" && !document.getElementById("health").classList.contains("ok"); })()`)
	waitPage(t, ctx, shots, "the banner above the cards names the alert and says what it is for",
		`(() => { const b = document.querySelector('#alerts [data-alert="firing"][data-name="caught"]'); return !!b && b.classList.contains("bad") && b.textContent.includes("The rules are catching a lot"); })()`)
	waitPage(t, ctx, shots, "the alerts table shows the description, not only in a tooltip",
		`(document.querySelector('#moderation tr[data-alert="caught"] .description') || {textContent: ""}).textContent === "The rules are catching a lot"`)
	waitPage(t, ctx, shots, "the figures say this hour, and show the negative messages this hour, which negative_spike watches",
		`!!document.querySelector('#moderation [data-figure="Negative this hour"]') && !document.querySelector('#moderation [data-figure="Messages 1h"]') &&
			document.querySelector('#moderation [data-figure="Messages this hour"]').title.includes("clock hour")`)
	waitPage(t, ctx, shots, "the alert that never fired is listed as quiet",
		`(() => { const r = document.querySelector('#moderation tr[data-alert="reports"]'); return !!r && !r.classList.contains("firing") && r.textContent.includes("never"); })()`)
	// The member the rule warned: the lookup shows the strike and the
	// decision with its evidence, and explains the moderation.
	do(t, ctx, "look up u0",
		chromedp.SetValue(chromedp.CSS("#member-id"), "u0"),
		chromedp.Click(chromedp.CSS(`#member-form button[type=submit]`)))
	waitPage(t, ctx, shots, "the member view shows u0's live strike and the warning with its evidence",
		`(() => { const m = document.querySelector("#member-view dd.moderation"); return !!m && m.querySelector(".strikes").textContent === "1 live strike" &&
			m.textContent.includes("warn ads") && m.textContent.includes('keyword "buy now" (en)'); })()`)
	waitPage(t, ctx, shots, "the why view explains the moderation",
		`document.getElementById("why-rule").value === "moderation" && [...document.querySelectorAll("#why-out .explanation code")].some((c) => c.textContent === "member.strikes")`)
	waitPage(t, ctx, shots, "the segment chart says there are no segments, rather than to wait for a count",
		`document.getElementById("segment-chart").textContent.includes("no segments configured")`)
	do(t, ctx, "scroll to the moderation section", chromedp.Evaluate[chromedp.Void](`document.getElementById("moderation").scrollIntoView()`))
	shot(t, ctx, shots, "dashboard-moderation.png")

	// The quickstart has no moderation and no alerts: no section.
	quiet := startQuickstart(t, time.Hour).srv
	do(t, ctx, "open the quickstart's dashboard", chromedp.Navigate(quiet.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "no moderation section without moderation or alerts", `document.getElementById("moderation").hidden`)
}

func copyQuickstart(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := "../../examples/quickstart"
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if e.IsDir() {
			if e.Name() == ".hearth" {
				return filepath.SkipDir // a developer's local state
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// lookupExample checks that the member lookup's placeholder gives as its
// example an id of this state, the first member who has not left, and
// not the quickstart's u07 on every configuration.
func lookupExample(t *testing.T, ctx context.Context, shots, base string) {
	t.Helper()
	var page struct{ Members []struct{ ID string } }
	getJSON(t, base+"/v1/members?limit=1&left=false", &page)
	if len(page.Members) == 0 {
		t.Fatal("the state has no member to give as an example")
	}
	want := "member id or name, e.g. " + page.Members[0].ID
	waitPage(t, ctx, shots, fmt.Sprintf("the member lookup's placeholder reads %q", want),
		fmt.Sprintf(`document.getElementById("member-id").placeholder === %q`, want))
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// press clicks the element sel finds in one step in the page: the
// dashboard redraws refreshed sections, and a node looked up first and
// clicked after could be gone by then.
func press(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.click(); return true })()`, sel)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !ok {
		t.Fatalf("%s: no element matches %s", what, sel)
	}
}

// waitPage polls a JavaScript condition until it holds; on timeout it
// fails with the page's visible text, which says what was drawn instead.
func waitPage(t *testing.T, ctx context.Context, shots, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			shot(t, ctx, shots, "dashboard-failed.png")
			t.Fatalf("%s: not seen (last error: %v); the page shows:\n%s", what, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot writes a full-page PNG to the test's temp dir, and to
// HEARTH_SCREENSHOT_DIR when set, so CI can keep it as an artifact.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{dir}
	if d := os.Getenv("HEARTH_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Errorf("HEARTH_SCREENSHOT_DIR: %v", err)
		}
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Errorf("screenshot: %v", err)
			continue
		}
		t.Logf("screenshot: %s", p)
	}
}

// splitConfig is a welcome campaign split in two variants, whose goal is
// a first post.
const splitConfig = `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"

  step "pick" {
    split {
      variant "a" {
        weight = 50
        goto   = "hello"
      }
      variant "b" {
        weight = 50
        goto   = "hello"
      }
    }
  }

  step "hello" {
    wait = "24h"
  }
}
`

// The campaign card of a split campaign compares its variants, as hearth
// campaign show does.
func TestDashboardComparesVariants(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	write(t, dir, "main.hcl", splitConfig)
	var evs strings.Builder
	for i := range 60 {
		fmt.Fprintf(&evs, `{"id":"j%d","type":"member.joined","member":"m%02d","at":"2026-01-01T10:%02d:00Z"}`+"\n", i, i, i)
	}
	for i := range 60 {
		if i%3 != 0 {
			fmt.Fprintf(&evs, `{"id":"p%d","type":"message.posted","member":"m%02d","at":"2026-01-02T09:%02d:00Z"}`+"\n", i, i, i)
		}
	}
	srv := startDashboard(t, dir, []byte(evs.String()), 0).srv
	var pop daemon.Population
	getJSON(t, srv.URL+"/v1/population", &pop)
	split := pop.Splits["welcome"]
	if len(split) != 2 || split[0].Name != "a" || split[1].P == nil || split[0].Entered+split[1].Entered != 60 {
		t.Fatalf("population splits: %+v", pop.Splits)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	b := split[1]
	want := fmt.Sprintf("p = %.3f", *b.P)
	waitPage(t, ctx, shots, "variant b is compared with a: "+want,
		fmt.Sprintf(`(document.querySelector('table.variants[data-split="welcome"] tr[data-variant="b"]') || {textContent: ""}).textContent.includes(%q)`, want))
	waitPage(t, ctx, shots, "variant a's row has its goal rate",
		fmt.Sprintf(`(document.querySelector('table.variants tr[data-variant="a"]') || {textContent: ""}).textContent.includes(%q)`, fmt.Sprintf("%.1f%%", 100*split[0].GoalRate())))
	// Each arm's messages beside its goals, as campaign show's queued.
	waitPage(t, ctx, shots, "the variant table has a queued column",
		`(document.querySelector('table.variants[data-split="welcome"] thead') || {textContent: ""}).textContent.includes("goal ratequeueddeliveredagainst a")`)
	// The campaign's headline: its goal rate of the runs that ended (GET
	// /v1/report's), and what became of its messages, read once.
	var rep struct {
		Campaigns []struct {
			Name     string   `json:"name"`
			GoalRate *float64 `json:"goal_rate"`
		} `json:"campaigns"`
	}
	getJSON(t, srv.URL+"/v1/report", &rep)
	if len(rep.Campaigns) != 1 || rep.Campaigns[0].GoalRate == nil {
		t.Fatalf("report campaigns: %+v", rep.Campaigns)
	}
	rate := fmt.Sprintf("%.1f%% goal rate", 100**rep.Campaigns[0].GoalRate)
	waitPage(t, ctx, shots, "the headline gives the goal rate "+rate+" and the messages delivered",
		fmt.Sprintf(`(() => { const h = document.querySelector('[data-headline="welcome"]'); return !!h && h.textContent.includes(%q) && !!h.querySelector('[data-sends="welcome"]') && h.textContent.includes(" delivered · ") && h.textContent.includes(" skipped"); })()`, rate))
	waitPage(t, ctx, shots, "the variant rows have a delivered count",
		`[...document.querySelectorAll('table.variants[data-split="welcome"] tbody tr[data-variant="a"] td')][6].textContent !== "–"`)
	shot(t, ctx, shots, "dashboard-variants.png")
}

// A campaign card says how many of its running members have their send
// held back, and by what, as hearth campaign show does per step.
func TestDashboardShowsHeld(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	write(t, dir, "main.hcl", `
platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "t" {
  text = { en = "Hi" }
}

campaign "night" {
  community = community.c
  enter_on  = "member.joined"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "hello" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
}

campaign "plain" {
  community = community.c
  enter_on  = "member.joined"
  step "wait" {
    wait = "30d"
  }
}
`)
	evs := `{"id":"a","type":"member.joined","member":"ann","at":"2026-01-01T23:00:00Z"}
{"id":"b","type":"member.joined","member":"bob","at":"2026-01-01T23:05:00Z"}
`
	srv := startDashboard(t, dir, []byte(evs), 0, func(o *daemon.Options) {
		o.Now = func() time.Time { return time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC) }
	}).srv
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "night's card says two sends are held by quiet hours",
		`(document.querySelector('[data-campaign="night"] [data-held="night"]') || {textContent: ""}).textContent === "sends held back: 2 by quiet hours"`)
	waitPage(t, ctx, shots, "plain's card has no held line",
		`!!document.querySelector('[data-campaign="plain"]') && !document.querySelector('[data-campaign="plain"] [data-held]')`)
	shot(t, ctx, shots, "dashboard-held.png")
}

// A campaign card says how many ended runs retention kept as their key
// alone, which its funnel does not count, as hearth campaign show does.
func TestDashboardShowsKeysKept(t *testing.T) {
	needBrowser(t)
	dir := t.TempDir()
	write(t, dir, "main.hcl", `
hearth {
  state {
    outbox_retention = "1d"
  }
}

platform "local" "main" {}

community "club" {
  title    = "Club"
  platform = platform.local.main
}

event "meetup.rsvp" {
  attributes = {
    meetup = "string"
  }
}

template "t" {
  text = { en = "See you at ${event.meetup}" }
}

campaign "once" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  step "confirm" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
}

campaign "plain" {
  community = community.club
  enter_on  = "member.joined"
  step "wait" {
    wait = "30d"
  }
}
`)
	// The run for #42 ends at once; an event days later, past
	// outbox_retention, makes it compact: only its key is kept.
	evs := `{"id": "a42", "type": "meetup.rsvp", "member": "ann", "at": "2026-03-01T09:00:00Z", "attrs": {"meetup": "Go Night #42"}}
{"id": "a1", "type": "message.posted", "member": "ann", "at": "2026-03-05T09:00:00Z"}
{"id": "a2", "type": "message.posted", "member": "ann", "at": "2026-03-07T09:00:00Z"}
`
	srv := startDashboard(t, dir, []byte(evs), 0).srv
	var pop daemon.Population
	deadline := time.Now().Add(10 * time.Second)
	for {
		getJSON(t, srv.URL+"/v1/population", &pop)
		if pop.KeysKept["once"] == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pop.KeysKept["once"] != 1 || pop.KeysKept["plain"] != 0 {
		t.Fatalf("population keys_kept = %v, want once: 1", pop.KeysKept)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "once's card says one ended run is kept as its key alone",
		`(document.querySelector('[data-campaign="once"] [data-keys-kept="once"]') || {textContent: ""}).textContent === "not counted here: 1 ended run retention kept as the key alone"`)
	waitPage(t, ctx, shots, "plain's card has no kept-keys line",
		`!!document.querySelector('[data-campaign="plain"]') && !document.querySelector('[data-campaign="plain"] [data-keys-kept]')`)
	shot(t, ctx, shots, "dashboard-keys-kept.png")
}

// TestDashboardMemberSearch looks members up as an operator does: by
// name, in pages of a long list, and from a segment's bar, whose list
// must hold as many members as the bar counts.
func TestDashboardMemberSearch(t *testing.T) {
	needBrowser(t)
	q := startQuickstart(t, 200*time.Millisecond)
	var visitors strings.Builder
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for i := range 60 {
		fmt.Fprintf(&visitors, `{"id":"visit-%d","type":"member.joined","member":{"id":"v%02d","name":"Visitor %02d"},"at":%q}`+"\n", i, i, i, at)
	}
	resp, err := http.Post(q.srv.URL+"/v1/events", "application/x-ndjson", strings.NewReader(visitors.String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("posting the visitors: %d", resp.StatusCode)
	}
	var pop daemon.Population
	getJSON(t, q.srv.URL+"/v1/population", &pop)
	if pop.Segments["lurkers"] == 0 {
		t.Fatalf("the sample events put no one in segment lurkers: %+v", pop.Segments)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(q.srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)

	lookupExample(t, ctx, shots, q.srv.URL)

	find := func(text string) {
		do(t, ctx, "look up "+text,
			chromedp.SetValue(chromedp.CSS("#member-id"), text),
			chromedp.Click(chromedp.CSS(`#member-form button[type=submit]`)))
	}
	find("pia")
	waitPage(t, ctx, shots, "a name in another case opens the one member who has it, u16",
		`(() => { const c = document.querySelector("#member-view .member-card"); return !!c && c.textContent.includes("Pia") && c.textContent.includes("u16"); })()`)
	waitPage(t, ctx, shots, "the member's card lists their history, latest first",
		`(() => { const l = document.querySelectorAll('#member-view [data-history="u16"] ol.history li'); return l.length > 0; })()`)

	rows := `document.querySelectorAll("#member-view .member-list tbody tr").length`
	next := `document.querySelector("#member-view .member-list button.more")`
	find("visitor")
	waitPage(t, ctx, shots, "a name 60 members share lists the first 50, with a button for the rest",
		rows+` === 50 && !`+next+`.hidden && document.querySelector("#member-view .member-list tbody tr td").textContent === "v00"`)
	do(t, ctx, "show the next page", chromedp.Click(chromedp.CSS(`#member-view .member-list button.more`)))
	waitPage(t, ctx, shots, "the next page adds the other 10, and no more follow",
		rows+` === 60 && `+next+`.hidden && document.querySelector("#member-view .member-list tbody tr:last-child td").textContent === "v59"`)
	do(t, ctx, "open a listed member", chromedp.Click(chromedp.CSS(`#member-view .member-list tbody tr:nth-child(12) button.link`)))
	waitPage(t, ctx, shots, "the member's card opens", `(() => { const c = document.querySelector("#member-view .member-card"); return !!c && c.textContent.includes("Visitor 11"); })()`)

	find("nobody-by-this-name")
	waitPage(t, ctx, shots, "a text no member has says so", `document.querySelector("#member-view .error").textContent.includes("no member's id or name holds")`)

	press(t, ctx, "open the lurkers' bar", `#segment-bars .bar-row[data-name="lurkers"]`)
	waitPage(t, ctx, shots, fmt.Sprintf("the lurkers' list has the bar's %d members", pop.Segments["lurkers"]),
		fmt.Sprintf(`(() => { const l = document.querySelector("#member-view .member-list"); return !!l && l.textContent.includes("in segment lurkers") && %s === %d; })()`, rows, pop.Segments["lurkers"]))
	shot(t, ctx, shots, "dashboard-member-list.png")
}

// TestDashboardOutboxPages pages through a long outbox as an operator
// does: the first page, then Next until every pending action is shown,
// and the pages opened stay open when the dashboard refreshes.
func TestDashboardOutboxPages(t *testing.T) {
	needBrowser(t)
	q := startQuickstart(t, 200*time.Millisecond)
	// The sample events are applied in the background; wait until the
	// outbox stops growing.
	pending, last := 0, -1
	for deadline := time.Now().Add(20 * time.Second); pending != last; time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the outbox kept growing")
		}
		var st struct {
			Outbox map[string]int `json:"outbox"`
		}
		getJSON(t, q.srv.URL+"/v1/status", &st)
		last, pending = pending, st.Outbox["pending"]
	}
	if pending <= 50 {
		t.Fatalf("the sample events leave %d pending actions; the test needs more than two pages", pending)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(q.srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)

	rows := `document.querySelectorAll("#outbox-table tbody tr").length`
	next := `document.querySelector("#outbox-table button.more")`
	count := `document.querySelector("#outbox-table .count").textContent`
	waitPage(t, ctx, shots, fmt.Sprintf("the first 25 of %d pending actions, with a button for the next", pending),
		fmt.Sprintf(`%s === 25 && !%s.hidden && %s === "the 25 due first of %d"`, rows, next, count, pending))
	pages := 1
	for shown := 25; shown < pending; pages++ {
		press(t, ctx, "show the next page", `#outbox-table button.more`)
		shown = min(shown+25, pending)
		waitPage(t, ctx, shots, fmt.Sprintf("page %d: %d rows", pages+1, shown), fmt.Sprintf(`%s === %d`, rows, shown))
	}
	waitPage(t, ctx, shots, fmt.Sprintf("all %d are shown, and no button is left", pending),
		fmt.Sprintf(`%s.hidden && %s === "%d actions"`, next, count, pending))
	// Each row once: the keys of the rows are the outbox's, in order.
	var all struct {
		Entries []struct {
			Kind   string `json:"kind"`
			Member string `json:"member"`
		} `json:"entries"`
	}
	getJSON(t, fmt.Sprintf("%s/v1/outbox?status=pending&limit=%d", q.srv.URL, pending), &all)
	var want strings.Builder
	for _, e := range all.Entries {
		fmt.Fprintf(&want, "%s %s\n", e.Kind, e.Member)
	}
	waitPage(t, ctx, shots, "the rows are every pending action once, in the order they are due",
		fmt.Sprintf(`[...document.querySelectorAll("#outbox-table tbody tr")].map((r) => r.cells[0].textContent + " " + r.cells[2].textContent + "\n").join("") === %q`, want.String()))
	// A refresh (every 4 s) keeps what was opened.
	do(t, ctx, "mark the table", chromedp.Evaluate[chromedp.Void](`document.querySelector("#outbox-table table").dataset.old = "1"`))
	waitPage(t, ctx, shots, "after a refresh, every row is still shown",
		fmt.Sprintf(`!document.querySelector("#outbox-table table").dataset.old && %s === %d`, rows, pending))
	shot(t, ctx, shots, "dashboard-outbox-pages.png")
}

// TestDashboardShowsHeldReloadAndFailingStore: the page shows, above
// everything, a reload held back because a file was emptied (with the
// file and the blocks it would remove) and a state store that refuses
// writes (its error, and that events are refused), each gone once the
// condition is; the header's pill says the worst of them, and a store
// that recovered is mentioned in the header line.
func TestDashboardShowsHeldReloadAndFailingStore(t *testing.T) {
	needBrowser(t)
	q := startQuickstart(t, time.Hour)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan error, 1)
	go func() {
		watched <- q.d.Watch(watchCtx, daemon.WatchOptions{Settle: 50 * time.Millisecond, Grace: time.Hour})
	}()
	t.Cleanup(func() {
		stopWatch()
		if err := <-watched; err != nil {
			t.Errorf("watch: %v", err)
		}
	})
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(q.srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "no alert while all is well", `document.getElementById("alerts").children.length === 0 && document.getElementById("health").textContent === "running"`)

	// The watcher may start after the page: empty the file until it is
	// seen held.
	onboarding := filepath.Join(q.dir, "onboarding.hcl")
	kept, err := os.ReadFile(onboarding)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); q.d.Held() == nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the emptied file was never held")
		}
		if err := os.WriteFile(onboarding, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitPage(t, ctx, shots, "the page shows the held reload, its file and the blocks it would remove",
		`(() => { const a = document.querySelector('#alerts [data-alert="reload-held"]'); return !!a && a.textContent.includes("A reload is held back")
			&& (a.querySelector('[data-file="onboarding.hcl"]') || {textContent: ""}).textContent.includes("campaign.onboarding"); })()`)
	waitPage(t, ctx, shots, "the pill says the reload is held", `document.getElementById("health").textContent === "reload held"`)
	shot(t, ctx, shots, "dashboard-reload-held.png")
	if err := os.WriteFile(onboarding, kept, 0o644); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, shots, "the alert goes once the file is written again", `!document.querySelector('#alerts [data-alert="reload-held"]') && document.getElementById("health").textContent === "running"`)

	// The disk fills: an event's batch fails, and the store refuses
	// writes until there is room.
	var disk fullDisk
	q.store.InjectFaults(disk.fault)
	disk.full.Store(true)
	resp, err := http.Post(q.srv.URL+"/v1/events", "application/x-ndjson", strings.NewReader(`{"id":"full-1","type":"message.posted","member":"u07","at":"2026-11-20T10:00:00Z"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("an event on a full disk: %d; want 503", resp.StatusCode)
	}
	waitPage(t, ctx, shots, "the page shows the failing store, with its error",
		`(() => { const a = document.querySelector('#alerts [data-alert="state"]'); return !!a && a.textContent.includes("The state store is failing")
			&& a.textContent.includes("no space left on device") && a.textContent.includes("Events are refused"); })()`)
	waitPage(t, ctx, shots, "the pill says the store is failing, in red",
		`(() => { const p = document.getElementById("health"); return p.textContent === "state store failing" && p.classList.contains("bad"); })()`)
	// Reads of the state may fail meanwhile: the page keeps saying why,
	// not that the daemon is unreachable.
	do(t, ctx, "wait for another refresh", chromedp.Sleep(5*time.Second))
	waitPage(t, ctx, shots, "the pill still says the store is failing", `document.getElementById("health").textContent === "state store failing"`)
	shot(t, ctx, shots, "dashboard-store-failing.png")
	disk.full.Store(false)
	waitPage(t, ctx, shots, "the alert goes once the store recovered, and the header says it did",
		`!document.querySelector('#alerts [data-alert="state"]') && document.getElementById("health").textContent === "running"
			&& document.getElementById("meta").textContent.includes("state store recovered (1 failure since the start)")`)
}

// A split with a control and three variants, after a wait during which
// some members reach the goal: the card compares with the control,
// gives those runs a row of their own and says which threshold the
// verdicts use.
func TestDashboardVariantsControlAndBeforeSplit(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s: apt-get install chromium to run the browser test", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	dir := t.TempDir()
	cfg := strings.Replace(splitConfig, `  step "pick" {
    split {`, `  step "first" {
    wait = "1h"
  }

  step "pick" {
    split {
      control = "b"
      variant "c" {
        weight = 50
        goto   = "hello"
      }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var evs strings.Builder
	for i := range 60 {
		fmt.Fprintf(&evs, `{"id":"j%d","type":"member.joined","member":"m%02d","at":"2026-01-01T10:%02d:00Z"}`+"\n", i, i, i)
		if i%5 == 0 { // within the hour before the split
			fmt.Fprintf(&evs, `{"id":"q%d","type":"message.posted","member":"m%02d","at":"2026-01-01T10:%02d:30Z"}`+"\n", i, i, i)
		}
	}
	for i := range 60 {
		if i%3 != 0 && i%5 != 0 {
			fmt.Fprintf(&evs, `{"id":"p%d","type":"message.posted","member":"m%02d","at":"2026-01-02T09:%02d:00Z"}`+"\n", i, i, i)
		}
	}
	srv := startDashboard(t, dir, []byte(evs.String()), 0).srv
	var pop daemon.Population
	getJSON(t, srv.URL+"/v1/population", &pop)
	split, before := pop.Splits["welcome"], pop.BeforeSplit["welcome"]
	// In the split's order: c, a, b.
	if len(split) != 3 || !split[2].Control || split[2].Name != "b" || split[2].P != nil || split[0].P == nil || split[1].P == nil {
		t.Fatalf("population splits: %+v", pop.Splits)
	}
	if before.Entered != 12 || before.Goal != 12 || split[0].Entered+split[1].Entered+split[2].Entered+before.Entered != 60 {
		t.Fatalf("before split %+v; variants %+v", before, split)
	}
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "the table compares with the control b",
		`(document.querySelector('table.variants[data-split="welcome"] thead') || {textContent: ""}).textContent.includes("against b")`)
	waitPage(t, ctx, shots, "a row holds the runs before the split",
		`(document.querySelector('table.variants[data-split="welcome"] tr[data-variant=""]') || {textContent: ""}).textContent.includes("(before split)12")`)
	waitPage(t, ctx, shots, "the note gives Bonferroni's threshold",
		`(document.querySelector('.variants-note') || {textContent: ""}).textContent.includes("significant below 0.025 (Bonferroni)")`)
	shot(t, ctx, shots, "dashboard-variants-control.png")
}

// TestDashboardShowsDeadLetters: dead letters are counted in the header,
// red, with a link that opens the outbox's Dead tab, and an error the
// three of them share is said once above the table, with their count.
func TestDashboardShowsDeadLetters(t *testing.T) {
	needBrowser(t)
	f := startOutbox(t) // three dead welcomes, all "503 Service Unavailable"
	ctx := openBrowser(t)
	shots := t.TempDir()
	do(t, ctx, "open the dashboard", chromedp.Navigate(f.srv.URL+"/"))
	waitPage(t, ctx, shots, "the page loads its data", `document.body.dataset.loaded === "true"`)
	waitPage(t, ctx, shots, "the header says 3 dead letters, in red, and the pill is not a green running",
		`(() => { const a = document.querySelector('#attention a[data-attention="dead"]'); return !!a && a.textContent === "3 dead letters" &&
			a.classList.contains("bad") && !document.getElementById("health").classList.contains("ok"); })()`)
	press(t, ctx, "follow the header's link", `#attention a[data-attention="dead"]`)
	waitPage(t, ctx, shots, "the Dead tab is open, its three rows pointing to one line above the table with the error and its count",
		`(() => { const s = document.querySelector("#outbox-table .error-summary .same"); const tab = document.querySelector('.tabs button[data-status="dead"]');
			const cells = [...document.querySelectorAll("#outbox-table tbody td.same-error")];
			return tab.classList.contains("on") && !!s && s.textContent.includes("3 ×") && s.textContent.includes("503 Service Unavailable") &&
				cells.length === 3 && cells.every((c) => c.textContent === "as above (1)"); })()`)
	shot(t, ctx, shots, "dashboard-dead-letters.png")
}
