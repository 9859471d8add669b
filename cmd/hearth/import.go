package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/importer/stackexchange"
)

const importUsage = `Usage: hearth import SOURCE [options] ARGS
       hearth import ADDR ID [DIR]

The first form turns another platform's history into hearth member
events, as JSON lines that hearth replays like live events.

The second adopts an existing platform object into a block, as
'hearth state import' does: hearth import community.c.channel.general ch-7
makes hearth manage that channel instead of creating a new one.

Sources:
  members         another tool's member export (CSV or JSON lines): each
                  member's opening state (join time, identities, points,
                  badges, tier, profile) as member.imported events
  stackexchange   a Stack Exchange data dump directory (Users.xml, Posts.xml,
                  Votes.xml, Comments.xml, PostHistory.xml)

Run 'hearth import SOURCE -h' for a source's options.

Examples:
  hearth import members -config . -out members.jsonl export.csv
  hearth import stackexchange -out events.jsonl ./conlang.meta
`

const importMembersUsage = `Usage: hearth import members [-format csv|jsonl] [-config DIR] [-at TIME] [-out FILE] [-json] FILE

Turns another tool's member export into one member.imported event per
member, as JSON lines on stdout (or FILE), for 'hearth replay -events'
(or POST /v1/events) to apply: the opening state of a community moving
to hearth. FILE is the export ("-" for standard input); -format says
what it is, by default from its name (.jsonl, .ndjson: JSON lines;
anything else: CSV).

The CSV's first row names the columns; in JSON lines each line is an
object with the same names as keys. Column names are matched without
regard to case; empty cells are left out:

  id        required: the member id hearth knows the member by (the id
            the platforms' events name, such as the Discord user id)
  discord, slack, telegram, matrix, discourse, email, wecom, feishu,
  dingtalk, local
            the member's id on that platform (an identity)
  name      the display name
  joined    when they joined the old community: RFC 3339
            (2023-04-01T10:00:00Z) or a date (2023-04-01, its midnight UTC)
  points    opening points balance, a whole number (may be negative;
            1200.0 and 1.2e3 are taken, fractions refused)
  badges    badge block names separated by ";" (first_post;helper), or a
            JSON list in JSON lines
  tier      a tier block name
  timezone  an IANA time zone name (Europe/Berlin); locale, and any other
            column, is a profile attribute (member.attrs.NAME)

Each event's id is member.imported/ID, so importing the same export
twice, or a corrected one, changes nothing the second time: hearth
applies an id once. Every event is at -at (default now), the moment the
opening state holds.

hearth sets the state as it is: no welcome message, and no incentive or
campaign fires (unless an incentive lists on = "member.imported"). The
points are an opening balance, the badges and tier are held as
imported; reports show them as imported, not as the month's grants and
awards. An imported tier is held for its grace period, and at least 30
days, before its keep is judged. See "Migrating an existing community"
in the README.

With -config DIR, tier and badge names are checked against the
configuration's tier and badge blocks; without it, 'hearth replay'
refuses (skips, with the reason) a line naming one the configuration
does not have. Bad rows are reported with FILE:LINE and the column, and
nothing is written: fix them and run the import again.

Progress and a summary (members, identities per platform, points,
badges and tiers) go to stderr; -json prints the summary as JSON.

Examples:
  hearth import members -config . -out members.jsonl export.csv
  hearth replay -events members.jsonl .
  hearth import members -format jsonl -at 2026-03-01T00:00:00Z export.jsonl | hearth replay -events - .
`

const importStackExchangeUsage = `Usage: hearth import stackexchange [-out FILE] [-json] DUMP_DIR

Reads a Stack Exchange data dump and writes one time-ordered stream of
member events as JSON lines to stdout (or FILE): member.joined,
member.profile_updated, post.created, post.voted, post.accepted,
post.edited, message.posted (comments) and post.viewed (1000 views).
Member ids are the dump's user ids; event ids are derived from row ids, so
importing the same dump twice gives the same bytes.

Progress and a summary (events per type, members, time span, and the rows
skipped with why) go to stderr.

Votes carry only a date, so times within a day are estimates: a day's
votes keep the order of their Ids (the order they were cast in), the
votes on a post created that day are spread over the hour after its
creation, and the others fill the middle of the time between those (a
day with no new post: 06:00 to 18:00). About Me is dated to the
account's creation. View counts are final values: a question
is taken to gain views at a steady rate until the end of the dump.

Examples:
  hearth import stackexchange ./conlang.meta > events.jsonl
  hearth import stackexchange -out events.jsonl -json ./conlang.meta
`

