package state

import (
	"testing"
	"time"
)

// A hard bounce stops email but transactional email through its
// platform to the address that bounced; another platform, another
// address (the member's new one), email.resubscribed or a later
// identity lift it.
func TestBounceSkipsEmailToTheDeadAddress(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	m := &Member{ID: "ada"}
	b := Bounce{At: t0, Address: "Ada@Example.org", Code: "550 5.1.1"}
	if !m.RecordBounce("email.news", b) || m.RecordBounce("email.news", b) {
		t.Fatal("RecordBounce: the first should change the member, the second not")
	}
	rec := Recipient{Bounced: m.Bounced}
	mail := func(platform, to string, transactional bool) *Action {
		return &Action{Kind: "send.email", Platform: platform, Target: to, Member: "ada", Transactional: transactional}
	}
	want := "the address bounced at email.news (550 5.1.1) on 2026-11-01; email.resubscribed or a new address lifts it"
	if got := rec.SkipReason(mail("platform.email.news", "ada@example.org", false), true); got != want {
		t.Errorf("email to the dead address: %q; want %q", got, want)
	}
	for name, a := range map[string]*Action{
		"transactional":     mail("platform.email.news", "ada@example.org", true),
		"another platform":  mail("platform.email.meetups", "ada@example.org", false),
		"another address":   mail("platform.email.news", "ada@new.example", false),
		"not an email (dm)": {Kind: "send.dm", Platform: "platform.email.news", Target: "ada@example.org", Member: "ada"},
	} {
		if got := rec.SkipReason(a, true); got != "" {
			t.Errorf("%s: skipped with %q; want it sent", name, got)
		}
	}
	if m.LiftBounces("email.news", t0.Add(-time.Hour), "") {
		t.Error("a resubscribe from before the bounce lifted it")
	}
	if !m.LiftBounces("email.news", t0.Add(time.Hour), "") || len(m.Bounced) != 0 {
		t.Errorf("a later resubscribe left %v", m.Bounced)
	}
	m.RecordBounce("email.news", b)
	if m.LiftBounces("", time.Time{}, "ada@example.org") {
		t.Error("the same address, in another case, lifted the bounce")
	}
	if !m.LiftBounces("", time.Time{}, "ada@new.example") || len(m.Bounced) != 0 {
		t.Errorf("a new address left %v", m.Bounced)
	}
}
