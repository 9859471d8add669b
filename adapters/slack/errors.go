package slack

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/hearth-community/hearth/engine/platform"
)

// codes maps Slack's error codes to hearth's error classes. Codes not
// listed are permanent failures named as Slack names them.
var codes = map[string]error{
	"channel_not_found": platform.ErrNotFound,
	"user_not_found":    platform.ErrMemberNotFound,
	"users_not_found":   platform.ErrMemberNotFound,
	"message_not_found": platform.ErrNotFound,
	"no_such_subteam":   platform.ErrNotFound,
	"no_pin":            platform.ErrNotFound,
	"not_in_channel":    platform.ErrNotFound,
	"team_not_found":    platform.ErrNotFound,
	"invalid_users":     platform.ErrNotFound,
	"is_archived":       platform.ErrNotFound,

	"name_taken":            platform.ErrConflict,
	"name_already_exists":   platform.ErrConflict,
	"handle_already_exists": platform.ErrConflict,
	"already_pinned":        platform.ErrConflict,
	"too_many_pins":         platform.ErrConflict,
	"already_archived":      platform.ErrNotFound,

	"invalid_name":             platform.ErrInvalid,
	"invalid_name_specials":    platform.ErrInvalid,
	"invalid_name_required":    platform.ErrInvalid,
	"invalid_name_maxlength":   platform.ErrInvalid,
	"invalid_name_punctuation": platform.ErrInvalid,
	"too_long":                 platform.ErrInvalid,
	"msg_too_long":             platform.ErrInvalid,
	"no_text":                  platform.ErrInvalid,
	"invalid_cursor":           platform.ErrInvalid,
	"invalid_limit":            platform.ErrInvalid,
	"invalid_arguments":        platform.ErrInvalid,
	"missing_argument":         platform.ErrInvalid,
	"invalid_metadata_format":  platform.ErrInvalid,

	"not_allowed_token_type":                platform.ErrUnsupported,
	"method_not_supported_for_channel_type": platform.ErrUnsupported,
	"channel_type_not_supported":            platform.ErrUnsupported,
	"not_an_enterprise":                     platform.ErrUnsupported,
	"feature_not_enabled":                   platform.ErrUnsupported,
	"paid_teams_only":                       platform.ErrUnsupported,
}

// codeHints say what a code means for hearth, where the code alone does
// not.
var codeHints = map[string]string{
	"paid_teams_only": "Slack has user groups (hearth's roles and role changes) on paid plans only; on a free workspace remove the community's role blocks and tier roles, or upgrade the workspace",
}

// temporaryCodes are Slack's own "try again" answers.
var temporaryCodes = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true, "ratelimited": true,
}

// wrap turns what slack-go returns into hearth's classified errors: a 429
// is a RateLimitError with Slack's Retry-After, {"ok":false,"error":CODE}
// the class of its code, a 5xx temporary. The message names the method
// and the code, never the token.
func wrap(method string, err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &platform.RateLimitError{After: rl.RetryAfter, Err: fmt.Errorf("slack %s", method)}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if temporaryCodes[se.Err] {
			return platform.Temporary(fmt.Errorf("slack %s: %s", method, se.Err), 0)
		}
		if class, ok := codes[se.Err]; ok {
			return &codeError{method: method, code: se.Err, class: class}
		}
		msg := fmt.Sprintf("slack %s: %s", method, se.Err)
		if se.Needed != "" {
			msg += " (the app needs scope " + se.Needed + ")"
		}
		return platform.Permanent(errors.New(msg))
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests {
			return platform.Temporary(fmt.Errorf("slack %s: HTTP %d", method, sc.Code), 0)
		}
		return platform.Permanent(fmt.Errorf("slack %s: HTTP %d", method, sc.Code))
	}
	return fmt.Errorf("slack %s: %w", method, err)
}

// codeError is one of Slack's error codes, classified.
type codeError struct {
	method, code string
	class        error
}

func (e *codeError) Error() string {
	msg := fmt.Sprintf("slack %s: %s: %v", e.method, e.code, e.class)
	if hint := codeHints[e.code]; hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}
func (e *codeError) Unwrap() error { return e.class }

// code returns Slack's error code in err, or "".
func code(err error) string {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return ""
}
