package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/textdiff"
)

var updatePlans = flag.Bool("update", false, "rewrite the golden plans in testdata/plans and the comparisons in testdata/simcompare")

// coveredElsewhere are the examples whose platforms need a server: their
// plan and apply run against the platform's fake in the test named.
var coveredElsewhere = map[string]string{
	"discord-community":      "testdata/script/discord.txtar",
	"discourse-trust-levels": "TestDiscourseTrustLevelsOnForum",
	"slack-community":        "TestSlackCommunity",
}

// exampleSecrets are the sensitive variables each example needs set.
var exampleSecrets = map[string]map[string]string{
	"email-campaign":  {"unsubscribe_secret": "example-unsubscribe-secret", "smtp_password": "example-smtp-password"},
	"wecom-community": {"wecom_robot_key": "example-robot-key", "wecom_corp_secret": "example-corp-secret", "events_secret": "example-events-secret"},
}

// TestExamplesPlan plans every example from scratch, as a new user's
// first `hearth plan` would, and compares the plan with its golden file
// (go test -run TestExamplesPlan -update rewrites them); then applies it
// and plans again, which must find nothing left to do.
func TestExamplesPlan(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range dirs {
		name := filepath.Base(src)
		if info, err := os.Stat(src); err != nil || !info.IsDir() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if test, ok := coveredElsewhere[name]; ok {
				if _, err := os.Stat(test); err != nil && !strings.HasPrefix(test, "Test") {
					t.Fatalf("%s is said to be planned in %s, which does not exist", name, test)
				}
				t.Skipf("planned and applied against the platform's fake in %s", test)
			}
			dir := exampleCopy(t, name, nil)
			// The secrets an example's platforms refuse to be without; any
			// value does, as these platforms plan nothing remotely.
			env := func(k string) (string, bool) {
				v, ok := exampleSecrets[name][strings.TrimPrefix(k, "HEARTH_VAR_")]
				return v, ok
			}
			do := func(args ...string) (int, string) {
				var out, errb bytes.Buffer
				s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: env}
				code := run(context.Background(), append(args, dir), s)
				text := out.String()
				if errb.Len() > 0 {
					text += "--- stderr\n" + errb.String()
				}
				for _, secret := range exampleSecrets[name] {
					if strings.Contains(text, secret) {
						t.Errorf("hearth %s shows the sensitive value %q:\n%s", args[0], secret, text)
					}
				}
				return code, strings.ReplaceAll(text, dir, "EXAMPLE")
			}
			code, plan := do("plan", "-no-color", "-detailed-exitcode")
			if code != 2 && code != 0 {
				t.Fatalf("plan: exit %d\n%s", code, plan)
			}
			golden := filepath.Join("testdata", "plans", name+".txt")
			if *updatePlans {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(plan), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/hearth -run TestExamplesPlan -update writes it)", err)
			}
			if plan != string(want) {
				t.Errorf("plan differs from %s (-update rewrites it):\n%s", golden, textdiff.Unified(golden, "got", string(want), plan))
			}
			if code == 0 {
				return
			}
			if code, out := do("apply", "-no-color", "-auto-approve"); code != 0 || !strings.Contains(out, "Apply complete!") {
				t.Fatalf("apply: exit %d\n%s", code, out)
			}
			if code, out := do("plan", "-no-color", "-detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
				t.Fatalf("plan after apply: exit %d; want 0 and no changes\n%s", code, out)
			}
		})
	}
}

// The examples whose platforms only send (WeCom's robot and
// application, email, webhooks) plan without their credentials: nothing
// is planned there, and only hearth run opens them.
func TestExamplesPlanWithoutCredentials(t *testing.T) {
	for _, name := range []string{"wecom-community", "email-campaign"} {
		t.Run(name, func(t *testing.T) {
			dir := exampleCopy(t, name, nil)
			var out, errb bytes.Buffer
			s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
			if code := run(context.Background(), []string{"plan", "-no-color", dir}, s); code != 0 {
				t.Fatalf("plan without credentials: exit %d\n%s%s", code, out.String(), errb.String())
			}
			if name == "wecom-community" && !strings.Contains(out.String()+errb.String(), "which only sends messages") {
				t.Errorf("no note that the WeCom community is not planned:\n%s%s", out.String(), errb.String())
			}
		})
	}
}
