package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/plan"
	"github.com/hearth-community/hearth/engine/platform"
)

// applyJSONLines parses hearth apply -json's stdout: every line must be
// one JSON object with a type, a message and a timestamp.
func applyJSONLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	if !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout does not end with a newline:\n%s", stdout)
	}
	var msgs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		for _, k := range []string{"type", "message", "timestamp"} {
			if _, ok := m[k].(string); !ok {
				t.Fatalf("line %d has no %s string:\n%s", i+1, k, line)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, m["timestamp"].(string)); err != nil {
			t.Fatalf("line %d: timestamp: %v", i+1, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// changeOf is the address and action of an apply_* message.
func changeOf(m map[string]any) string {
	c, _ := m["change"].(map[string]any)
	return m["type"].(string) + " " + str(c["action"]) + " " + str(c["address"])
}

func str(v any) string { s, _ := v.(string); return s }

// The sequence of apply -json: the version, the plan applied, a start
// and an outcome for each change in the plan's order, and the summary
// last; a failing change ends with its error, a diagnostic and a
// failed summary. Every line is JSON, and stderr stays empty.
func TestApplyJSON(t *testing.T) {
	dir := t.TempDir()
	write := func(title string) {
		src := strings.Replace(planSite, "  }\n}", "  }\n  role \"mod\" {\n    title       = \""+title+"\"\n    permissions = [\"kick_members\"]\n  }\n}", 1)
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mod")

	code, stdout, stderr := hearthCmd(t, "", false, "apply", "-json", "-auto-approve", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	msgs := applyJSONLines(t, stdout)
	if msgs[0]["type"] != "version" || msgs[0]["format_version"] != applyJSONVersion || msgs[0]["plan_format_version"] != plan.FormatVersion || msgs[0]["hearth"] != Version {
		t.Fatalf("first line: %v", msgs[0])
	}
	if msgs[1]["type"] != "plan" {
		t.Fatalf("second line: %v", msgs[1])
	}
	// The plan is hearth plan -json's document.
	raw, _ := json.Marshal(msgs[1]["plan"])
	p, err := plan.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the plan message's plan: %v", err)
	}
	var want []string
	for _, c := range p.Changes {
		want = append(want, "apply_start create "+c.Address, "apply_complete create "+c.Address)
	}
	var got []string
	for _, m := range msgs[2 : len(msgs)-1] {
		got = append(got, changeOf(m))
		if m["type"] == "apply_complete" {
			if _, ok := m["elapsed_seconds"].(float64); !ok {
				t.Errorf("no elapsed_seconds: %v", m)
			}
			if str(m["change"].(map[string]any)["id"]) == "" {
				t.Errorf("no id for what was created: %v", m)
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	last := msgs[len(msgs)-1]
	if last["type"] != "change_summary" || last["outcome"] != "complete" || last["summary"].(map[string]any)["add"] != float64(len(p.Changes)) {
		t.Fatalf("last line: %v", last)
	}

	// The role's title is longer than the platform takes: it refuses
	// the update.
	write(strings.Repeat("x", 101))
	code, stdout, stderr = hearthCmd(t, "", false, "apply", "-json", "-auto-approve", dir)
	if code != 1 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	msgs = applyJSONLines(t, stdout)
	got = nil
	for _, m := range msgs {
		got = append(got, strings.TrimSpace(changeOf(m)))
	}
	want = []string{"version", "plan", "apply_start update community.c.role.mod", "apply_errored update community.c.role.mod", "diagnostic", "change_summary"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), stdout)
	}
	if e := str(msgs[3]["error"]); !strings.Contains(e, "longer than 100 characters") {
		t.Errorf("apply_errored error = %q", e)
	}
	if d := msgs[4]["diagnostic"].(map[string]any); d["severity"] != "error" || !strings.Contains(str(d["summary"]), "longer than 100 characters") {
		t.Errorf("diagnostic = %v", d)
	}
	last = msgs[5]
	if last["outcome"] != "failed" || last["failed"] != "community.c.role.mod" || last["not_attempted"] != float64(0) {
		t.Errorf("summary = %v", last)
	}

	// No prompt under -json: without -auto-approve or a plan file,
	// apply refuses before it plans.
	code, stdout, stderr = hearthCmd(t, "yes\n", true, "apply", "-json", dir)
	if code != 1 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	msgs = applyJSONLines(t, stdout)
	if len(msgs) != 3 || msgs[1]["type"] != "diagnostic" || !strings.Contains(str(msgs[1]["message"]), "-auto-approve or a saved plan") || msgs[2]["outcome"] != "failed" {
		t.Fatalf("messages:\n%s", stdout)
	}
}

// Errors are redacted in both views: a platform's error may quote the
// URL or token it was called with.
func TestApplyViewRedacts(t *testing.T) {
	const secret = "tok-5ecret-value"
	leak := errors.New("POST https://api.example/bot" + secret + "/x: 401")
	for _, asJSON := range []bool{true, false} {
		var out, errb bytes.Buffer
		s := &stdio{out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		v := newApplyView(s, asJSON)
		v.redact = config.NewRedactor([]string{secret})
		v.event(plan.ApplyEvent{Phase: plan.PhaseErrored, Address: "community.c", Kind: platform.KindCommunity, Action: "create", Err: leak, Message: "community.c: Creating... failed"})
		v.applied(plan.Result{Failed: "community.c"}, leak, "", ".")
		v.close(1)
		all := out.String() + errb.String()
		if strings.Contains(all, secret) || !strings.Contains(all, config.Redacted) {
			t.Errorf("json %v: the secret shows, or nothing says it was taken out:\n%s", asJSON, all)
		}
	}
}

// A plan, a drift report and a plan -json of a directory never applied
// to write nothing: no local platform file, no state, no directory.
func TestPlanWritesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		var names []string
		err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
			if err == nil {
				names = append(names, path+" "+fi.ModTime().String())
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	before := list()
	planFile := filepath.Join(t.TempDir(), "p.plan")
	for _, args := range [][]string{
		{"plan", dir}, {"plan", "-json", dir}, {"plan", "-out", planFile, dir}, {"drift", dir},
		{"show", planFile}, {"state", "list", dir}, {"local", "show", "members", "c", dir},
	} {
		code, stdout, stderr := hearthCmd(t, "", false, args...)
		if code != 0 && args[0] != "local" {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		if after := list(); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Fatalf("%v changed the directory:\n%s\nwas:\n%s", args, strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
	}
}
