package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// call posts a Web API method with form arguments and returns its
// error code, "" when ok.
func call(t *testing.T, f *Fake, method string, args url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.URL+method, strings.NewReader(args.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK    bool
		Error string
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Error
}

// Channel names and user group handles follow Slack's rules, with
// Slack's error codes.
func TestNamingRules(t *testing.T) {
	f := New(t)
	for _, tc := range []struct{ name, want string }{
		{"show-and-tell", ""},
		{"", "invalid_name_required"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"Help", "invalid_name_specials"},
		{"two words", "invalid_name_specials"},
		{"--_", "invalid_name_punctuation"},
		{"show-and-tell", "name_taken"},
	} {
		if got := call(t, f, "conversations.create", url.Values{"name": {tc.name}}); got != tc.want {
			t.Errorf("conversations.create %q: %q; want %q", tc.name, got, tc.want)
		}
	}
	// A handle must be unique among user groups, users and channels.
	for _, tc := range []struct{ name, handle, want string }{
		{"Builders", "builders", ""},
		{"Other builders", "builders", "handle_already_exists"},
		{"Show", "show-and-tell", "handle_already_exists"},
		{"Bot", "hearth", "handle_already_exists"},
		{"builders", "b2", "name_already_exists"},
	} {
		if got := call(t, f, "usergroups.create", url.Values{"name": {tc.name}, "handle": {tc.handle}}); got != tc.want {
			t.Errorf("usergroups.create %q @%s: %q; want %q", tc.name, tc.handle, got, tc.want)
		}
	}
}
