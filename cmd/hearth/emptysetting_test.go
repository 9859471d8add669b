package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// An empty token (the examples' default, when HEARTH_VAR_... is not
// set) is a diagnostic on the token setting, as an unreachable platform
// is one on its block: the setting's line and the variable to set, in
// text and in plan -json.
func TestEmptyTokenDiagnostic(t *testing.T) {
	for _, tc := range []struct {
		example, addr, line, variable string
	}{
		{"discord-community", "platform.discord.main", "token      = var.discord_token", "discord_token"},
		{"slack-community", "platform.slack.makers", "token          = var.slack_bot_token", "slack_bot_token"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := exampleCopy(t, tc.example, nil)
			code, out, errs := runCLI("plan", dir)
			for _, want := range []string{
				"Error: Empty token for " + tc.addr + "\n",
				"main.hcl line ",
				tc.line,
				`written from the variable "` + tc.variable + `", which is empty: set HEARTH_VAR_` + tc.variable,
			} {
				if !strings.Contains(errs, want) {
					t.Errorf("plan without the token: stderr lacks %q\n%s", want, errs)
				}
			}
			if code != 1 || strings.Contains(errs, "hearth plan:") {
				t.Errorf("plan without the token: exit %d, want 1 and only the diagnostic\n%s%s", code, out, errs)
			}

			var stdout bytes.Buffer
			s := &stdio{in: strings.NewReader(""), out: &stdout, err: &bytes.Buffer{}, lookupEnv: func(string) (string, bool) { return "", false }}
			if c := run(context.Background(), []string{"plan", "-json", dir}, s); c != 1 {
				t.Fatalf("plan -json without the token: exit %d\n%s", c, stdout.String())
			}
			var doc config.JSONValidation
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("plan -json: %v\n%s", err, stdout.String())
			}
			if len(doc.Diagnostics) != 1 || doc.Diagnostics[0].Summary != "Empty token for "+tc.addr || doc.Diagnostics[0].Range == nil ||
				!strings.Contains(doc.Diagnostics[0].Detail, "HEARTH_VAR_"+tc.variable) {
				t.Errorf("plan -json diagnostics: %+v", doc.Diagnostics)
			}
		})
	}
}
