package state

import "testing"

// A send's outbox key reads back as the key the runtime wrote: keyed or
// not, with a member id holding slashes, and nothing else passes for one.
func TestParseSendKey(t *testing.T) {
	for _, k := range []SendKey{
		{Campaign: "welcome", Member: "ann", Run: 1, Seq: 2, Step: "nudge"},
		{Campaign: "rsvp", RunKey: "Go Night #43/b", Member: "discord:1/2", Run: 3, Seq: 1, Step: "remind-1"},
	} {
		got, ok := ParseSendKey(k.String())
		if !ok || got != k {
			t.Errorf("ParseSendKey(%q) = %+v, %v; want %+v", k.String(), got, ok, k)
		}
	}
	for _, key := range []string{
		"survey-reply/e1",
		"campaign/welcome/ann/1/hello",   // no send number
		"campaign/welcome/ann/x/1/hello", // no run number
		"campaign/welcome/ann/1/1/",      // no step
		"campaign/welcome//1/1/hello",    // no member
		"campaign/welcome[%zz]/ann/1/1/hello",
		"campaign/welcome",
	} {
		if k, ok := ParseSendKey(key); ok {
			t.Errorf("ParseSendKey(%q) = %+v; want none", key, k)
		}
	}
}
