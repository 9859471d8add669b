package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
)

// Source says which configuration a plan was made from, so apply can
// tell a plan made for another configuration from one whose
// configuration has since changed: config_hash alone says only that
// something differs.
type Source struct {
	// Dir is the configuration directory, absolute.
	Dir string `json:"dir"`
	// Files are the SHA-256 of each file, by file name.
	Files map[string]string `json:"files"`
	// Communities are the configuration's community addresses, which
	// name the project when two directories have the same path (two
	// checkouts in CI).
	Communities []string `json:"communities"`
}

// SourceOf describes cfg.
func SourceOf(cfg *config.Config) *Source {
	src := &Source{Dir: cfg.Dir, Files: map[string]string{}, Communities: []string{}}
	if abs, err := filepath.Abs(cfg.Dir); err == nil {
		src.Dir = abs
	}
	for name, f := range cfg.Files {
		sum := sha256.Sum256(f.Bytes)
		src.Files[filepath.Base(name)] = hex.EncodeToString(sum[:])
	}
	// The files file() read, by their path from the directory, so a
	// stale plan names "rules.md changed".
	for name, data := range cfg.ReadFiles {
		sum := sha256.Sum256(data)
		src.Files[name] = hex.EncodeToString(sum[:])
	}
	for _, c := range cfg.Communities {
		src.Communities = append(src.Communities, "community."+c.Name)
	}
	slices.Sort(src.Communities)
	return src
}

// ConfigMismatchError is Apply's error for a saved plan whose
// configuration is not the one loaded now. It is ErrStale for
// errors.Is.
type ConfigMismatchError struct {
	// Other is set when the plan was made for another configuration
	// (another directory, or communities none of which are here);
	// otherwise the configuration changed since the plan was made.
	Other bool
	// PlanDir and Dir are where the plan was made and the configuration
	// loaded now.
	PlanDir, Dir string
	// PlanCommunities and Communities are set when they share none.
	PlanCommunities, Communities []string
	// Changed, Added and Removed are file names that differ; all empty
	// when only variable values differ.
	Changed, Added, Removed []string
	// Sensitive is set when the files and plain values are the same
	// but the value of a sensitive variable is not. Which one, the plan
	// cannot say: it checks them together, without keeping them.
	Sensitive bool
}

func (e *ConfigMismatchError) Unwrap() error { return ErrStale }

func (e *ConfigMismatchError) Error() string {
	var files []string
	for _, f := range e.Changed {
		files = append(files, f+" changed")
	}
	for _, f := range e.Added {
		files = append(files, f+" added")
	}
	for _, f := range e.Removed {
		files = append(files, f+" removed")
	}
	if len(files) > maxFiles {
		files = append(files[:maxFiles], fmt.Sprintf("%d more", len(files)-maxFiles))
	}
	differ := "files differ: " + strings.Join(files, ", ")
	switch {
	case e.Sensitive:
		return "a sensitive variable's value changed since the plan was made (the files are the same; values come from -var, -var-file or " + config.EnvVarPrefix + " variables): run hearth plan again and review the new plan"
	case e.Other && e.PlanDir != e.Dir:
		return fmt.Sprintf("this plan was made for a different configuration, in %s (this one is in %s; %s): run hearth plan for this configuration and apply that plan",
			e.PlanDir, e.Dir, differ)
	case e.Other:
		return fmt.Sprintf("this plan was made for a different configuration, for %s (this one has %s; %s): run hearth plan for this configuration and apply that plan",
			list(e.PlanCommunities), list(e.Communities), differ)
	case len(files) == 0:
		return "the configuration changed since the plan was made (same files, other variable values: -var or " + config.EnvVarPrefix + " variables): run hearth plan again and review the new plan"
	}
	return "the configuration changed since the plan was made (" + differ + "): run hearth plan again and review the new plan"
}

// maxFiles is how many differing files a mismatch names.
const maxFiles = 5

func list(names []string) string {
	if len(names) == 0 {
		return "no communities"
	}
	return strings.Join(names, ", ")
}

// mismatch explains why a plan's configuration is not now's; nil when
// the plan does not say where it was made (plans before format 1.1).
func mismatch(plan, now *Source) *ConfigMismatchError {
	if plan == nil || now == nil {
		return nil
	}
	e := &ConfigMismatchError{PlanDir: plan.Dir, Dir: now.Dir}
	for _, name := range slices.Sorted(maps.Keys(plan.Files)) {
		sum, ok := now.Files[name]
		switch {
		case !ok:
			e.Removed = append(e.Removed, name)
		case sum != plan.Files[name]:
			e.Changed = append(e.Changed, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(now.Files)) {
		if _, ok := plan.Files[name]; !ok {
			e.Added = append(e.Added, name)
		}
	}
	shared := len(plan.Communities) == 0 || len(now.Communities) == 0
	for _, c := range plan.Communities {
		shared = shared || slices.Contains(now.Communities, c)
	}
	switch {
	case plan.Dir != now.Dir:
		e.Other = true
	case !shared:
		e.Other = true
		e.PlanCommunities, e.Communities = plan.Communities, now.Communities
	}
	return e
}
