package config

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics prints diagnostics the way Terraform does: severity and
// summary, the file, line and column with the enclosing block, the source
// line with the problem underlined, then the detail. Paths are shown
// relative to base when possible. Errors come first, then warnings, each
// in the order given (by file and position, as Load sorts them): what
// stops the command is what is read first, not a warning above it.
// Terraform sorts the other way (errors last); hearth's readers met a
// warning first and took it for the failure. -json (ToJSON) keeps the
// order given.
func WriteDiagnostics(w io.Writer, src Sources, diags hcl.Diagnostics, base string, color bool) error {
	return (*Redactor)(nil).WriteDiagnostics(w, src, diags, base, color)
}

// WriteDiagnostics is the package's WriteDiagnostics with the secrets rd
// knows taken out, for output that is a log: the source lines are
// redacted before the underline is drawn, so it stays under the problem.
func (rd *Redactor) WriteDiagnostics(w io.Writer, src Sources, diags hcl.Diagnostics, base string, color bool) error {
	bw := bufio.NewWriter(w)
	for _, sev := range []hcl.DiagnosticSeverity{hcl.DiagError, hcl.DiagWarning} {
		for _, d := range diags {
			if d.Severity == sev || sev == hcl.DiagWarning && d.Severity != hcl.DiagError {
				writeDiagnostic(bw, src, d, base, color, rd)
			}
		}
	}
	return bw.Flush()
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiUnder  = "\x1b[4m"
)

func writeDiagnostic(w *bufio.Writer, src Sources, d *hcl.Diagnostic, base string, color bool, rd *Redactor) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	label, code := "Error", ansiRed
	if d.Severity == hcl.DiagWarning {
		label, code = "Warning", ansiYellow
	}
	fmt.Fprintf(w, "%s %s\n", paint(ansiBold+code, label+":"), paint(ansiBold, rd.Redact(d.Summary)))
	if d.Subject != nil {
		rng := *d.Subject
		where := fmt.Sprintf("%s line %d, column %d", RelPath(rng.Filename, base), rng.Start.Line, rng.Start.Column)
		if f := src[rng.Filename]; f != nil {
			if cs, ok := f.Nav.(interface{ ContextString(int) string }); ok {
				if ctx := cs.ContextString(rng.Start.Byte); ctx != "" {
					where += ", in " + ctx
				}
			}
		}
		fmt.Fprintf(w, "\n  on %s:\n", where)
		if f := src[rng.Filename]; f != nil {
			writeSnippet(w, f, rng, color, rd)
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "\n%s\n", rd.Redact(d.Detail))
	}
	fmt.Fprintln(w)
}

// writeSnippet prints the lines of rng with a caret line under the range,
// with the file's secrets and rd's values masked.
func writeSnippet(w *bufio.Writer, f *hcl.File, rng hcl.Range, color bool, rd *Redactor) {
	lines := bytes.Split(f.Bytes, []byte("\n"))
	first, last := rng.Start.Line, rng.End.Line
	if last < first {
		last = first
	}
	if last-first > 4 {
		last = first + 4
	}
	width := len(fmt.Sprint(last))
	start := 0 // byte offset of line n in the file
	for n := 1; n < first && n-1 < len(lines); n++ {
		start += len(lines[n-1]) + 1
	}
	for n := first; n <= last && n-1 < len(lines); n++ {
		raw := lines[n-1]
		line := strings.TrimRight(string(raw), "\r")
		line = strings.ReplaceAll(line, "\t", " ")
		// Underline the part of this line inside the range. Columns
		// count characters; the terminal shows East Asian wide ones in
		// two cells, so pad and underline by display width.
		runes := []rune(line)
		from, to := 1, len(runes)+1
		if n == rng.Start.Line {
			from = rng.Start.Column
		} else {
			// A continuation line: underline its text, not its indent.
			from = len(runes) - len(strings.TrimLeft(line, " ")) + 1
		}
		if n == rng.End.Line {
			to = rng.End.Column
		}
		from = min(max(from, 1), len(runes)+1)
		to = min(max(to, from), len(runes)+1)
		// Masking works on bytes, which the secrets' ranges count in.
		line, bfrom, bto := hideLine(f, rd, line, start, byteCol(line, from), byteCol(line, to))
		start += len(raw) + 1
		fmt.Fprintf(w, "  %*d: %s\n", width, n, line)
		pad := cells([]rune(line[:bfrom]))
		carets := strings.Repeat("^", max(cells([]rune(line[bfrom:bto])), 1))
		if color {
			carets = ansiRed + carets + ansiReset
		}
		fmt.Fprintf(w, "  %*s  %s%s\n", width, "", strings.Repeat(" ", pad), carets)
	}
}

// redactSplit redacts a line in three parts, before, inside and after
// the highlighted bytes [from, to), so the highlight moves with the
// text; a secret across an edge of the highlight takes the whole line
// under it.
func redactSplit(rd *Redactor, line string, from, to int) (string, int, int) {
	if rd == nil || rd.Redact(line) == line {
		return line, from, to
	}
	from = min(max(from, 0), len(line))
	to = min(max(to, from), len(line))
	head, mid, tail := rd.Redact(line[:from]), rd.Redact(line[from:to]), rd.Redact(line[to:])
	out := head + mid + tail
	if whole := rd.Redact(line); whole != out {
		return whole, 0, len(whole)
	}
	return out, len(head), len(head) + len(mid)
}

