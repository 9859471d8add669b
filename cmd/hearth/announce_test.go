package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// An announcement is found while its daemon lives; one left by a daemon
// that died (a kill -9) is ignored, so commands write the store again.
func TestAnnouncement(t *testing.T) {
	cfg := &config.Config{}
	cfg.Settings.State.Backend = "sqlite"
	cfg.Settings.State.Path = filepath.Join(t.TempDir(), "state.db")
	remove, err := announce(cfg, &net.TCPAddr{IP: net.IPv4zero, Port: 7341})
	if err != nil {
		t.Fatal(err)
	}
	a, ok := runningDaemon(cfg)
	if !ok || a.URL != "http://127.0.0.1:7341" || a.PID != os.Getpid() {
		t.Fatalf("announcement %+v, %v", a, ok)
	}
	remove()
	if _, ok := runningDaemon(cfg); ok {
		t.Fatal("found after removal")
	}

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	stale := `{"url":"http://127.0.0.1:7341","pid":` + strconv.Itoa(dead.ProcessState.Pid()) + `}`
	if err := os.WriteFile(cfg.Settings.State.Path+".daemon", []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, ok := runningDaemon(cfg); ok {
		t.Errorf("a dead daemon's announcement was taken: %+v", a)
	}
	cfg.Settings.State.Backend = "postgres"
	if _, err := announce(cfg, &net.TCPAddr{Port: 1}); err != nil {
		t.Errorf("postgres state needs no announcement: %v", err)
	}
}
