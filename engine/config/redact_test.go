package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

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

// A diagnostic written with a Redactor shows the source line redacted and
// the underline under the same text as before redaction, not where the
// secret's length would have put it.
func TestRedactedDiagnosticsKeepTheUnderline(t *testing.T) {
	src := []byte("platform \"chat\" \"ops\" {\n  token = \"s3cr3t-t0ken-9f3a\" # x\n}\n")
	file, diags := hclsyntax.ParseConfig(src, "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	at := func(from, to int) *hcl.Range {
		return &hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 2, Column: from}, End: hcl.Pos{Line: 2, Column: to}}
	}
	rd := config.NewRedactor([]string{"s3cr3t-t0ken-9f3a"})
	for _, tc := range []struct {
		name      string
		rng       *hcl.Range
		underline string
	}{
		{"the attribute name", at(3, 8), "  ^^^^^"},
		{"the value, quotes and all", at(11, 30), "          ^^^^^^^^^^^^^"},
		{"the comment after it", at(31, 34), "                        ^^^"},
		{"across the secret's start", at(9, 15), "^^^^^^^^^^^^^^^^^^^^^^^^^^^"},
	} {
		var b strings.Builder
		d := hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Credential in plain text", Detail: "token s3cr3t-t0ken-9f3a is in the file", Subject: tc.rng}}
		if err := rd.WriteDiagnostics(&b, config.Sources{"main.hcl": file}, d, "", false); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%s: the secret is shown:\n%s", tc.name, out)
		}
		lines := strings.Split(out, "\n")
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  2: ") })
		if i < 0 || i+1 >= len(lines) {
			t.Fatalf("%s: no source line:\n%s", tc.name, out)
		}
		if lines[i] != `  2:   token = "(sensitive)" # x` {
			t.Errorf("%s: source line %q", tc.name, lines[i])
		}
		if got := strings.TrimRight(strings.TrimPrefix(lines[i+1], "     "), " "); got != tc.underline {
			t.Errorf("%s: underline\n%q\nwant\n%q\n%s", tc.name, got, tc.underline, out)
		}
	}
}
