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
	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/importer/members"
)

func runImportMembers(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "import members", importMembersUsage)
	format := fs.String("format", "", "The export's `FORMAT`: csv or jsonl (default: from the file's name, .jsonl or .ndjson for JSON lines, else csv).")
	out := fs.String("out", "", "Write the events to `FILE` (mode 0600: they name members) instead of stdout; \"-\" is stdout, as no -out is.")
	configDir := fs.String("config", "", "Check tier and badge names against the configuration in `DIR`.")
	atFlag := fs.String("at", "", "The events' `TIME` (RFC 3339, or a date for its midnight UTC): when the opening state holds; not in the future. Default now. Before a history replayed with replay -history, give a time at or before its first event.")
	asJSON := fs.Bool("json", false, "Print the summary on stderr as JSON, without progress lines; with bad rows, a JSON document listing them (\"bad_rows\").")
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
		// An opening state from the future would be refused line by
		// line where it is applied, as replay refuses future events.
		if now := s.clock(); at.After(now.Add(daemon.DefaultMaxAhead)) {
			fmt.Fprintf(s.err, "hearth import members: -at %s is in the future (the clock says %s); the events would be refused as hearth replay refuses events more than %s ahead\n",
				at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), daemon.DefaultMaxAhead)
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
		if *asJSON {
			// The document -json promises, with the rows that failed:
			// nothing was written, so there is no summary.
			type badRow struct {
				Line   int    `json:"line"`
				Column string `json:"column,omitempty"`
				Error  string `json:"error"`
			}
			doc := struct {
				File    string   `json:"file"`
				Written bool     `json:"written"`
				BadRows []badRow `json:"bad_rows"`
				Stopped bool     `json:"stopped_reading,omitempty"`
			}{File: opts.File, BadRows: []badRow{}, Stopped: rowErrs.More}
			for _, e := range rowErrs.List {
				doc.BadRows = append(doc.BadRows, badRow{Line: e.Line, Column: e.Column, Error: e.Err.Error()})
			}
			enc := jsonEncoder(s.err)
			enc.SetIndent("", "  ")
			_ = enc.Encode(doc)
			return 1
		}
		// Every row collected is listed: reading stops at
		// members.MaxErrors, as the README says.
		for _, e := range rowErrs.List {
			fmt.Fprintf(s.err, "hearth import members: %v\n", e)
		}
		more := ""
		if rowErrs.More {
			more = fmt.Sprintf(" (reading stopped at %d)", members.MaxErrors)
		}
		fmt.Fprintf(s.err, "hearth import members: %s%s; nothing was written. Fix them and import again.\n", plural(len(rowErrs.List), "bad row", "bad rows"), more)
		return 1
	}
	if err != nil {
		fmt.Fprintf(s.err, "hearth import members: %v\n", err)
		return 1
	}
	return s.finishImport("members", evs, *out, *asJSON, sum, func() {
		writeMembersSummary(s.err, sum)
		if *out != "" && *out != "-" {
			fmt.Fprintf(s.err, "Wrote %s. Apply it with: hearth replay -events %s DIR\n", *out, *out)
		}
	})
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
	fmt.Fprintf(w, "Imported %s from %s (%s) at %s.\n", plural(sum.Members, "member", "members"), sum.File, sum.Format, sum.At.Format(time.RFC3339))
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
	for _, l := range sum.Lookalikes {
		fmt.Fprintf(w, "Warning: column %q is imported as a profile attribute; did you mean %q? Rename the column to import it as %s.\n", l.Column, l.Meant, l.Meant)
	}
}
