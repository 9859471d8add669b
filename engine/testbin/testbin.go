// Package testbin builds the real servers hearth's integration tests run
// against (a Matrix homeserver, an SMTP server) from their Go modules, at
// pinned versions, once per machine.
//
// A module is downloaded through the Go module proxy with `go mod
// download`, its commands are built with `go build` inside the
// downloaded directory (the module's own go.mod and go.sum decide its
// dependencies) and the binaries are kept under
// $HOME/.cache/hearth-test/MODULE@VERSION, so later test runs start at
// once. A lock file keeps parallel test binaries from building the same
// module twice.
package testbin

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// CacheDir is where binaries are kept: $HEARTH_TEST_CACHE, or
// $HOME/.cache/hearth-test.
func CacheDir() (string, error) {
	if d := os.Getenv("HEARTH_TEST_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "hearth-test"), nil
}

// Build returns the directory holding the binaries of the packages pkgs
// (paths inside the module, such as "cmd/dendrite", or "." for the
// module's root) of module at version, building them when they are not
// cached. A failure fails the test with the build's output.
func Build(t testing.TB, module, version string, pkgs ...string) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	dir := filepath.Join(cache, strings.ReplaceAll(module, "/", "_")+"@"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testbin: %v", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("testbin: locking %s: %v", dir, err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	var missing []string
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, binName(module, p))); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return dir
	}
	t.Logf("testbin: building %s@%s (%s) into %s; later runs reuse it", module, version, strings.Join(missing, ", "), dir)
	src := download(t, module, version)
	for _, p := range missing {
		// Each package alone, so the binary gets a known name even for
		// the module root; into a temporary name first, so an interrupted
		// build never leaves a broken binary that looks cached.
		out := filepath.Join(dir, binName(module, p))
		cmd := exec.Command("go", "build", "-o", out+".tmp", "./"+strings.TrimPrefix(p, "./"))
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("testbin: building %s of %s@%s: %v\n%s", p, module, version, err, b)
		}
		if err := os.Rename(out+".tmp", out); err != nil {
			t.Fatalf("testbin: %v", err)
		}
	}
	return dir
}

// binName is the file name of a package's binary: its last path
// element, or the module's for the root.
func binName(module, pkg string) string {
	pkg = strings.Trim(strings.TrimPrefix(pkg, "."), "/")
	if pkg == "" {
		return filepath.Base(module)
	}
	return filepath.Base(pkg)
}

func download(t testing.TB, module, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var info struct {
		Dir   string
		Error string
	}
	_ = json.Unmarshal(stdout.Bytes(), &info)
	if err != nil || info.Dir == "" {
		t.Fatalf("testbin: go mod download %s@%s: %v %s\n%s", module, version, err, info.Error, stderr.Bytes())
	}
	return info.Dir
}

// FreeAddr returns a loopback address with a port nothing listens on
// now, for a server the test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("testbin: %v", err)
	}
	return addr
}

// Start runs a server command until the test ends, with its output in
// the file log (shown when the test fails). The process is killed and
// waited for in cleanup.
func Start(t testing.TB, dir, log string, name string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("testbin: starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		if t.Failed() {
			if b, err := os.ReadFile(log); err == nil {
				t.Logf("%s output (last 4 KiB):\n%s", filepath.Base(name), tail(b, 4096))
			}
		}
	})
	return cmd
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Skip skips the test unless the environment variable env is "1",
// saying in one line what the test needs.
func Skip(t testing.TB, env, what string) {
	t.Helper()
	if os.Getenv(env) != "1" {
		t.Skipf("set %s=1 to run against %s", env, what)
	}
}
