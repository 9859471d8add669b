package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/importer/members"
	"github.com/hearth-community/hearth/engine/importer/stackexchange"
)

func runImportMembers(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "import members", importMembersUsage)
	format := fs.String("format", "", "The export's `FORMAT`: csv or jsonl (default: from the file's name, .jsonl or .ndjson for JSON lines, else csv).")
	out := fs.String("out", "", "Write the events to `FILE` (mode 0600: they name members) instead of stdout.")
	configDir := fs.String("config", "", "Check tier and badge names against the configuration in `DIR`.")
	atFlag := fs.String("at", "", "The events' `TIME` (RFC 3339, or a date for its midnight UTC): when the opening state holds. Default now.")
	asJSON := fs.Bool("json", false, "Print the summary on stderr as JSON, without progress lines.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(s, "import members", importMembersUsage, fmt.Sprintf("expected one export file, got %d arguments", len(pos)))
	}
	path := pos[0]
	opts := members.Options{File: path, Format: *format, At: s.clock().UTC().Truncate(time.Second)}
	if path == "-" {
		opts.File = "stdin"
	}
	switch opts.Format {
	case "":
		opts.Format = members.FormatCSV
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".jsonl" || ext == ".ndjson" {
			opts.Format = members.FormatJSONL
		}
	case members.FormatCSV, members.FormatJSONL:
	default:
		return usageError(s, "import members", importMembersUsage, fmt.Sprintf("-format %q: csv or jsonl", opts.Format))
	}
	if *atFlag != "" {
		at, err := parseTimeFlag(*atFlag)
		if err != nil {
			fmt.Fprintf(s.err, "hearth import members: -at: %v\n", err)
			return 1
		}
		opts.At = at
	}
	if *configDir != "" {
		cfg, ok := loadConfig(s, *configDir, vf)
		if !ok {
			return 1
		}
		opts.CheckName = configNames(cfg)
	}
	if !*asJSON {
		opts.Progress = func(rows int, done bool) {
			if !done {
				fmt.Fprintf(s.err, "reading %s: %d rows ...\n", opts.File, rows)
			}
		}
	}
	in := io.Reader(s.in)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(s.err, "hearth import members: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	evs, sum, err := members.Import(ctx, in, opts)
	var rowErrs *members.Errors
	if errors.As(err, &rowErrs) {
		for i, e := range rowErrs.List {
			if i == maxSkipsShown {
				fmt.Fprintf(s.err, "hearth import members: %d more bad rows\n", len(rowErrs.List)-i)
				break
			}
			fmt.Fprintf(s.err, "hearth import members: %v\n", e)
		}
		more := ""
		if rowErrs.More {
			more = fmt.Sprintf(" (reading stopped at %d)", members.MaxErrors)
		}
		fmt.Fprintf(s.err, "hearth import members: %d bad rows%s; nothing was written. Fix them and import again.\n", len(rowErrs.List), more)
		return 1
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth import members: %v\n", err)
		return 1
	}
	if err := writeEvents(s.out, *out, func(w io.Writer) error { return stackexchange.WriteJSONL(w, evs) }); err != nil {
		fmt.Fprintf(s.err, "hearth import members: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := jsonEncoder(s.err)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return 0
	}
	writeMembersSummary(s.err, sum)
	if *out != "" && *out != "-" {
		fmt.Fprintf(s.err, "Wrote %s. Apply it with: hearth replay -events %s DIR\n", *out, *out)
	}
	return 0
}

// configNames checks tier and badge names against the configuration's
// blocks, with a did-you-mean for a near miss.
func configNames(cfg *config.Config) func(kind, name string) error {
	var tiers, badges []string
	for _, t := range cfg.Tiers {
		tiers = append(tiers, t.Name)
	}
	for _, b := range cfg.Badges {
		badges = append(badges, b.Name)
	}
	return func(kind, name string) error {
		names := badges
		if kind == "tier" {
			names = tiers
		}
		if slices.Contains(names, name) {
			return nil
		}
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none"
		}
		return fmt.Errorf("%s %q is not a %s block of the configuration.%s (%ss: %s)", kind, name, kind, didYouMean(name, names), kind, list)
	}
}

// writeMembersSummary prints what an import of members produced.
func writeMembersSummary(w io.Writer, sum *members.Summary) {
	fmt.Fprintf(w, "Imported %d members from %s (%s) at %s.\n", sum.Members, sum.File, sum.Format, sum.At.Format(time.RFC3339))
	counts := func(m map[string]int) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, m[k])
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "  identities: %s\n", counts(sum.Identities))
	fmt.Fprintf(w, "  joined: %d with a join time (the others join at the import's time)\n", sum.Joined)
	fmt.Fprintf(w, "  points: %d in opening balances of %d members\n", sum.Points, sum.WithPoints)
	fmt.Fprintf(w, "  badges: %s\n", counts(sum.Badges))
	fmt.Fprintf(w, "  tiers: %s\n", counts(sum.Tiers))
	attrs := "none"
	if len(sum.Attrs) > 0 {
		attrs = strings.Join(sum.Attrs, ", ")
	}
	fmt.Fprintf(w, "  profile attributes: %s\n", attrs)
}
