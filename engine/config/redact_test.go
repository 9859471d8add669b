package config_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// Redact takes out of a text every value the configuration must never
// show: sensitive variables, credentials, settings made from them, and
// their URL-escaped forms.
func TestRedact(t *testing.T) {
	cfg, diags := loadSrc(t, `
variable "hook_token" {
  sensitive = true
}
variable "plain" {
  default = "not-a-secret"
}
platform "chat" "ops" {
  token = "https://chat.example/hooks/${var.hook_token}/in"
}
`, testOptions(map[string]string{config.EnvVarPrefix + "hook_token": "tok/en+9f3a"}))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	for _, tc := range []struct{ in, want string }{
		{"404 Not Found: no route /hooks/tok/en+9f3a/in", "404 Not Found: no route /hooks/(sensitive)/in"},
		{"POST https://chat.example/hooks/tok/en+9f3a/in failed", "POST (sensitive) failed"},
		{"path /hooks/tok%2Fen+9f3a/in", "path /hooks/(sensitive)/in"},
		{"query ?t=tok%2Fen%2B9f3a", "query ?t=(sensitive)"},
		{"cut short: /hooks/tok/en+9…", "cut short: /hooks/(sensitive)…"},
		{"not-a-secret stays; so does tok…", "not-a-secret stays; so does tok…"},
	} {
		if got := cfg.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	for _, v := range cfg.SensitiveValues() {
		if strings.Contains(v, "not-a-secret") {
			t.Errorf("a plain variable is taken for sensitive: %q", v)
		}
	}
	var none *config.Config
	if got := none.Redact("x"); got != "x" {
		t.Errorf("nil config: %q", got)
	}
}
