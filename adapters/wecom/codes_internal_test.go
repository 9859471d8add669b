package wecom

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// TestCodeError: the codes WeCom's global error list says to retry wait
// and retry; the others stay permanent.
func TestCodeError(t *testing.T) {
	for _, tc := range []struct {
		code      int
		rateAfter time.Duration // > 0: a RateLimitError of this long
		temporary bool
	}{
		{CodeBusy, 0, true},
		{CodeConflict, 0, true},
		{CodeFrequency, frequencyBackoff, true},
		{CodeConcurrent, concurrentBackoff, true},
		{CodeRobotKeyWrong, 0, false},
		{12345, 0, false},
	} {
		err := codeError(Answer{ErrCode: tc.code, ErrMsg: "x"}, "robot")
		var rl *platform.RateLimitError
		switch {
		case tc.rateAfter > 0:
			if !errors.As(err, &rl) || rl.After != tc.rateAfter {
				t.Errorf("%d: %v; want a RateLimitError of %s", tc.code, err, tc.rateAfter)
			}
		case tc.temporary:
			if platform.IsPermanent(err) || errors.As(err, &rl) {
				t.Errorf("%d: %v; want temporary", tc.code, err)
			}
		default:
			if !platform.IsPermanent(err) {
				t.Errorf("%d: %v; want permanent", tc.code, err)
			}
		}
	}
}