// cells is the display width of runes in a terminal: two cells for
// East Asian wide and fullwidth characters, one for the rest.
func cells(runes []rune) int {
	n := 0
	for _, r := range runes {
		n++
		if wide(r) {
			n++
		}
	}
	return n
}

func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115f, // Hangul Jamo
		r >= 0x2e80 && r <= 0x303e, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33ff, // kana, CJK compatibility
		r >= 0x3400 && r <= 0x4dbf, // CJK extension A
		r >= 0x4e00 && r <= 0x9fff, // CJK unified ideographs
		r >= 0xa000 && r <= 0xa4cf, // Yi
		r >= 0xac00 && r <= 0xd7a3, // Hangul syllables
		r >= 0xf900 && r <= 0xfaff, // CJK compatibility ideographs
		r >= 0xfe30 && r <= 0xfe4f, // CJK compatibility forms
		r >= 0xff00 && r <= 0xff60, // fullwidth forms
		r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f, // emoji
		r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd: // CJK extensions B and later
		return true
	}
	return false
}

// RelPath is path as diagnostics print it: relative to base (the
// directory the command was run in) when inside it, else as given, so
// an editor or a CI annotation opens it from where the command ran.
func RelPath(path, base string) string {
	if base == "" {
		return path
	}
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// JSONPos is a position in a JSON diagnostic.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONRange is a file range in a JSON diagnostic.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONSnippet is the source line of a JSON diagnostic.
type JSONSnippet struct {
	Context              string `json:"context,omitempty"`
	Code                 string `json:"code"`
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"`
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// JSONDiagnostic is one diagnostic in `-json` output.
type JSONDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONValidation is the `hearth validate -json` document.
type JSONValidation struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// ValidationFormatVersion is bumped on incompatible changes to the JSON.
const ValidationFormatVersion = "1.0"

// ToJSON converts diagnostics for `-json` output.
func ToJSON(src Sources, diags hcl.Diagnostics, base string) JSONValidation {
	out := JSONValidation{FormatVersion: ValidationFormatVersion, Diagnostics: []JSONDiagnostic{}}
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &JSONRange{Filename: RelPath(r.Filename, base),
				Start: JSONPos{r.Start.Line, r.Start.Column, r.Start.Byte}, End: JSONPos{r.End.Line, r.End.Column, r.End.Byte}}
			if f := src[r.Filename]; f != nil {
				jd.Snippet = snippet(f, *r)
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	return out
}

// Log writes each diagnostic as one log record, an error at ERROR and a
// warning at WARN, with where it is as file:line:col and its source line:
// a daemon whose log is JSON lines must not print the multi-line text
// form among them, which a log collector would take as loose lines.
// Redact the diagnostics first when the configuration has secrets.
func (v JSONValidation) Log(ctx context.Context, log *slog.Logger) {
	for _, d := range v.Diagnostics {
		level, msg := slog.LevelWarn, "configuration warning"
		if d.Severity == "error" {
			level, msg = slog.LevelError, "configuration error"
		}
		var attrs []any
		if d.Range != nil {
			attrs = append(attrs, "where", fmt.Sprintf("%s:%d:%d", d.Range.Filename, d.Range.Start.Line, d.Range.Start.Column))
		}
		if d.Detail != "" {
			attrs = append(attrs, "detail", d.Detail)
		}
		if d.Snippet != nil {
			attrs = append(attrs, "code", strings.TrimSpace(d.Snippet.Code))
		}
		log.Log(ctx, level, msg, append([]any{"summary", d.Summary}, attrs...)...)
	}
}

// Redact takes the secrets rd knows out of every diagnostic: a warning
// about a credential written in plain text quotes the line that holds
// it, and the daemon serves and logs its diagnostics. The highlight is
// kept on the redacted code.
func (v *JSONValidation) Redact(rd *Redactor) {
	for i := range v.Diagnostics {
		d := &v.Diagnostics[i]
		d.Summary, d.Detail = rd.Redact(d.Summary), rd.Redact(d.Detail)
		if s := d.Snippet; s != nil {
			s.Code, s.HighlightStartOffset, s.HighlightEndOffset = redactSplit(rd, s.Code, s.HighlightStartOffset, s.HighlightEndOffset)
		}
	}
}

func snippet(f *hcl.File, r hcl.Range) *JSONSnippet {
	lines := bytes.Split(f.Bytes, []byte("\n"))
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return nil
	}
	start := 0 // byte offset of the line in the file
	for _, l := range lines[:r.Start.Line-1] {
		start += len(l) + 1
	}
	code := strings.TrimRight(string(lines[r.Start.Line-1]), "\r")
	s := &JSONSnippet{StartLine: r.Start.Line}
	// Offsets are bytes into code, as Terraform's are.
	from := max(0, min(len(code), byteCol(code, r.Start.Column)))
	to := len(code)
	if r.End.Line == r.Start.Line {
		to = max(from, min(len(code), byteCol(code, r.End.Column)))
	}
	s.Code, s.HighlightStartOffset, s.HighlightEndOffset = hideLine(f, nil, code, start, from, to)
	if cs, ok := f.Nav.(interface{ ContextString(int) string }); ok {
		s.Context = cs.ContextString(r.Start.Byte)
	}
	return s
}

// byteCol is the byte offset of a 1-based rune column.
func byteCol(line string, col int) int {
	i, n := 0, 1
	for i < len(line) && n < col {
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
		n++
	}
	return i
}
