package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hearth-community/hearth/engine/config"
)

func sqliteConfig(t *testing.T) *config.Config {
	cfg := &config.Config{}
	cfg.Settings.State.Backend = "sqlite"
	cfg.Settings.State.Path = filepath.Join(t.TempDir(), ".hearth", "state.db")
	return cfg
}

// One process at a time holds a SQLite state; the next one is told who
// has it, with the daemon's address once it announced one.
func TestStateLock(t *testing.T) {
	cfg := sqliteConfig(t)
	lock, err := lockState(cfg, "hearth run")
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockState(cfg, "hearth run")
	var busy *stateBusyError
	if !errors.As(err, &busy) || busy.daemon() || busy.Holder.PID != os.Getpid() ||
		err.Error() != fmt.Sprintf("hearth run (pid %d) is using the state %s", os.Getpid(), cfg.Settings.State.Path) {
		t.Fatalf("second lock: %v", err)
	}
	remove, err := announce(cfg, &net.TCPAddr{IP: net.IPv4zero, Port: 7341})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockState(cfg, "hearth replay")
	if !errors.As(err, &busy) || !busy.daemon() || busy.Daemon.URL != "http://127.0.0.1:7341" ||
		!strings.Contains(err.Error(), fmt.Sprintf("hearth run (pid %d, http://127.0.0.1:7341) serves the state", os.Getpid())) {
		t.Fatalf("lock while a daemon serves: %v", err)
	}
	// Released, the state is free again even with an announcement left
	// behind (as a daemon killed with -9 leaves it).
	lock.release()
	lock, err = lockState(cfg, "hearth replay")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	lock.release()
	remove()
	if _, err := os.Stat(announcementPath(cfg)); !os.IsNotExist(err) {
		t.Errorf("announcement left by its own daemon: %v", err)
	}
}

