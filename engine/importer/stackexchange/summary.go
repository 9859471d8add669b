package stackexchange

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/textwidth"
)

// Summary says what an import read and produced, and what it left out.
type Summary struct {
	Dir     string         `json:"dir"`
	Files   []FileCount    `json:"files"`
	Events  map[string]int `json:"events"`
	Total   int            `json:"total"`
	Members int            `json:"members"`
	First   time.Time      `json:"first"`
	Last    time.Time      `json:"last"`
	// Skipped are rows that describe something a member did but cannot
	// become an event (deleted user, deleted post ...).
	Skipped []Count `json:"skipped"`
	// Ignored are rows of kinds hearth has no event for (favorites,
	// close votes, initial revisions ...), listed so nothing is silent.
	Ignored []Count  `json:"ignored"`
	Notes   []string `json:"notes,omitempty"`
}

// FileCount is how many rows one file had.
type FileCount struct {
	File string `json:"file"`
	Rows int    `json:"rows"`
}

// Count is a number of rows of one file left out for one reason.
type Count struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

func newSummary(dir string) *Summary {
	return &Summary{Dir: dir, Events: map[string]int{}, Skipped: []Count{}, Ignored: []Count{}}
}

func (s *Summary) skip(file, reason string)   { s.Skipped = bump(s.Skipped, file, reason) }
func (s *Summary) ignore(file, reason string) { s.Ignored = bump(s.Ignored, file, reason) }

// bump adds one to a reason's count; reasons are few, so a slice is fine.
func bump(cs []Count, file, reason string) []Count {
	for i := range cs {
		if cs[i].File == file && cs[i].Reason == reason {
			cs[i].Rows++
			return cs
		}
	}
	return append(cs, Count{File: file, Reason: reason, Rows: 1})
}

// sortCounts groups counts by file, in read order, keeping the order in
// which reasons were first met (itself deterministic) within a file.
func (s *Summary) sortCounts() {
	order := map[string]int{fileUsers: 0, filePosts: 1, fileVotes: 2, fileComments: 3, fileHistory: 4}
	by := func(a, b Count) int { return cmp.Compare(order[a.File], order[b.File]) }
	slices.SortStableFunc(s.Skipped, by)
	slices.SortStableFunc(s.Ignored, by)
}

// SkippedRows is the total of Skipped.
func (s *Summary) SkippedRows() int {
	n := 0
	for _, c := range s.Skipped {
		n += c.Rows
	}
	return n
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	span := "no events"
	if s.Total > 0 {
		span = fmt.Sprintf("%s to %s", s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly))
	}
	fmt.Fprintf(&b, "Imported %d events for %d members from %s (%s).\n", s.Total, s.Members, s.Dir, span)
	types := make([]string, 0, len(s.Events))
	for t := range s.Events {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(&b, "  %-24s %7d\n", t, s.Events[t])
	}
	var files []string
	for _, f := range s.Files {
		files = append(files, fmt.Sprintf("%s %d", f.File, f.Rows))
	}
	fmt.Fprintf(&b, "Rows read: %s.\n", strings.Join(files, ", "))
	writeCounts(&b, fmt.Sprintf("Skipped %d rows (no member or no post to attach them to):", s.SkippedRows()), s.Skipped)
	writeCounts(&b, "Not imported (no hearth event for these):", s.Ignored)
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "Note: %s.\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCounts(b *strings.Builder, title string, cs []Count) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(b, title)
	tw := textwidth.NewTabWriter(b, 2, 0)
	for _, c := range cs {
		fmt.Fprintf(tw, "  %s\t%5d\t%s\n", c.File, c.Rows, c.Reason)
	}
	_ = tw.Flush()
}

// WriteJSONL writes events as JSON lines, the form events.NewReader reads.
// HTML is not escaped: comment and About Me text stays readable.
func WriteJSONL(w io.Writer, evs []events.Event) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			return fmt.Errorf("event %s: %w", evs[i].ID, err)
		}
	}
	return nil
}
