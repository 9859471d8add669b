package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hearth destroy on a terminal shows the plan and asks; anything but
// "yes" changes nothing, "yes" destroys it all.
func TestDestroyAsks(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(planSite), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := hearthCmd(t, "", false, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errs)
	}
	// With -target, the header and the question name the targets only.
	code, out, errs := hearthCmd(t, "no\n", true, "destroy", "-target", "community.c.channel.general", dir)
	if code != 1 || !strings.Contains(out, "hearth will destroy community.c.channel.general (what its state holds there), with the following actions:") ||
		!strings.Contains(out, "Do you really want to destroy community.c.channel.general, as shown above? There is no undo.") ||
		strings.Contains(out, "everything") || strings.Contains(out, "what hearth manages") {
		t.Fatalf("targeted, answered no: %d\n%s%s", code, out, errs)
	}
	code, out, errs = hearthCmd(t, "no\n", true, "destroy", "-allow-removals", dir)
	if code != 1 || !strings.Contains(out, "# community.c will be destroyed") || !strings.Contains(out, "Do you really want to destroy what hearth manages, as shown above? There is no undo.") ||
		!strings.Contains(errs, "hearth destroy: cancelled; nothing was changed.") || strings.Contains(out, "Destroying") {
		t.Fatalf("answered no: %d\n%s%s", code, out, errs)
	}
	if code, out, _ := hearthCmd(t, "", false, "state", "list", dir); code != 0 || !strings.Contains(out, "community.c ") {
		t.Fatalf("state after a no:\n%s", out)
	}
	code, out, errs = hearthCmd(t, "yes\n", true, "destroy", "-allow-removals", dir)
	if code != 0 || !strings.Contains(out, "community.c: Destroying... Destroyed (id co-1)") || !strings.Contains(out, "Destroy complete! Resources: 2 destroyed.") {
		t.Fatalf("answered yes: %d\n%s%s", code, out, errs)
	}
	// Nothing left: nothing to ask about.
	code, out, errs = hearthCmd(t, "", true, "destroy", dir)
	if code != 0 || !strings.Contains(out, "No objects need to be destroyed") || strings.Contains(out, "Enter a value") {
		t.Fatalf("nothing to destroy: %d\n%s%s", code, out, errs)
	}
}
