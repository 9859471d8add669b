package config_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/webhook"
	"github.com/hearth-community/hearth/engine/config"
)

// A marker says a diagnostic must start on its line: `# ERROR: text` or
// `# WARNING: text`, where text is part of the summary or the detail.
type marker struct {
	line int
	sev  hcl.DiagnosticSeverity
	text string
}

func (m marker) String() string {
	sev := "ERROR"
	if m.sev == hcl.DiagWarning {
		sev = "WARNING"
	}
	return fmt.Sprintf("line %d: %s: %s", m.line, sev, m.text)
}

var (
	reMarker = regexp.MustCompile(`# (ERROR|WARNING): `)
	// Directives at the start of a corpus file set load options:
	// `# VAR: name=value`, `# ENV: NAME=value`.
	reDirective = regexp.MustCompile(`^# (VAR|ENV): (.*)$`)
)

// parseCorpusFile reads the markers and directives of a corpus file.
func parseCorpusFile(src string) (markers []marker, vars []string, env map[string]string) {
	env = map[string]string{}
	for i, line := range strings.Split(src, "\n") {
		if m := reDirective.FindStringSubmatch(line); m != nil {
			if m[1] == "VAR" {
				vars = append(vars, m[2])
			} else {
				k, v, _ := strings.Cut(m[2], "=")
				env[k] = v
			}
			continue
		}
		locs := reMarker.FindAllStringSubmatchIndex(line, -1)
		for j, loc := range locs {
			end := len(line)
			if j+1 < len(locs) {
				end = locs[j+1][0]
			}
			sev := hcl.DiagError
			if line[loc[2]:loc[3]] == "WARNING" {
				sev = hcl.DiagWarning
			}
			markers = append(markers, marker{line: i + 1, sev: sev, text: strings.TrimSpace(line[loc[1]:end])})
		}
	}
	return markers, vars, env
}

// matchMarkers pairs markers with diagnostics one to one (a bipartite
// matching, so a vague marker cannot steal the diagnostic a precise one
// needs) and returns what is left on either side.
func matchMarkers(markers []marker, diags hcl.Diagnostics) (missing []marker, extra hcl.Diagnostics) {
	fits := func(m marker, d *hcl.Diagnostic) bool {
		return d.Subject != nil && d.Subject.Start.Line == m.line && d.Severity == m.sev &&
			(strings.Contains(d.Summary, m.text) || strings.Contains(d.Detail, m.text))
	}
	owner := make([]int, len(diags)) // diagnostic -> marker index + 1
	var try func(mi int, seen []bool) bool
	try = func(mi int, seen []bool) bool {
		for di, d := range diags {
			if seen[di] || !fits(markers[mi], d) {
				continue
			}
			seen[di] = true
			if owner[di] == 0 || try(owner[di]-1, seen) {
				owner[di] = mi + 1
				return true
			}
		}
		return false
	}
	matched := make([]bool, len(markers))
	for mi := range markers {
		matched[mi] = try(mi, make([]bool, len(diags)))
	}
	for mi, ok := range matched {
		if !ok {
			missing = append(missing, markers[mi])
		}
	}
	for di, o := range owner {
		if o == 0 {
			extra = append(extra, diags[di])
		}
	}
	return missing, extra
}

func TestMatchMarkers(t *testing.T) {
	at := func(line int, summary, detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: &hcl.Range{Start: hcl.Pos{Line: line}, End: hcl.Pos{Line: line}}}
	}
	src := "a # ERROR: Invalid # ERROR: rule\nb # WARNING: plain text\nc\n"
	markers, _, _ := parseCorpusFile(src)
	if len(markers) != 3 || markers[0].text != "Invalid" || markers[1].text != "rule" || markers[2].sev != hcl.DiagWarning {
		t.Fatalf("parsed %v", markers)
	}
	// "Invalid" fits both diagnostics of line 1, "rule" only the first:
	// a greedy match would fail here.
	diags := hcl.Diagnostics{at(1, "Invalid rule", ""), at(1, "Invalid color", "")}
	if missing, extra := matchMarkers(markers[:2], diags); len(missing)+len(extra) != 0 {
		t.Errorf("missing %v, extra %v", missing, describe(extra))
	}
	// A diagnostic on an unmarked line, a marker with no diagnostic, and
	// a warning marker that sees only an error.
	diags = hcl.Diagnostics{at(1, "Invalid rule", ""), at(3, "Other", "")}
	missing, extra := matchMarkers(markers, diags)
	if len(missing) != 2 || len(extra) != 1 || extra[0].Summary != "Other" {
		t.Errorf("missing %v, extra %v", missing, describe(extra))
	}
}

