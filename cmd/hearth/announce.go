package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/hearth-community/hearth/engine/config"
)

// A daemon on a SQLite state announces itself in a file next to the
// database. Commands that would write the same database (pardon, replay,
// campaign stop) then go through its API or stop: the daemon keeps the
// members it works on in memory between batches, so a change written
// behind its back would be overwritten by its next batch. (PostgreSQL
// needs none of this: member versions make such writes conflict and
// retry.)

// announcement is the file's content.
type announcement struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

func announcementPath(cfg *config.Config) string {
	if cfg.Settings.State.Backend != "sqlite" || cfg.Settings.State.Path == "" {
		return ""
	}
	return cfg.Settings.State.Path + ".daemon"
}

// announce writes the announcement for a daemon serving its API at addr
// and returns the function that removes it.
func announce(cfg *config.Config, addr net.Addr) (func(), error) {
	path := announcementPath(cfg)
	if path == "" {
		return func() {}, nil
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // listening everywhere: this host reaches it on loopback
	}
	data, _ := json.Marshal(announcement{URL: "http://" + net.JoinHostPort(host, port), PID: os.Getpid()})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("announcing the daemon next to its state: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}

// runningDaemon reads the announcement of a daemon still running on
// cfg's state. A file left by a daemon that died is ignored.
func runningDaemon(cfg *config.Config) (announcement, bool) {
	path := announcementPath(cfg)
	if path == "" {
		return announcement{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return announcement{}, false
	}
	var a announcement
	if json.Unmarshal(data, &a) != nil || a.URL == "" || a.PID <= 0 {
		return announcement{}, false
	}
	// Signal 0 checks that the process exists without touching it; EPERM
	// means it exists under another user.
	if err := syscall.Kill(a.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return announcement{}, false
	}
	return a, true
}
