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

// SecretRanges finds the secrets a file holds from what it says: the
// literals of credentials, of a state URL with a password, of sensitive
// variables' defaults and of a var file's values. The rest is left as
// written: references, other settings, a URL without a password.
func TestSecretRanges(t *testing.T) {
	src := `platform "chat" "a" {
  token  = "tok-plain-5512"
  server = "chat.example"
}
platform "chat" "b" {
  token = "https://hooks.example/${var.host}/tok-tail-9"
}
platform "chat" "c" {
  token = var.chat_token
}
platform "local" "main" {}
variable "k" {
  sensitive = true
  default   = <<EOT
pem-line-one
EOT
}
variable "plain" {
  default = "shown"
}
hearth {
  state {
    url = "postgres://hearth:pw-33@db/hearth"
  }
}
`
	want := `platform "chat" "a" {
  token  = "(sensitive)"
  server = "chat.example"
}
platform "chat" "b" {
  token = "(sensitive)${var.host}(sensitive)"
}
platform "chat" "c" {
  token = var.chat_token
}
platform "local" "main" {}
variable "k" {
  sensitive = true
  default   = <<EOT
(sensitive)
EOT
}
variable "plain" {
  default = "shown"
}
hearth {
  state {
    url = "(sensitive)"
  }
}
`
	platforms := testOptions(nil).Platforms
	if got := config.MaskedSource([]byte(src), "main.hcl", platforms); got != want {
		t.Errorf("masked:\n%s\nwant:\n%s", got, want)
	}
	noPassword := "hearth {\n  state {\n    url = \"postgres://hearth@db/hearth\"\n  }\n}\n"
	if got := config.MaskedSource([]byte(noPassword), "main.hcl", platforms); got != noPassword {
		t.Errorf("a URL without a password is masked:\n%s", got)
	}
	vars := "token = \"vf-secret-1\"\nshards = 3\nlist = [\"a-b-c-d\"]\n"
	if got, want := config.MaskedSource([]byte(vars), "vars.hcl", platforms), "token = \"(sensitive)\"\nshards = (sensitive)\nlist = [\"(sensitive)\"]\n"; got != want {
		t.Errorf("a var file:\n%s\nwant:\n%s", got, want)
	}
	if got := config.MaskedSource([]byte("token = \"unterminated\n"), "vars.hcl", platforms); got != "token = \"unterminated\n" {
		t.Errorf("a file that does not parse is changed: %q", got)
	}
}

// Every command prints diagnostics from Load's Sources, so those mask
// the secrets without being told: a plain-text credential's warning
// (text and JSON) shows its line with "(sensitive)" where the value was,
// underlined, and a line holding a sensitive value elsewhere (a local
// the token is read from) is masked by value.
func TestLoadSourcesMaskSecrets(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `locals {
  hook = "tok-local-7781"
}
platform "chat" "a" {
  token = "tok-plain-5512" # the bot
}
platform "chat" "b" {
  token = local.hook
}
`})
	_, src, diags := config.Load(dir, testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	var plain *hcl.Diagnostic
	for _, d := range diags {
		if d.Summary == "Secret written in plain text" && d.Subject.Start.Line == 5 {
			plain = d
		}
	}
	if plain == nil {
		t.Fatalf("no plain-text warning on line 5:\n%s", describe(diags))
	}
	// A diagnostic on the local's line, which no check makes.
	onLocal := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "About the local",
		Subject: &hcl.Range{Filename: plain.Subject.Filename, Start: hcl.Pos{Line: 2, Column: 3, Byte: 11}, End: hcl.Pos{Line: 2, Column: 7, Byte: 15}}}
	all := hcl.Diagnostics{plain, onLocal}

	var text strings.Builder
	if err := config.WriteDiagnostics(&text, src, all, dir, false); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(config.ToJSON(src, all, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), string(js)} {
		if strings.Contains(out, "tok-plain") || strings.Contains(out, "tok-local") {
			t.Errorf("a secret is shown:\n%s", out)
		}
	}
	lines := strings.Split(text.String(), "\n")
	i := slices.Index(lines, `  5:   token = "(sensitive)" # the bot`)
	if i < 0 {
		t.Fatalf("no masked line 5:\n%s", text.String())
	}
	if got, want := lines[i+1], "               ^^^^^^^^^^^^^"; got != want {
		t.Errorf("underline\n%q\nwant\n%q", got, want)
	}
	if !slices.Contains(lines, `  2:   hook = "(sensitive)"`) {
		t.Errorf("the local's line is not masked:\n%s", text.String())
	}
	s := config.ToJSON(src, all, dir).Diagnostics[0].Snippet
	if s == nil || s.Code != `  token = "(sensitive)" # the bot` || s.Code[s.HighlightStartOffset:s.HighlightEndOffset] != `"(sensitive)"` {
		t.Errorf("JSON snippet %+v", s)
	}
	if s.Context != `platform "chat" "a"` {
		t.Errorf("the snippet lost its context: %q", s.Context)
	}
}

// fmt's files are not loaded: MaskSecrets masks a syntax error's
// snippet, as far as the file parsed.
func TestMaskSecretsOnABrokenFile(t *testing.T) {
	src := []byte("platform \"chat\" \"a\" {\n  token = \"tok-plain-5512\"\n  server = \"x\n}\n")
	f, diags := hclsyntax.ParseConfig(src, "main.hcl", hcl.InitialPos)
	if !diags.HasErrors() {
		t.Fatal("the file should be broken")
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Here", Subject: &hcl.Range{Filename: "main.hcl",
		Start: hcl.Pos{Line: 2, Column: 3, Byte: 24}, End: hcl.Pos{Line: 3, Column: 5, Byte: 52}}}
	var b strings.Builder
	src2 := config.Sources{"main.hcl": config.MaskSecrets(f, testOptions(nil).Platforms)}
	if err := config.WriteDiagnostics(&b, src2, hcl.Diagnostics{d}, "", false); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "tok-plain") || !strings.Contains(out, `token = "(sensitive)"`) {
		t.Errorf("not masked:\n%s", out)
	}
}
