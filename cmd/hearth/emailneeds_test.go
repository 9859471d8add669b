package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// An unsubscribe_url with {token} needs unsubscribe_secret: validate
// refuses it unset, at the link's line, and warns, naming the variable
// to set, when it comes from a variable not set here (the example's
// empty default), where before every campaign email dead-lettered at
// send time.
func TestValidateUnsubscribeSecret(t *testing.T) {
	t.Run("unset variable", func(t *testing.T) {
		dir := exampleCopy(t, "email-campaign", nil)
		code, _, errs := runCLI("validate", dir)
		for _, want := range []string{"Warning: Credential without a value", "unsubscribe_secret = var.unsubscribe_secret", "Set HEARTH_VAR_unsubscribe_secret"} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
		if code != 0 {
			t.Errorf("exit %d; want 0 with a warning", code)
		}
	})
	t.Run("no secret", func(t *testing.T) {
		dir := exampleCopy(t, "email-campaign", func(b []byte) []byte {
			return bytes.Replace(b, []byte("  unsubscribe_secret = var.unsubscribe_secret\n"), nil, 1)
		})
		code, _, errs := runCLI("validate", dir)
		for _, want := range []string{"Error: Missing setting", "  unsubscribe_url    = \"https://hearth.lantern.example", "unsubscribe_url of platform.email.news needs unsubscribe_secret, which is not set"} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
		if code != 1 {
			t.Errorf("exit %d; want 1", code)
		}
	})
}

// The warning is for the commands that open platforms and for validate;
// those that open none (test, simulate, template, outbox list, local
// ...) leave it out, where it buried their own output.
func TestCredentialWarningOnlyWherePlatformsOpen(t *testing.T) {
	dir := exampleCopy(t, "email-campaign", nil)
	events := filepath.Join("../../examples", "email-campaign", "events.jsonl")
	for _, args := range [][]string{
		{"test", dir},
		{"simulate", "-events", events, dir},
		{"template", "list", dir},
		{"template", "render", "welcome", dir},
		{"outbox", "list", dir},
	} {
		_, _, errs := runCLI(args...)
		if strings.Contains(errs, "Credential without a value") {
			t.Errorf("hearth %s warns of the credential:\n%s", strings.Join(args[:len(args)-1], " "), errs)
		}
	}
	for _, args := range [][]string{{"validate", dir}, {"plan", dir}} {
		_, _, errs := runCLI(args...)
		if !strings.Contains(errs, "Warning: Credential without a value") {
			t.Errorf("hearth %s does not warn of the credential:\n%s", args[0], errs)
		}
	}
}
