package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A template reads the time of the send as now: template render gives
// it -at, shown on the member's clock by localdate; validate refuses
// timestamp() with a hint at now.
func TestTemplateNowCLI(t *testing.T) {
	dir := t.TempDir()
	src := `
hearth {
  timezone = "Asia/Tokyo"
}

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

template "when" {
  text = { en = "Sent ${localdate("EEE D MMM hh:mm", now)}" }
}
`
	write := func(src string) {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(src)
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	cli := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		c := run(context.Background(), args, s)
		return c, out.String() + errb.String()
	}
	c, o := cli("template", "render", "-at", "2026-03-06T17:00:00Z", "when", dir)
	if c != 0 || !strings.Contains(o, "Sent Sat 7 Mar 02:00") {
		t.Errorf("template render: %d\n%s", c, o)
	}
	write(strings.Replace(src, "now)", "timestamp())", 1))
	c, o = cli("validate", dir)
	if c != 1 || !strings.Contains(o, `There is no function named "timestamp". A template reads the time of the send as the variable now`) {
		t.Errorf("validate: %d\n%s", c, o)
	}
}