// importSources are the sources 'hearth import' knows; the first argument
// is matched against them so 'hearth import ADDR ID' can come later.
func importSources() map[string]func(context.Context, *stdio, []string) int {
	return map[string]func(context.Context, *stdio, []string) int{
		"members":       runImportMembers,
		"stackexchange": runImportStackExchange,
	}
}

func runImport(ctx context.Context, s *stdio, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		return groupUsage(s, args, importUsage)
	}
	sources := importSources()
	if run, ok := sources[args[0]]; ok {
		return run(ctx, s, args[1:])
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	if strings.Contains(args[0], ".") && !strings.ContainsAny(args[0], `/\`) {
		// An address: adopt a platform object, as hearth state import.
		return runStateAs(ctx, s, "", append([]string{"import"}, args...))
	}
	fmt.Fprintf(s.err, "hearth import: unknown source %q.%s\nSources: %s. Run 'hearth import -h'.\n", args[0], didYouMean(args[0], names), strings.Join(names, ", "))
	return 1
}

func runImportStackExchange(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "import stackexchange", importStackExchangeUsage)
	out := fs.String("out", "", "Write the events to `FILE` (mode 0600: they name members) instead of stdout; \"-\" is stdout, as no -out is.")
	asJSON := fs.Bool("json", false, "Print the summary on stderr as JSON, without progress lines.")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(s, "import stackexchange", importStackExchangeUsage, fmt.Sprintf("expected one dump directory, got %d arguments", len(pos)))
	}
	dir := pos[0]
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		fmt.Fprintf(s.err, "hearth import stackexchange: %s is not a directory.\n", dir)
		return 1
	}
	opts := stackexchange.Options{}
	if !*asJSON {
		opts.Progress = func(file string, rows int, done bool) {
			if done {
				fmt.Fprintf(s.err, "read %s: %d rows\n", file, rows)
			} else {
				fmt.Fprintf(s.err, "reading %s: %d rows ...\n", file, rows)
			}
		}
	}
	evs, sum, err := stackexchange.Import(ctx, dir, opts)
	if err != nil {
		fmt.Fprintf(s.err, "hearth import stackexchange: %v\n", err)
		return 1
	}
	return s.finishImport("stackexchange", evs, *out, *asJSON, sum, func() {
		_ = sum.WriteText(s.err)
		if *out != "" && *out != "-" {
			fmt.Fprintf(s.err, "Wrote %s.\n", *out)
		}
	})
}

// finishImport writes an import's events to out (stdout when empty) and
// its summary to stderr: the document with -json, else the text.
func (s *stdio) finishImport(source string, evs []events.Event, out string, asJSON bool, sum any, text func()) int {
	if err := writeEvents(s.out, out, func(w io.Writer) error { return stackexchange.WriteJSONL(w, evs) }); err != nil {
		fmt.Fprintf(s.err, "hearth import %s: %v\n", source, err)
		return 1
	}
	if asJSON {
		enc := jsonEncoder(s.err)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return 0
	}
	text()
	return 0
}

// writeEvents writes to stdout, or to path through a temporary file
// renamed at the end, so a failed import never leaves half a file.
func writeEvents(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriterSize(stdout, 64<<10)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// A device or pipe (-out /dev/null, /dev/stdout) is written as it
		// is: renamed over, it would be replaced by a file.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 64<<10)
		err = write(bw)
		if err == nil {
			err = bw.Flush()
		}
		return errors.Join(err, f.Close())
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	// CreateTemp makes the file readable by its owner only, as it stays:
	// the events name members, as the state does.
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
