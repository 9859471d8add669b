package runtime_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/runtime"
	"github.com/hearth-community/hearth/engine/state"
)

// RunInfos gives of a finished run its variant and the other, its sends
// from the outbox (not another run's) and the outcomes (skipped at the
// step), oldest first, its conversion window open or closed by the time
// asked, and the fate of a step asked about.
func TestRunInfosVariantSendsWindowAndStep(t *testing.T) {
	cfg := load(t, templates+optOut+conversionCampaign)
	_, _, m := run(t, cfg, ev("j1", "member.joined", "bob", 0, 9, ""))
	bob := m["bob"]
	r := runtime.New(cfg, nil)
	day := func(d, h, min int) time.Time { return time.Date(2026, 1, 1+d, h, min, 0, 0, time.UTC) }
	box := []state.OutboxEntry{
		{Action: state.Action{Key: "campaign/welcome/bob/1/1/hello", Member: "bob", Campaign: "welcome", Step: "hello", At: day(0, 9, 0)}, Status: state.OutboxSent, SentAt: day(0, 9, 5), FinishedAt: day(0, 9, 5)},
		// Another run's send (run 2 of the key) is not this run's.
		{Action: state.Action{Key: "campaign/welcome/bob/2/1/hello", Member: "bob", Campaign: "welcome", Step: "hello", At: day(0, 9, 0)}, Status: state.OutboxDead, FinishedAt: day(0, 10, 0)},
	}
	outs := []state.Outcome{{Member: "bob", Kind: state.KindCampaign, Name: "welcome", Change: "skip", Detail: "hello: the member unsubscribed", At: day(0, 8, 59).Add(time.Minute)}}

	infos := r.RunInfos(bob, "campaign.welcome", "hello", day(2, 0, 0), outs, box)
	if len(infos) != 1 {
		t.Fatalf("RunInfos: %d runs; want 1: %+v", len(infos), infos)
	}
	info := infos[0]
	other := map[string]string{"a": "b", "b": "a"}[info.Variant]
	if info.Run != "welcome" || info.Number != 1 || info.Ended != "finished" || other == "" || !slices.Equal(info.OtherVariants, []string{other}) {
		t.Errorf("run %+v; want welcome, run 1, finished, variant a or b with the other", info)
	}
	var sends []string
	for _, s := range info.Sends {
		sends = append(sends, s.Step+" "+s.Status+" "+s.At.Format("15:04")+" "+s.Detail)
	}
	if want := []string{"hello sent 09:05 ", "hello skipped_at_step 00:00 the member unsubscribed"}; !slices.Equal(sends, want) {
		t.Errorf("sends %q; want %q", sends, want)
	}
	w := info.ConversionWindow
	if w == nil || w.Length != "3d" || w.From != "entry" || !w.Start.Equal(day(0, 9, 0)) || !w.Closes.Equal(day(3, 9, 0)) || w.State != runtime.WindowOpen {
		t.Errorf("window %+v; want 3d from the entry, open until 01-04 09:00", w)
	}
	if f := info.Step; f == nil || f.Name != "hello" || f.Fate != runtime.FateSent || f.SendsNothing {
		t.Errorf("step %+v; want hello, sent", f)
	}
	if w := r.RunInfos(bob, "campaign.welcome", "", day(3, 9, 1), outs, box)[0].ConversionWindow; w.State != runtime.WindowClosed {
		t.Errorf("window past its close: %+v; want closed", w)
	}
	// Without a step, a campaign the member never entered tells nothing;
	// with one, that they never entered.
	if got := r.RunInfos(state.NewMember("cy", day(0, 0, 0)), "campaign.welcome", "", day(0, 0, 0), nil, nil); got != nil {
		t.Errorf("never entered: %+v; want nothing", got)
	}
	if got := r.RunInfos(state.NewMember("cy", day(0, 0, 0)), "campaign.welcome", "hello", day(0, 0, 0), nil, nil); len(got) != 1 || got[0].Number != 0 || got[0].Step.Fate != runtime.FateNeverEntered {
		t.Errorf("never entered, step asked: %+v; want its fate never_entered", got)
	}
	if got := r.RunInfos(bob, "segment.x", "", day(0, 0, 0), nil, nil); got != nil {
		t.Errorf("a segment: %+v; want nothing", got)
	}
}

// With conversion_from = "last_send" the window starts at the run's last
// message and a finished run that sent nothing has none to be open.
func TestRunInfosWindowFromLastSend(t *testing.T) {
	cfg := load(t, templates+lastSendCampaign)
	_, _, m := run(t, cfg, ev("j1", "member.joined", "ann", 0, 9, "")+
		ev("j3", "member.joined", "cid", 0, 9, `{"referrer":"ann"}`)+
		ev("x", "reaction.added", "zed", 9, 9, ""))
	r := runtime.New(cfg, nil)
	asked := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	ann := r.RunInfos(m["ann"], "campaign.nudge", "", asked, nil, nil)
	if len(ann) != 1 {
		t.Fatalf("ann: %+v", ann)
	}
	sent := time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)
	if w := ann[0].ConversionWindow; w == nil || w.From != "last_send" || !w.Start.Equal(sent) || !w.Closes.Equal(sent.AddDate(0, 0, 3)) || w.State != runtime.WindowOpen {
		t.Errorf("ann's window %+v; want from the message 01-03 09:00, open until 01-06 09:00", w)
	}
	cid := r.RunInfos(m["cid"], "campaign.nudge", "hello", asked, nil, nil)
	if len(cid) != 1 {
		t.Fatalf("cid: %+v", cid)
	}
	if w := cid[0].ConversionWindow; w == nil || !w.Start.IsZero() || !w.Closes.IsZero() || w.State != runtime.WindowNoSends {
		t.Errorf("cid's window %+v; want no start, no close, no_sends", w)
	}
	if f := cid[0].Step; f == nil || f.Fate != runtime.FateNoMessage || !strings.EqualFold(f.RunStep, "hello") {
		t.Errorf("cid's step %+v; want no_message at hello", f)
	}
}
