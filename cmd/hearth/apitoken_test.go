package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A short API token is refused on an address others can reach, and
// taken with a warning on loopback; a token file group or others may
// read is taken with a warning. No message quotes the token.
func TestAPITokenChecks(t *testing.T) {
	dir := t.TempDir()
	file := func(name, token string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(token+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	long := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, env, file, listen string
		refused                 bool
		warnings                []string
	}{
		{name: "long env token open", env: long, listen: "0.0.0.0:7341"},
		{name: "short env token open", env: "s3cret", listen: "0.0.0.0:7341", refused: true},
		{name: "short env token loopback", env: "s3cret", listen: "127.0.0.1:7341", warnings: []string{"HEARTH_API_TOKEN is shorter than 16 bytes"}},
		{name: "no token loopback", listen: "127.0.0.1:7341"},
		{name: "private file", file: file("private", long, 0o600), listen: "0.0.0.0:7341"},
		{name: "group-readable file", file: file("shared", long, 0o640), listen: "0.0.0.0:7341", warnings: []string{"may be read or written by group or others (mode 0640)"}},
		{name: "short world-readable file loopback", file: file("short", "pw", 0o644), listen: "[::1]:7341", warnings: []string{"mode 0644", "shorter than 16 bytes"}},
		{name: "short file open", file: file("short2", "pw", 0o600), listen: ":7341", refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &stdio{lookupEnv: func(k string) (string, bool) { return tc.env, k == "HEARTH_API_TOKEN" && tc.env != "" }}
			token, warnings, err := apiToken(s, tc.file, tc.listen)
			if (err != nil) != tc.refused {
				t.Fatalf("err %v; refused %v", err, tc.refused)
			}
			all := strings.Join(warnings, "\n")
			if err != nil {
				all = err.Error()
			} else if token == "" && (tc.env != "" || tc.file != "") {
				t.Errorf("no token read")
			}
			for _, secret := range []string{long, "s3cret", "pw\n", " pw "} {
				if strings.Contains(all, secret) {
					t.Errorf("a message quotes the token: %s", all)
				}
			}
			if !tc.refused && len(warnings) != len(tc.warnings) {
				t.Errorf("warnings %q; want one each of %q", warnings, tc.warnings)
			}
			for _, w := range tc.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", warnings, w)
				}
			}
		})
	}
}

// hearth run logs the warnings at start, one line each, before anything
// else can fail; and refuses a short token on an open address.
func TestRunWarnsOfAWeakToken(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("broken {"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tiny-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tokenFile, 0o604); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if c := run(context.Background(), []string{"run", "-log-format", "json", "-listen", "127.0.0.1:0", "-token-file", tokenFile, dir}, s); c != 1 {
		t.Fatalf("exit %d: %s", c, errb.String())
	}
	var warns []string
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "token") {
			warns = append(warns, line)
		}
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "mode 0604") || !strings.Contains(warns[1], "shorter than 16 bytes") || strings.Contains(errb.String(), "tiny-token") {
		t.Errorf("log %s", errb.String())
	}
	errb.Reset()
	if c := run(context.Background(), []string{"run", "-listen", "0.0.0.0:0", "-token-file", tokenFile, dir}, s); c != 1 || !strings.Contains(errb.String(), "shorter than 16 bytes") || strings.Contains(errb.String(), "tiny-token") {
		t.Errorf("short token on an open address: exit %d: %s", c, errb.String())
	}
}
