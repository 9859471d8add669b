package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/campaignstats"
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
)

const welcome = `
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
` + templateHi

// templateHi is the template the campaigns in these tests send.
const templateHi = `
template "hi" {
  text = { en = "Hi" }
}
`

// sendThenWait is a campaign whose first step sends hi and whose second
// waits 30 days, so a run stays active with its send pending.
func sendThenWait(name, step string) string {
	return fmt.Sprintf(`
campaign %q {
  community = community.c
  enter_on  = "member.joined"
  step %q {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "later" {
    wait = "30d"
  }
}
`, name, step)
}

// joinThree posts m0, m1 and m2 joining an hour ago: the daemon's
// timers run at the wall clock.
func joinThree(t *testing.T, f *fixture) {
	t.Helper()
	var joins strings.Builder
	for i := range 3 {
		fmt.Fprintf(&joins, `{"id":"j%d","type":"member.joined","member":"m%d","at":%q}`+"\n", i, i, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))
	}
	if code, body := post(t, f, "/v1/events", joins.String(), ""); code != http.StatusAccepted {
		t.Fatalf("joins: %d %v", code, body)
	}
}

// While the daemon runs, a campaign is stopped through it, for one member
// or everyone in it; unknown names are 404s that change nothing.
func TestStopCampaignThroughTheDaemon(t *testing.T) {
	f := start(t, rulesA+welcome, "")
	joinThree(t, f)
	running := func() map[string]bool {
		out := map[string]bool{}
		_ = f.store.Members(context.Background(), func(m *state.Member) error {
			if m.Campaigns["welcome"].Active() {
				out[m.ID] = true
			}
			return nil
		})
		return out
	}
	if r := running(); len(r) != 3 {
		t.Fatalf("running before: %v", r)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/campaigns/welcom/stop", http.StatusNotFound, "the campaigns are: welcome"},
		{"/v1/campaigns/welcome/stop?member=nobody", http.StatusNotFound, "no member nobody"},
	} {
		code, body := post(t, f, tc.path, "", "")
		if code != tc.code || !strings.Contains(fmt.Sprint(body["error"]), tc.want) {
			t.Errorf("%s: %d %v; want %d saying %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	if r := running(); len(r) != 3 {
		t.Fatalf("a refused stop changed the runs: %v", r)
	}
	code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m1", "", "")
	if code != http.StatusOK || body["stopped"] != 1.0 {
		t.Fatalf("stop m1: %d %v", code, body)
	}
	if r := running(); len(r) != 2 || r["m1"] {
		t.Fatalf("after stopping m1: %v", r)
	}
	// GET lists what POST would stop, and changes nothing.
	code, body = get(t, f, "/v1/campaigns/welcome/stop")
	runs, _ := body["runs"].([]any)
	if code != http.StatusOK || body["members"] != 2.0 || len(runs) != 2 {
		t.Fatalf("preview: %d %v", code, body)
	}
	if run := runs[0].(map[string]any); run["member"] == "m1" || run["step"] == "" || run["entered_at"] == "" {
		t.Errorf("preview run: %v; want a running member with its step and entry", run)
	}
	if code, body := get(t, f, "/v1/campaigns/welcome/stop?member=nobody"); code != http.StatusNotFound || !strings.Contains(fmt.Sprint(body["error"]), "no member nobody") {
		t.Errorf("preview of an unknown member: %d %v", code, body)
	}
	if code, _ := get(t, f, "/v1/campaigns/welcom/stop"); code != http.StatusNotFound {
		t.Errorf("preview of an unknown campaign: %d", code)
	}
	if r := running(); len(r) != 2 {
		t.Fatalf("the preview changed the runs: %v", r)
	}
	code, body = post(t, f, "/v1/campaigns/welcome/stop", "", "")
	if code != http.StatusOK || body["stopped"] != 2.0 {
		t.Fatalf("stop all: %d %v", code, body)
	}
	if r := running(); len(r) != 0 {
		t.Fatalf("after stopping everyone: %v", r)
	}
}

// The status names paused campaigns, for the dashboard's cards.
func TestStatusNamesPausedCampaigns(t *testing.T) {
	f := start(t, rulesA+strings.Replace(welcome, `enter_on  = "member.joined"`, "enter_on  = \"member.joined\"\n  paused    = true", 1), "")
	_, status := get(t, f, "/v1/status")
	paused := fmt.Sprint(status["config"].(map[string]any)["paused"])
	if paused != "[welcome]" {
		t.Fatalf("config.paused = %s; want [welcome]", paused)
	}
}

// GET /v1/outbox says when there are more entries than it lists.
func TestOutboxListSaysWhenThereAreMore(t *testing.T) {
	f := start(t, rulesA+strings.Replace(welcome, `wait = "30d"`, "", 1), "")
	joinThree(t, f)
	for _, tc := range []struct {
		limit   string
		entries int
		more    bool
	}{{"2", 2, true}, {"3", 3, false}, {"100", 3, false}} {
		code, out := get(t, f, "/v1/outbox?limit="+tc.limit)
		entries, _ := out["entries"].([]any)
		if code != 200 || len(entries) != tc.entries || out["more"] != tc.more {
			t.Errorf("limit %s: %d, %d entries, more %v; want %d entries, more %v", tc.limit, code, len(entries), out["more"], tc.entries, tc.more)
		}
	}
}

// GET /v1/campaigns/NAME is hearth campaign show -json: the funnel and
// each step's figures from the outcomes and outbox entries; unknown names
// are 404s that list the campaigns.
func TestCampaignView(t *testing.T) {
	f := start(t, rulesA+strings.Replace(welcome, `wait = "30d"`, "", 1), "")
	joinThree(t, f)
	if code, body := get(t, f, "/v1/campaigns/welcom"); code != http.StatusNotFound || !strings.Contains(fmt.Sprint(body["error"]), "the campaigns are: welcome") {
		t.Errorf("an unknown campaign: %d %v", code, body)
	}
	var view campaignstats.Report
	getJSON(t, f.srv.URL+"/v1/campaigns/welcome", &view)
	if view.Campaign != "welcome" || view.Total.Entered != 3 || len(view.Steps) != 1 || view.StepRecords == nil {
		t.Fatalf("view: %+v", view)
	}
	// The dispatcher may have tried the sends since: their statuses add
	// up to the sends either way.
	hello := view.Steps[0]
	if hello.Step != "hello" || hello.Reached != 3 || hello.Sends != 3 || hello.RunsSent != 3 ||
		hello.Delivered+hello.Pending+hello.Dead+hello.SkippedAtDelivery != 3 {
		t.Errorf("hello: %+v", hello)
	}
	if view.StepRecords.OutboxRetention != "90d" || view.StepRecords.OutcomeRetention != "" {
		t.Errorf("records: %+v", view.StepRecords)
	}
}

// ?drop=true drops the pending sends of the runs the stop ends, and of
// those alone: another campaign's, and those of a run stopped with
// ?keep_pending=true, stay.
func TestStopCampaignDropsPendingSends(t *testing.T) {
	f := start(t, rulesA+sendThenWait("welcome", "hello")+sendThenWait("tips", "tip")+templateHi, "")
	joinThree(t, f)
	// The fixture has no sender: every send stays pending.
	pending := func() []string {
		t.Helper()
		var keys []string
		err := state.SelectAll(context.Background(), f.store, state.OutboxFilter{Statuses: []string{state.OutboxPending}}, func(page []state.OutboxEntry) {
			for _, e := range page {
				keys = append(keys, e.Campaign+"/"+e.Member)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(keys)
		return keys
	}
	if got := pending(); len(got) != 6 {
		t.Fatalf("pending before: %v", got)
	}
	if code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m1&drop=maybe", "", ""); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "drop must be true or false") {
		t.Errorf("drop=maybe: %d %v", code, body)
	}
	code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m0&keep_pending=true", "", "")
	_, dropped := body["dropped"]
	_, skipped := body["skipped"]
	if code != http.StatusOK || body["stopped"] != 1.0 || body["kept"] != 1.0 || dropped || skipped {
		t.Fatalf("stop m0 keeping its sends: %d %v", code, body)
	}
	code, body = post(t, f, "/v1/campaigns/welcome/stop?member=m1&drop=true", "", "")
	if code != http.StatusOK || body["stopped"] != 1.0 || body["dropped"] != 1.0 {
		t.Fatalf("stop m1 with drop: %d %v", code, body)
	}
	want := "[tips/m0 tips/m1 tips/m2 welcome/m0 welcome/m2]"
	if got := fmt.Sprint(pending()); got != want {
		t.Fatalf("pending after stopping m1: %s; want %s", got, want)
	}
	// Everyone still in it: m2 alone; m0's run ended before.
	code, body = post(t, f, "/v1/campaigns/welcome/stop?drop=true", "", "")
	if code != http.StatusOK || body["stopped"] != 1.0 || body["dropped"] != 1.0 {
		t.Fatalf("stop all with drop: %d %v", code, body)
	}
	want = "[tips/m0 tips/m1 tips/m2 welcome/m0]"
	if got := fmt.Sprint(pending()); got != want {
		t.Fatalf("pending after stopping everyone: %s; want %s", got, want)
	}
}

// A stop marks the stopped runs' pending sends skipped, with the reason,
// so that nothing more goes out for them; GET says how many it would.
// Another campaign's sends, and other members', stay pending.
func TestStopCampaignSkipsPendingSends(t *testing.T) {
	f := start(t, rulesA+sendThenWait("welcome", "hello")+sendThenWait("tips", "tip")+templateHi, "")
	joinThree(t, f)
	byStatus := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		err := state.SelectAll(context.Background(), f.store, state.OutboxFilter{}, func(page []state.OutboxEntry) {
			for _, e := range page {
				out[e.Status] = append(out[e.Status], e.Campaign+"/"+e.Member)
				if e.Status == state.OutboxSkipped && e.LastError != state.OutboxSkippedStopped {
					t.Errorf("%s skipped as %q; want %q", e.Key, e.LastError, state.OutboxSkippedStopped)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, keys := range out {
			sort.Strings(keys)
		}
		return out
	}
	for _, q := range []string{"keep_pending=maybe", "drop=true&keep_pending=true"} {
		if code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m1&"+q, "", ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d %v; want 400", q, code, body)
		}
	}
	if code, body := get(t, f, "/v1/campaigns/welcome/stop?member=m1"); code != http.StatusOK || body["pending_sends"] != 1.0 {
		t.Fatalf("preview of m1: %d %v; want 1 pending send", code, body)
	}
	code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m1", "", "")
	_, dropped := body["dropped"]
	if code != http.StatusOK || body["stopped"] != 1.0 || body["skipped"] != 1.0 || dropped {
		t.Fatalf("stop m1: %d %v; want 1 skipped", code, body)
	}
	got := byStatus()
	if want := "[welcome/m1]"; fmt.Sprint(got[state.OutboxSkipped]) != want {
		t.Errorf("skipped after stopping m1: %v; want %s", got[state.OutboxSkipped], want)
	}
	if want := "[tips/m0 tips/m1 tips/m2 welcome/m0 welcome/m2]"; fmt.Sprint(got[state.OutboxPending]) != want {
		t.Errorf("pending after stopping m1: %v; want %s", got[state.OutboxPending], want)
	}
	if code, body := get(t, f, "/v1/campaigns/welcome/stop"); code != http.StatusOK || body["pending_sends"] != 2.0 {
		t.Fatalf("preview of everyone: %d %v; want 2 pending sends", code, body)
	}
	code, body = post(t, f, "/v1/campaigns/welcome/stop", "", "")
	if code != http.StatusOK || body["stopped"] != 2.0 || body["skipped"] != 2.0 {
		t.Fatalf("stop everyone: %d %v; want 2 skipped", code, body)
	}
	got = byStatus()
	if want := "[tips/m0 tips/m1 tips/m2]"; fmt.Sprint(got[state.OutboxPending]) != want {
		t.Errorf("pending after stopping everyone: %v; want %s", got[state.OutboxPending], want)
	}
	if code, body := get(t, f, "/v1/campaigns/welcome/stop"); code != http.StatusOK || body["pending_sends"] != 0.0 {
		t.Errorf("preview after the stop: %d %v; want 0 pending sends", code, body)
	}
}

// blockingSender holds the first send until released, as a slow
// platform call does.
type blockingSender struct {
	sending chan string
	release chan struct{}
	once    sync.Once
}

func (b *blockingSender) Send(_ context.Context, a state.Action) error {
	b.sending <- a.Key
	<-b.release
	return nil
}

// Release lets the held send, and every later one, through.
func (b *blockingSender) Release() { b.once.Do(func() { close(b.release) }) }

// startBlocking starts a daemon on rules that delivers through a
// blockingSender, released when the test ends if it has not been.
func startBlocking(t *testing.T, rules string) (*fixture, *blockingSender) {
	t.Helper()
	bs := &blockingSender{sending: make(chan string, 1), release: make(chan struct{})}
	f := start(t, rules, "", func(o *daemon.Options) {
		o.Sender = bs
		o.DeliverEvery = 10 * time.Millisecond
	})
	// Registered after start's: runs first, so the daemon can stop.
	t.Cleanup(bs.Release)
	return f, bs
}

// A stop while the daemon is delivering one of the runs' sends leaves
// that send, whether the stop skips the others or drops them (?drop=true):
// it goes out and stays recorded as sent, counted as going_out, neither
// skipped nor dropped.
func TestStopCampaignLeavesTheSendGoingOut(t *testing.T) {
	for _, tc := range []struct{ query, counted string }{{"", "skipped"}, {"&drop=true", "dropped"}} {
		t.Run(tc.counted, func(t *testing.T) {
			f, bs := startBlocking(t, rulesA+sendThenWait("welcome", "hello")+templateHi)
			join := fmt.Sprintf(`{"id":"j0","type":"member.joined","member":"m0","at":%q}`, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
			if code, body := post(t, f, "/v1/events", join, ""); code != http.StatusAccepted {
				t.Fatalf("join: %d %v", code, body)
			}
			var key string
			select {
			case key = <-bs.sending:
			case <-time.After(10 * time.Second):
				t.Fatal("the welcome was never sent")
			}
			code, body := post(t, f, "/v1/campaigns/welcome/stop?member=m0"+tc.query, "", "")
			if code != http.StatusOK || body["stopped"] != 1.0 || body[tc.counted] != 0.0 || body["going_out"] != 1.0 {
				t.Fatalf("stop while sending: %d %v; want stopped 1, %s 0, going_out 1", code, body, tc.counted)
			}
			bs.Release()
			deadline := time.Now().Add(10 * time.Second)
			for {
				sent, err := f.store.ListOutbox(context.Background(), state.OutboxSent, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(sent) == 1 && sent[0].Key == key {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("sent records: %v; want the welcome %s recorded as sent", sent, key)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// POST /v1/outbox/drop removes one action; 409 while the daemon is
// sending it, 404 for none, 400 without a key.
func TestDropOutboxAction(t *testing.T) {
	f, bs := startBlocking(t, rulesA+`
campaign "welcome" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`+templateHi)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	joins := fmt.Sprintf(`{"id":"j0","type":"member.joined","member":"m0","at":%q}`+"\n"+`{"id":"j1","type":"member.joined","member":"m1","at":%q}`, at, at)
	if code, body := post(t, f, "/v1/events", joins, ""); code != http.StatusAccepted {
		t.Fatalf("joins: %d %v", code, body)
	}
	var sending string
	select {
	case sending = <-bs.sending:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was sent")
	}
	if code, body := post(t, f, "/v1/outbox/drop", "", ""); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "key is missing") {
		t.Errorf("no key: %d %v", code, body)
	}
	if code, body := post(t, f, "/v1/outbox/drop?key=nope", "", ""); code != http.StatusNotFound {
		t.Errorf("unknown key: %d %v", code, body)
	}
	if code, body := post(t, f, "/v1/outbox/drop?key="+url.QueryEscape(sending), "", ""); code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["error"]), "being sent") {
		t.Errorf("the action being sent: %d %v; want 409", code, body)
	}
	// The other welcome waits behind the first: it can go.
	pending, err := f.store.ListOutbox(context.Background(), state.OutboxPending, 10)
	if err != nil {
		t.Fatal(err)
	}
	var other string
	for _, e := range pending {
		if e.Key != sending {
			other = e.Key
		}
	}
	if code, body := post(t, f, "/v1/outbox/drop?key="+url.QueryEscape(other), "", ""); code != http.StatusOK || body["dropped"] != other {
		t.Fatalf("the waiting action %q: %d %v", other, code, body)
	}
	bs.Release()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		sent, err := f.store.ListOutbox(context.Background(), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) == 1 && sent[0].Key == sending && sent[0].Status == state.OutboxSent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: %v; want only %s, sent", sent, sending)
		}
	}
	select {
	case k := <-bs.sending:
		t.Errorf("the dropped action was sent: %s", k)
	default:
	}
}

// GET /v1/campaigns lists every campaign of the configuration, in its
// order, with its runs counted: a paused one says so, and one with a goal
// has its goal rate.
func TestListCampaigns(t *testing.T) {
	nudge := `
campaign "nudge" {
  community = community.c
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "later" {
    wait = "30d"
  }
}
campaign "held" {
  community = community.c
  enter_on  = "member.joined"
  paused    = true
  step "later" {
    wait = "30d"
  }
}
`
	f := start(t, rulesA+welcome+nudge, "")
	joinThree(t, f)
	post(t, f, "/v1/events", fmt.Sprintf(`{"id":"p0","type":"message.posted","member":"m0","at":%q}`, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)), "")
	var out struct {
		Campaigns []daemon.CampaignSummary `json:"campaigns"`
	}
	getJSON(t, f.srv.URL+"/v1/campaigns", &out)
	var got []string
	for _, c := range out.Campaigns {
		rate := "-"
		if c.GoalRate != nil {
			rate = fmt.Sprintf("%.2f", *c.GoalRate)
		}
		got = append(got, fmt.Sprintf("%s %s steps=%d entered=%d running=%d goal=%d rate=%s", c.Name, c.Status, c.Steps, c.Entered, c.Running, c.Goal, rate))
	}
	want := "welcome active steps=1 entered=3 running=3 goal=0 rate=-|nudge active steps=1 entered=3 running=2 goal=1 rate=0.33|held paused steps=1 entered=0 running=0 goal=0 rate=-"
	if strings.Join(got, "|") != want {
		t.Errorf("campaigns:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}