// The kernel lets the lock go when its process dies, however it dies:
// no stale lock is left for anyone to clean up.
func TestStateLockDiesWithItsProcess(t *testing.T) {
	cfg := sqliteConfig(t)
	if err := os.MkdirAll(filepath.Dir(cfg.Settings.State.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(lockPath(cfg.Settings.State.Path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	// The child inherits the locked file; once this process closes its
	// copy, only the child holds the lock.
	child := exec.Command("sleep", "60")
	child.ExtraFiles = []*os.File{f}
	if err := child.Start(); err != nil {
		t.Skipf("no child process: %v", err)
	}
	f.Close()
	var busy *stateBusyError
	if _, err := lockState(cfg, "hearth run"); !errors.As(err, &busy) {
		t.Fatalf("lock held by a child process: %v", err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	lock, err := lockState(cfg, "hearth run")
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	lock.release()
}

// A daemon removes its announcement only while the file is still its
// own.
func TestAnnouncementRemovedOnlyByItsWriter(t *testing.T) {
	cfg := sqliteConfig(t)
	if err := os.MkdirAll(filepath.Dir(cfg.Settings.State.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	remove, err := announce(cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7341})
	if err != nil {
		t.Fatal(err)
	}
	other := `{"url":"http://127.0.0.1:7342","pid":1}`
	if err := os.WriteFile(announcementPath(cfg), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	remove()
	if data, err := os.ReadFile(announcementPath(cfg)); err != nil || string(data) != other {
		t.Errorf("another daemon's announcement was removed: %q %v", data, err)
	}
}

// PostgreSQL is shared by replicas: no lock, no files.
func TestStateLockNotForPostgres(t *testing.T) {
	cfg := &config.Config{}
	cfg.Settings.State.Backend = "postgres"
	for range 2 {
		lock, err := lockState(cfg, "hearth run")
		if err != nil {
			t.Fatal(err)
		}
		defer lock.release()
	}
	if p := announcementPath(cfg); p != "" {
		t.Errorf("postgres state announces at %q", p)
	}
}

// Commands that write a SQLite state directly wait for none and write
// nothing while another process holds it.
func TestWritersRespectTheStateLock(t *testing.T) {
	dir := quickstartCopy(t)
	s := &stdio{in: bytes.NewReader(nil), out: &bytes.Buffer{}, err: &bytes.Buffer{}, lookupEnv: func(string) (string, bool) { return "", false }}
	cfg, ok := loadConfig(s, dir, varFlags{})
	if !ok {
		t.Fatal(s.err)
	}
	lock, err := lockState(cfg, "hearth campaign stop")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	if err := os.WriteFile(events, []byte(`{"id":"l1","type":"message.posted","member":"u1","at":"`+at+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"replay", "-events", events, dir},
		{"member", "pardon", "u1", dir},
		{"campaign", "stop", "onboarding", dir},
		{"outbox", "send", dir},
		{"run", "-listen", freeAddr(t), dir},
	} {
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
		code := run(context.Background(), args, s)
		want := fmt.Sprintf("hearth campaign stop (pid %d) is using the state %s", os.Getpid(), cfg.Settings.State.Path)
		if code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("hearth %s while the state is held: %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
	}
	if _, err := os.Stat(cfg.Settings.State.Path); !os.IsNotExist(err) {
		t.Errorf("the state was opened: %v", err)
	}
}

// A second hearth run on a served state exits 1 naming the first (its
// pid and address), and leaves the first one's announcement alone.
//
// The first daemon listens on port 0 and is found through its
// announcement: a port picked in advance and closed (freeAddr) can be
// taken by another process on a busy machine before the daemon listens,
// and the test then waited on, and talked to, that process's daemon
// while its own had exited. The second run has a deadline, so a second
// daemon that wrongly started would stop instead of hanging the test.
func TestRunRefusesASecondDaemon(t *testing.T) {
	dir := quickstartCopy(t)
	db := filepath.Join(dir, ".hearth", "state.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run", "-listen", "127.0.0.1:0", dir}, s) }()
	cfg := &config.Config{Settings: config.Settings{State: config.StateSettings{Backend: "sqlite", Path: db}}}
	var first announcement
	for deadline := time.Now().Add(20 * time.Second); ; {
		if a, ok := readAnnouncement(cfg); ok {
			first = a
			break
		}
		select {
		case c := <-code:
			t.Fatalf("the daemon exited %d before announcing itself:\n%s", c, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no announcement:\n%s", errb.String())
		}
	}
	if first.PID != os.Getpid() {
		t.Fatalf("the announcement names pid %d, not this test's %d", first.PID, os.Getpid())
	}
	// Announced means listening, and ready soon after.
	resp, err := http.Get(first.URL + "/readyz")
	if err != nil {
		t.Fatalf("the announced daemon does not answer: %v", err)
	}
	resp.Body.Close()
	before, err := os.ReadFile(announcementPath(cfg))
	if err != nil {
		t.Fatal(err)
	}

	var out2, errb2 bytes.Buffer
	s2 := &stdio{in: bytes.NewReader(nil), out: &out2, err: &errb2, lookupEnv: func(string) (string, bool) { return "", false }}
	ctx2, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	c := run(ctx2, []string{"run", "-listen", "127.0.0.1:0", dir}, s2)
	cancel2()
	want := fmt.Sprintf("hearth run: hearth run (pid %d, %s) serves the state %s", os.Getpid(), first.URL, db)
	if c != 1 || !strings.Contains(errb2.String(), want) || !strings.Contains(errb2.String(), "Only one hearth run may serve a SQLite state") {
		t.Errorf("second daemon: exit %d\n%s%s", c, out2.String(), errb2.String())
	}
	if after, err := os.ReadFile(announcementPath(cfg)); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the first daemon's announcement after the second gave up: %q %v", after, err)
	}
	cancel()
	stoppedWith0(t, code, errb.String)
	// Stopped, it leaves the state free for the next one.
	lock, err := lockState(cfg, "test")
	if err != nil {
		t.Fatalf("after the daemon stopped: %v", err)
	}
	lock.release()
}
