package state_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/state"
)

// The lock error names the force-unlock that works where the command
// ran, DIR quoted for a shell, and says what is known of the holder.
func TestLockedErrorMessage(t *testing.T) {
	h := state.LockInfo{ID: "dead1234", Who: "ann@ci", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), PID: 4242}
	for _, tc := range []struct {
		name   string
		dir    string
		status state.HolderStatus
		want   []string
	}{
		{"unchecked, default dir", ".", state.HolderUnchecked, []string{
			"the state is locked by ann@ci since 2026-01-02T03:04:05Z (lock id dead1234); if that apply is no longer running, run hearth force-unlock dead1234",
		}},
		{"gone", "site", state.HolderGone, []string{
			"but its process (pid 4242) is no longer running on this host: the lock is stale",
			"remove it with hearth force-unlock dead1234 site",
		}},
		{"running", "site", state.HolderRunning, []string{
			"(lock id dead1234, pid 4242, still running on this host); wait for it to finish",
			"stop it and run hearth force-unlock dead1234 site",
		}},
		{"elsewhere, dir with a space", "my site", state.HolderElsewhere, []string{
			"(lock id dead1234, pid 4242 on ci, which cannot be checked from here); if that command is no longer running there, run hearth force-unlock dead1234 'my site'",
		}},
		{"dir with a quote", "ann's", state.HolderUnchecked, []string{
			`run hearth force-unlock dead1234 'ann'\''s'`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &state.LockedError{Holder: h, Dir: tc.dir, Status: tc.status}
			got := e.Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message\n%s\nlacks\n%s", got, w)
				}
			}
			if tc.dir == "." && strings.HasSuffix(got, " .") {
				t.Errorf("the default dir is named: %s", got)
			}
		})
	}
	if got := (state.LockInfo{Who: "bob"}).Host(); got != "" {
		t.Errorf("host of a who without one: %q", got)
	}
}
