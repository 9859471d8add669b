package config

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
)

// RunningRecord names the record, in the state store with the stream
// cursors, of the configuration hearth run runs: a command that only
// reads the state (member show, campaign show, outbox list, report)
// reads it with that configuration while the files on disk fail
// validation, as the daemon, which keeps its last good one, does.
const RunningRecord = "hearth.config"

// Running is a configuration as hearth run loaded it: its files' texts,
// with the secrets written in them blanked (SecretRanges), so the record
// holds no more than a plan would show.
type Running struct {
	// Hash is the configuration's Fingerprint, as the daemon's status
	// and reload log give it.
	Hash     string    `json:"hash"`
	LoadedAt time.Time `json:"loaded_at"`
	// Files are the configuration files' texts by base name.
	Files map[string]string `json:"files"`
}

// RunningOf is cfg's record, loaded at at; platforms are the platform
// specs, which say which settings hold credentials.
func RunningOf(cfg *Config, platforms map[string]PlatformSpec, at time.Time) Running {
	r := Running{Hash: cfg.Fingerprint, LoadedAt: at.UTC(), Files: map[string]string{}}
	dir := filepath.Clean(cfg.Dir)
	for path, f := range cfg.Files {
		name := filepath.Base(path)
		if filepath.Dir(path) != dir || !strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, TestFileSuffix) {
			continue // var files and others read beside the configuration
		}
		r.Files[name] = string(blank(f.Bytes, SecretRanges(f, platforms)))
	}
	return r
}

// blank overwrites the letters and digits of src in ranges, keeping the
// text parseable: a quoted token stays a quoted string, a number a number.
func blank(src []byte, ranges []hcl.Range) []byte {
	out := append([]byte(nil), src...)
	for _, r := range ranges {
		for i := max(r.Start.Byte, 0); i < min(r.End.Byte, len(out)); i++ {
			switch c := rune(out[i]); {
			case c < 0x80 && unicode.IsDigit(c):
				out[i] = '0'
			case c < 0x80 && unicode.IsLetter(c):
				out[i] = 'x'
			}
		}
	}
	return out
}

// String is the record as stored.
func (r Running) String() string {
	b, _ := json.Marshal(r) // strings and a time always encode
	return string(b)
}

// ParseRunning reads what String wrote; ok is false for "" (no record)
// and for a record that cannot be read.
func ParseRunning(s string) (Running, bool) {
	var r Running
	if s == "" || json.Unmarshal([]byte(s), &r) != nil || len(r.Files) == 0 {
		return Running{}, false
	}
	return r, true
}

// Texts are the files' texts for Options.Files.
func (r Running) Texts() map[string][]byte {
	out := make(map[string][]byte, len(r.Files))
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out[n] = []byte(r.Files[n])
	}
	return out
}
