package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
)

// While the files on disk fail validation, hearth run keeps its last
// good configuration, and so do the commands that only read the state:
// they read it with the configuration the daemon recorded there, and
// say so, while it runs and after it stopped. Secrets written in the
// files are not in that record. With no record to fall back on, the
// errors are printed as for any command.
func TestReadCommandsUseTheRunningConfigWhileTheFilesAreInvalid(t *testing.T) {
	dir := quickstartCopy(t)
	// A token written in plain text (validate warns) stays out of the
	// record the state keeps.
	if err := os.WriteFile(filepath.Join(dir, "hook.hcl"), []byte(`platform "webhook" "crm" {
  url    = "https://crm.example.com/hooks"
  secret = "s3cr3t-t0ken-in-plain"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	errb, stop := serveSite(t, dir)
	cfg := &config.Config{Settings: config.Settings{State: config.StateSettings{Backend: "sqlite", Path: filepath.Join(dir, ".hearth", "state.db")}}}
	a, _ := readAnnouncement(cfg)
	resp, err := http.Post(a.URL+"/v1/events", "application/x-ndjson", strings.NewReader(`{"id":"j1","type":"member.joined","member":"ann","at":"2026-01-05T10:00:00Z","attrs":{"name":"Ann"}}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	// The daemon records its configuration as it starts its processor.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, ok := runningConfig(t.Context(), cfg); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no configuration recorded in the state:\n%s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.hcl"), []byte("segment \"x\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, args := range [][]string{
			{"member", "show", "ann", dir},
			{"member", "why", "ann", "campaign.onboarding", dir},
			{"member", "list", dir},
			{"campaign", "show", "onboarding", dir},
			{"outbox", "list", dir},
			{"report", dir},
		} {
			code, out, errs := runCLI(args...)
			if code != 0 || !strings.Contains(errs, "the files in "+dir+" are invalid (1 error: hearth validate "+dir+" lists them); reading the state with the configuration hearth run runs") || out == "" {
				t.Errorf("%s: %v: exit %d\nstdout:\n%s\nstderr:\n%s", when, args, code, out, errs)
			}
		}
		code, out, errs := runCLI("member", "show", "-json", "ann", dir)
		var m map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["id"] != "ann" {
			t.Errorf("%s: member show -json: exit %d\nstdout:\n%s\nstderr:\n%s", when, code, out, errs)
		}
	}
	check("while hearth run runs")
	stop()
	check("after hearth run stopped")
	run, _ := runningConfig(t.Context(), cfg)
	if strings.Contains(run.String(), "s3cr3t") || !strings.Contains(run.Files["hook.hcl"], `secret = "x0xx0x-x0xxx-xx-xxxxx"`) {
		t.Errorf("the recorded configuration:\n%s", run.Files["hook.hcl"])
	}
	// A state no daemon recorded a configuration in: the errors, as ever.
	other := quickstartCopy(t)
	if err := os.WriteFile(filepath.Join(other, "broken.hcl"), []byte("segment \"x\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI("member", "show", "ann", other); code != 1 || !strings.Contains(errs, "Unclosed configuration block") {
		t.Errorf("without a record: exit %d\n%s", code, errs)
	}
}
