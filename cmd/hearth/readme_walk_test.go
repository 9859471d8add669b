package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestExampleReadmesRun walks every example README as a reader does:
// from a fresh copy of examples/, each ```sh block's commands run as
// written, one after the other, hearth in-process. Each must succeed, an
// output block after a block that ran must be in what it printed, and
// the example's folder must end as it was: state and reports go to a
// copy the README makes, not into the example.
//
// Not run: blocks that start the daemon (their ports would clash with
// other tests; the scripts cover the live loop), and every block from a
// README's first "export HEARTH_VAR_" on, which are for a real platform
// and its secrets.
func TestExampleReadmesRun(t *testing.T) {
	readmes, _ := filepath.Glob("../../examples/*/README.md")
	if len(readmes) == 0 {
		t.Fatal("no example READMEs")
	}
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, readme := range readmes {
		name := filepath.Base(filepath.Dir(readme))
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(readme)
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			if err := os.CopyFS(filepath.Join(root, "examples"), os.DirFS(examples)); err != nil {
				t.Fatal(err)
			}
			t.Chdir(root)
			w := &readmeWalk{t: t, root: root, tmp: t.TempDir(), cwd: root}
			ran := 0
			for _, b := range fencedBlocks(string(src)) {
				switch {
				case b.lang == "sh":
					ran += w.block(b.body)
				case b.lang == "" && w.lastRan:
					// An output block: what the commands above printed.
					for _, line := range strings.Split(b.body, "\n") {
						line = strings.TrimRight(line, " ")
						if line == "" || strings.TrimSpace(line) == "..." {
							continue
						}
						if !slices.Contains(strings.Split(w.out.String(), "\n"), line) {
							t.Errorf("README shows the output line\n%s\nwhich the commands above it did not print:\n%s", line, w.out.String())
						}
					}
				}
			}
			if ran == 0 && !w.secrets {
				t.Errorf("no hearth command of %s ran; has its form changed?", readme)
			}
			if extra := newFiles(t, filepath.Join(examples, name), filepath.Join(root, "examples", name)); len(extra) > 0 {
				t.Errorf("the README's commands left files in examples/%s: %s", name, strings.Join(extra, ", "))
			}
		})
	}
}

type fenced struct{ lang, body string }

// fencedBlocks are the Markdown code blocks of src, indented ones too
// (in a list), with their language tag.
func fencedBlocks(src string) []fenced {
	re := regexp.MustCompile("(?ms)^( *)```([a-z]*)\n(.*?)^ *```")
	var out []fenced
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		var body []string
		for _, l := range strings.Split(m[3], "\n") {
			body = append(body, strings.TrimPrefix(l, m[1]))
		}
		out = append(out, fenced{m[2], strings.Join(body, "\n")})
	}
	return out
}

// readmeWalk runs a README's shell lines: hearth, cd, mkdir and cp, the
// only commands the example READMEs give for the local platform.
type readmeWalk struct {
	t         *testing.T
	root, tmp string // the copy's root; what /tmp/ stands for
	cwd       string
	out       bytes.Buffer // what the last block printed
	lastRan   bool
	secrets   bool // an export of secrets was seen: the rest is for real
}

// block runs one ```sh block and returns how many hearth commands ran.
func (w *readmeWalk) block(body string) int {
	t := w.t
	body = strings.ReplaceAll(body, "\\\n", " ")
	w.lastRan = false
	if strings.Contains(body, "export HEARTH_VAR_") {
		w.secrets = true
	}
	if w.secrets || regexp.MustCompile(`(?m)hearth run .*&\s*$`).MatchString(body) {
		return 0
	}
	w.out.Reset()
	w.lastRan = true
	n := 0
	for _, line := range strings.Split(body, "\n") {
		words := shellWords(line)
		// Each command of a && chain; a pipe or redirect's far side is
		// the reader's (jq, dot, tail), not hearth's.
		for len(words) > 0 {
			cmd := words
			if i := slices.Index(words, "&&"); i >= 0 {
				cmd, words = words[:i], words[i+1:]
			} else {
				words = nil
			}
			if i := slices.IndexFunc(cmd, func(w string) bool { return w == "|" || w == ">" }); i >= 0 {
				cmd = cmd[:i]
			}
			if len(cmd) == 0 {
				continue
			}
			for i, a := range cmd {
				if rest, ok := strings.CutPrefix(a, "/tmp/"); ok && i > 0 {
					cmd[i] = filepath.Join(w.tmp, rest)
				}
			}
			switch {
			case cmd[0] == "go" && len(cmd) > 1 && cmd[1] == "build":
				// hearth runs in-process.
			case cmd[0] == "cd":
				w.cwd = w.path(cmd[1])
			case cmd[0] == "mkdir":
				for _, d := range cmd[1:] {
					if d != "-p" {
						if err := os.MkdirAll(w.path(d), 0o755); err != nil {
							t.Fatal(err)
						}
					}
				}
			case cmd[0] == "cp":
				w.cp(cmd[1:len(cmd)-1], w.path(cmd[len(cmd)-1]))
			case filepath.Base(cmd[0]) == "hearth":
				if slices.ContainsFunc(cmd, func(a string) bool { return strings.HasPrefix(a, "path/to/") }) {
					// A placeholder for the reader's own file (a dump);
					// what follows reads what this would write.
					return n
				}
				n++
				w.hearth(line, cmd[1:])
			default:
				t.Fatalf("README line %q: this test does not know %q; teach it, or keep the README to hearth, cd, mkdir and cp", line, cmd[0])
			}
		}
	}
	return n
}

func (w *readmeWalk) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(w.cwd, p)
}

func (w *readmeWalk) cp(srcs []string, dst string) {
	for _, s := range srcs {
		matches, _ := filepath.Glob(w.path(s))
		if len(matches) == 0 {
			w.t.Fatalf("cp: %s matches nothing", s)
		}
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				w.t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, filepath.Base(m)), b, 0o644); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

func (w *readmeWalk) hearth(line string, args []string) {
	w.t.Chdir(w.cwd)
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	code := run(context.Background(), args, s)
	w.out.Write(out.Bytes())
	if code != 0 {
		w.t.Errorf("%s\nexit %d:\n%s%s", strings.TrimSpace(line), code, out.String(), errb.String())
	}
}

// shellWords splits a line as sh does for the READMEs' commands: quotes,
// and a comment from an unquoted # on.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '#' && !in:
			return words
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// newFiles are the paths under got that want does not have.
func newFiles(t *testing.T, want, got string) []string {
	t.Helper()
	var extra []string
	err := filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(got, p)
		if _, err := os.Stat(filepath.Join(want, rel)); err != nil {
			extra = append(extra, rel)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return extra
}
