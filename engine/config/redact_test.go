package config_test

import (
	"encoding/json"
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
		{"404 Not Found: no route /hooks/tok/en+9f3a/in", "404 Not Found: no route (sensitive)"},
		{"404 Not Found: no hook tok/en+9f3a", "404 Not Found: no hook (sensitive)"},
		{"POST https://chat.example/hooks/tok/en+9f3a/in failed", "POST (sensitive) failed"},
		{"path /hooks/tok%2Fen+9f3a/in", "path /hooks/(sensitive)/in"},
		{"query ?t=tok%2Fen%2B9f3a", "query ?t=(sensitive)"},
		{"cut short: /hooks/tok/en+9…", "cut short: (sensitive)…"},
		{"cut short: tok/en+9…", "cut short: (sensitive)…"},
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

// A sensitive variable holding a whole URL (an incoming-webhook URL)
// is redacted where a receiver echoes only part of it: its path and
// query, its path, a token-like segment or query value, the password of
// its user information; and every secret in the forms JSON encoders
// write it in. Words such as "/services", the scheme and the host stay.
func TestRedactURLParts(t *testing.T) {
	cfg, diags := loadSrc(t, `
variable "hook_url" {
  sensitive = true
}
variable "feishu_url" {
  sensitive = true
}
variable "db_url" {
  sensitive = true
}
variable "odd" {
  sensitive = true
}
`, testOptions(map[string]string{
		config.EnvVarPrefix + "hook_url":   "https://hooks.example.com/services/T0AB/B0CD/URLSEKRETpart?x=1&sig=SIGSEKRET",
		config.EnvVarPrefix + "feishu_url": "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-aaaa-bbbb-cccc-111122223333",
		config.EnvVarPrefix + "db_url":     "postgres://hearth:pa%40ss-w0rd@db.example:5432/hearth?sslmode=disable",
		config.EnvVarPrefix + "odd":        "pässwörd<&>9f3a",
	}))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	goJSON, _ := json.Marshal("pässwörd<&>9f3a")
	if want := `"pässwörd\u003c\u0026\u003e9f3a"`; string(goJSON) != want {
		t.Fatalf("encoding/json wrote %s; the test expects %s", goJSON, want)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"the path and query",
			"401 GET /services/T0AB/B0CD/URLSEKRETpart?x=1&sig=SIGSEKRET", "401 GET (sensitive)"},
		{"the path alone",
			`{"message":"invalid token path=/services/T0AB/B0CD/URLSEKRETpart"}`, `{"message":"invalid token path=(sensitive)"}`},
		{"the path without its slash",
			"no hook at services/T0AB/B0CD/URLSEKRETpart", "no hook at (sensitive)"},
		{"a token-like segment",
			"unknown hook URLSEKRETpart", "unknown hook (sensitive)"},
		{"a token-like query value",
			"bad signature SIGSEKRET", "bad signature (sensitive)"},
		{"JSON-escaped path and query",
			`{"path":"\/services\/T0AB\/B0CD\/URLSEKRETpart?x=1\u0026sig=SIGSEKRET"}`, `{"path":"(sensitive)"}`},
		{"JSON-escaped query alone",
			`{"q":"?x=1\u0026sig=SIGSEKRET"}`, `{"q":"?x=1\u0026sig=(sensitive)"}`},
		{"the whole URL, JSON-escaped",
			`"url":"https:\/\/hooks.example.com\/services\/T0AB\/B0CD\/URLSEKRETpart?x=1\u0026sig=SIGSEKRET"`, `"url":"(sensitive)"`},
		{"words, scheme, host and short segments stay",
			"https://hooks.example.com/services failed for team T0AB", "https://hooks.example.com/services failed for team T0AB"},
		{"a Feishu hook's path",
			"404 /open-apis/bot/v2/hook/0f1e2d3c-aaaa-bbbb-cccc-111122223333", "404 (sensitive)"},
		{"a Feishu hook's id",
			`{"msg":"hook 0f1e2d3c-aaaa-bbbb-cccc-111122223333 not found"}`, `{"msg":"hook (sensitive) not found"}`},
		{"a Feishu hook's words stay",
			"see open.feishu.cn /open-apis/ docs for the v2 hook", "see open.feishu.cn /open-apis/ docs for the v2 hook"},
		{"a password, escaped",
			"password pa%40ss-w0rd refused", "password (sensitive) refused"},
		{"a password, decoded",
			`FATAL: password "pa@ss-w0rd" refused`, `FATAL: password "(sensitive)" refused`},
		{"user and password",
			"login hearth:pa@ss-w0rd failed", "login (sensitive) failed"},
		{"a database URL's host, name and options stay",
			"db.example:5432/hearth?sslmode=disable is down", "db.example:5432/hearth?sslmode=disable is down"},
		{"Python's ASCII escapes",
			`"p\u00e4ssw\u00f6rd<&>9f3a"`, `"(sensitive)"`},
		{".NET's escapes",
			`"p\u00E4ssw\u00F6rd\u003C\u0026\u003E9f3a"`, `"(sensitive)"`},
		{"Go's escapes",
			string(goJSON), `"(sensitive)"`},
		{"PHP's escapes",
			`"https:\/\/hooks.example.com\/services\/T0AB\/B0CD\/URLSEKRETpart?x=1&sig=SIGSEKRET"`, `"(sensitive)"`},
	} {
		if got := cfg.Redact(tc.in); got != tc.want {
			t.Errorf("%s: Redact(%q)\n = %q\nwant %q", tc.name, tc.in, got, tc.want)
		}
	}
	for _, word := range []string{"/services", "services", "https", "hooks.example.com", "open-apis", "/hearth", "T0AB", "/open-apis/bot"} {
		if slices.Contains(cfg.SensitiveValues(), word) {
			t.Errorf("%q is taken for a secret", word)
		}
	}
}

// SecretForms gives a plain token its JSON forms, and a URL the parts
// that hold its secret; only forms minSecret bytes long or longer.
func TestSecretForms(t *testing.T) {
	for _, tc := range []struct {
		secret     string
		has, lacks []string
	}{
		{"tok/en+9f3a", []string{"tok/en+9f3a", `tok\/en+9f3a`, `tok/en\u002B9f3a`, "tok%2Fen+9f3a", "tok%2Fen%2B9f3a"}, []string{"tok"}},
		{"abc", nil, []string{"abc"}},
		{"https://chat.example/hooks/abcdef1234?v=2", []string{"/hooks/abcdef1234?v=2", "/hooks/abcdef1234", "abcdef1234"}, []string{"/hooks", "hooks", "chat.example", "v=2"}},
		{"https://chat.example/incoming?token=zz9-ab8-cd7", []string{"/incoming?token=zz9-ab8-cd7", "zz9-ab8-cd7"}, []string{"/incoming", "incoming"}},
		{"https://chat.example/" + strings.Repeat("q", 24), []string{strings.Repeat("q", 24)}, nil},
	} {
		got := config.SecretForms(tc.secret)
		for _, f := range tc.has {
			if !slices.Contains(got, f) {
				t.Errorf("SecretForms(%q) lacks %q: %q", tc.secret, f, got)
			}
		}
		for _, f := range tc.lacks {
			if slices.Contains(got, f) {
				t.Errorf("SecretForms(%q) has %q", tc.secret, f)
			}
		}
	}
}
