package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/textdiff"
)

const fmtUsage = `Usage: hearth fmt [options] [DIR or FILE ...]

Rewrites *.hcl files (configuration, variable files and *.hearthtest.hcl
tests) in the canonical style: indentation, aligned equals signs, spacing.
Formatting is idempotent: a formatted file stays as it is. Files with
syntax errors are reported and left alone.

-diff prints what changes and still rewrites the files, as terraform fmt
-diff does; add -write=false (or -check) to look without writing.

Secrets written in the files are shown as "(sensitive)" in -diff and in
the lines quoted under a syntax error, since both end up in CI logs: the
values of platform credentials (token, secret, webhook_url ...), of a
state url with a password, of a sensitive variable's default, and every
value in a file of variable values (-var-file). The files themselves
are written with their secrets as they are.

Exit status: 0 success; 1 error; 3 with -check when a file is not
formatted (as terraform fmt -check). A directory with no *.hcl files is
warned of on stderr (a CI check run in the wrong directory checks
nothing) and exits 0, as terraform fmt does.

Related: hearth validate checks what the files mean; fmt only their layout.

Examples:
  hearth fmt                         # format the current directory
  hearth fmt -check -recursive .     # in CI: fail on unformatted files
  hearth fmt -diff examples/quickstart  # rewrite, printing the changes
  hearth fmt -diff -write=false .    # print the changes, write nothing
`

func runFmt(_ context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "fmt", fmtUsage)
	check := fs.Bool("check", false, "Do not write; exit 3 if any file would change.")
	diff := fs.Bool("diff", false, "Print the changes as a unified diff; the files are rewritten too, unless -check or -write=false.")
	write := fs.Bool("write", true, "Write the formatted files; -write=false only reports (exit 0, unlike -check).")
	recursive := fs.Bool("recursive", false, "Also format files in subdirectories.")
	list := fs.Bool("list", true, "Print the names of files that change.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		pos = []string{"."}
	}
	files, err := hclFiles(pos, *recursive)
	if err != nil {
		fmt.Fprintf(s.err, "hearth fmt: %v\n", err)
		return 1
	}
	if len(files) == 0 {
		// A CI check run in the wrong directory would pass having
		// checked nothing. Exit 0, as Terraform's fmt does: the warning
		// is for the log.
		where := strings.Join(pos, " ")
		hint := " (-recursive looks in subdirectories too)"
		if *recursive {
			hint = ""
		}
		fmt.Fprintf(s.err, "hearth fmt: warning: no *.hcl files in %s: nothing was checked or formatted%s\n", where, hint)
		return 0
	}
	changed, failed := 0, false
	specs := platformSpecs()
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(s.err, "hearth fmt: %v\n", err)
			failed = true
			continue
		}
		out, diags := config.Format(src, path)
		if diags.HasErrors() {
			src := config.Sources{path: config.MaskSecrets(diags.File, specs)}
			_ = config.WriteDiagnostics(s.err, src, diags.Diagnostics, relBase(""), s.color(s.errTTY))
			failed = true
			continue
		}
		if string(out) == string(src) {
			continue
		}
		changed++
		if *list {
			fmt.Fprintln(s.out, path)
		}
		if *diff {
			// Both sides masked: fmt moves no literal, so this is the
			// diff of the files with their secrets taken out. The path as
			// given: a prefix such as old/ would make old//tmp/a.hcl of an
			// absolute one.
			old, formatted := config.MaskedSource(src, path, specs), config.MaskedSource(out, path, specs)
			fmt.Fprint(s.out, textdiff.Unified(path, path+" (formatted)", old, formatted))
		}
		if *write && !*check {
			info, err := os.Stat(path)
			if err == nil {
				err = os.WriteFile(path, out, info.Mode().Perm())
			}
			if err != nil {
				fmt.Fprintf(s.err, "hearth fmt: %v\n", err)
				failed = true
			}
		}
	}
	switch {
	case failed:
		return 1
	case *check && changed > 0:
		return 3
	}
	return 0
}

// hclFiles expands directories into their *.hcl files.
func hclFiles(paths []string, recursive bool) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (!recursive || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, ".hcl") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
