package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/hearth-community/hearth/engine/config"
)

// A daemon on a SQLite state announces itself in a file next to the
// database, so that commands that would write the same database (pardon,
// replay) can go through its API instead, and others (campaign stop,
// state prune) can say which daemon to stop. Whether a daemon runs is
// the state lock's to say (statelock.go): an announcement counts only
// while its daemon holds the lock, so one left by a daemon that died is
// ignored.

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
// and returns the function that removes it. The daemon must hold the
// state lock. The file is removed only while it still holds this
// process's announcement: it is never another daemon's to remove.
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
	mine := announcement{URL: "http://" + net.JoinHostPort(host, port), PID: os.Getpid()}
	data, _ := json.Marshal(mine)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("announcing the daemon next to its state: %w", err)
	}
	return func() {
		if a, ok := readAnnouncement(cfg); ok && a == mine {
			_ = os.Remove(path)
		}
	}, nil
}

// readAnnouncement reads the announcement next to cfg's state, which
// says where a daemon serves its API; whether that daemon still runs is
// for the state lock to say.
func readAnnouncement(cfg *config.Config) (announcement, bool) {
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
	return a, true
}
