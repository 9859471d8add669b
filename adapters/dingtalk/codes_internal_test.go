package dingtalk

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/internal/post"
	"github.com/hearth-community/hearth/engine/platform"
)

// TestCodeError: rate limits wait, -1 retries, what no retry mends is
// permanent with what to fix, and content security fails the one message.
func TestCodeError(t *testing.T) {
	const (
		rate = iota
		temporary
		permanent
		invalid
	)
	for _, tc := range []struct {
		code int
		want int
		says string
	}{
		{CodeTooFast, rate, ""},
		{CodeTooFastLimited, rate, ""},
		{CodeBusy, temporary, ""},
		{CodeRobotDisabled, permanent, "disabled"},
		{CodeTokenMissing, permanent, "webhook_url"},
		{CodeNoRobot, permanent, "webhook_url"},
		{CodeDissolved, permanent, "dissolved"},
		{CodeUnsafeLink, invalid, "content security"},
		{CodeUnsafeText, invalid, "content security"},
		{CodeUnsafeContent, invalid, "content security"},
		{CodeBadMsgType, invalid, ""},
		{999999, permanent, ""},
	} {
		ans := Answer{ErrCode: tc.code, ErrMsg: "x"}
		err := codeError(post.Response{Status: http.StatusOK}, ans, fmt.Errorf("dingtalk errcode %d: x", tc.code), time.Now())
		var rl *platform.RateLimitError
		switch tc.want {
		case rate:
			if !errors.As(err, &rl) || rl.After != Throttle {
				t.Errorf("%d: %v; want a RateLimitError of %s", tc.code, err, Throttle)
			}
		case temporary:
			if err == nil || platform.IsPermanent(err) || errors.Is(err, platform.ErrInvalid) {
				t.Errorf("%d: %v; want temporary", tc.code, err)
			}
		case permanent:
			if !platform.IsPermanent(err) {
				t.Errorf("%d: %v; want permanent", tc.code, err)
			}
		case invalid:
			if !errors.Is(err, platform.ErrInvalid) {
				t.Errorf("%d: %v; want ErrInvalid", tc.code, err)
			}
		}
		if err != nil && !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%d: %v; want it to say %q", tc.code, err, tc.says)
		}
	}
}