// TestInvalidCorpus loads each testdata/invalid/NAME.hcl alone and checks
// that its diagnostics are exactly the ones its markers announce.
func TestInvalidCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Errorf("only %d files in testdata/invalid; the corpus should have at least 45", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			markers, vars, env := parseCorpusFile(string(src))
			if len(markers) == 0 {
				t.Fatal("no markers: an invalid corpus file must announce its diagnostics")
			}
			dir := writeDir(t, map[string]string{filepath.Base(path): string(src)})
			opts := testOptions(env)
			opts.Vars = vars
			cfg, sources, diags := config.Load(dir, opts)
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a position: %s: %s", d.Summary, d.Detail)
				}
			}
			missing, extra := matchMarkers(markers, diags)
			for _, m := range missing {
				t.Errorf("missing diagnostic %s", m)
			}
			if len(extra) > 0 {
				t.Errorf("unexpected diagnostics:%s", describe(extra))
			}
			if t.Failed() {
				t.Logf("all diagnostics:%s", describe(diags))
			}
			checkRanges(t, cfg.Files, sources, diags)
			// Printing must work for every diagnostic.
			if err := config.WriteDiagnostics(io.Discard, sources, diags, dir, true); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestInvalidCorpusMarkersAreComments guards the corpus itself: a marker
// inside a string would not be a comment, so the loader would read it as
// text while the test still expected its diagnostic.
func TestInvalidCorpusMarkersAreComments(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(src, []byte("\n")) {
			if idx := reMarker.FindIndex(line); idx != nil && inString(line[:idx[0]]) {
				t.Errorf("%s:%d: marker inside a string", path, i+1)
			}
		}
	}
}

// inString reports whether a line prefix ends inside a quoted string.
func inString(prefix []byte) bool {
	in := false
	for i := 0; i < len(prefix); i++ {
		switch {
		case prefix[i] == '\\' && in:
			i++ // an escaped character, such as \"
		case prefix[i] == '"':
			in = !in
		}
	}
	return in
}

func TestInString(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{`a = "b" `, false},
		{`a = "b `, true},
		{`a = "say \"hi\"" `, false},
		{`a = "say \"hi `, true},
		{`a = "back\\" `, false},
	} {
		if got := inString([]byte(tc.s)); got != tc.want {
			t.Errorf("inString(%q) = %v", tc.s, got)
		}
	}
}

// TestCampaignMembersCorpus checks testdata/members/*.hcl like the invalid
// corpus, loaded with the email and webhook platforms too: whether a send
// can reach members who have left depends on the platform it goes
// through.
func TestCampaignMembersCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "members", "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			markers, _, env := parseCorpusFile(string(src))
			dir := writeDir(t, map[string]string{filepath.Base(path): string(src)})
			opts := testOptions(env)
			opts.Platforms["email"], opts.Platforms["webhook"] = email.Spec(), webhook.Spec()
			cfg, sources, diags := config.Load(dir, opts)
			missing, extra := matchMarkers(markers, diags)
			for _, m := range missing {
				t.Errorf("missing diagnostic %s", m)
			}
			if len(extra) > 0 {
				t.Errorf("unexpected diagnostics:%s", describe(extra))
			}
			if t.Failed() {
				t.Logf("all diagnostics:%s", describe(diags))
			}
			checkRanges(t, cfg.Files, sources, diags)
		})
	}
}
