package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/termsafe"
	"github.com/hearth-community/hearth/engine/textwidth"
)

// memberListMax is the largest page, as GET /v1/members takes.
const memberListMax = 1000

// runMemberList is hearth member list: the members of the state, a
// page at a time, filtered as the dashboard's member list is.
func runMemberList(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "member list", memberUsage)
	asJSON := fs.Bool("json", false, "Print the page as GET /v1/members answers: {\"members\": [...], \"more\", \"next\"}.")
	segment := fs.String("segment", "", "Only the members of this segment (members who left are in none but a segment whose rule reads member.left).")
	tier := fs.String("tier", "", "Only the members on this tier (members who left are on none).")
	query := fs.String("q", "", "Only members whose id or name holds this text, in any case.")
	referrer := fs.String("referrer", "", "Only the members this member referred: those whose member.referrer is ID (member show lists the referees who converted).")
	var left optBool
	fs.Var(&left, "left", "Only members who left; -left=false only those who did not.")
	limit := fs.Int("limit", 100, "Members per page, 1 to 1000: with -sort points -limit 10, the top ten.")
	sortBy := fs.String("sort", "id", "Order: id; points (most first: a leaderboard); joined (longest-standing first; adds a JOINED column); last_active (most recent first). Ties go by id.")
	after := fs.String("after", "", "Start past this member id: the next page, as the last one printed says.")
	noHeader := fs.Bool("no-header", false, "Leave out the header row of the tab-separated lines (not a terminal), for a script reading every line as a member.")
	vf := varFlags{readOnly: true}
	vf.register(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if *limit < 1 || *limit > memberListMax {
		return argError(s, "member list", fmt.Sprintf("-limit must be 1 to %d", memberListMax))
	}
	if !slices.Contains(state.MemberSorts(), *sortBy) {
		return argError(s, "member list", fmt.Sprintf("-sort must be one of %s, not %q", strings.Join(state.MemberSorts(), ", "), *sortBy))
	}
	dir, ok := dirArg(pos, s, "member list")
	if !ok {
		return 1
	}
	cfg, ok := loadReadConfig(ctx, s, dir, vf, *asJSON, "member list")
	if !ok {
		return 1
	}
	// Checked here, as the daemon checks them, so a misspelt name is
	// an error rather than an empty list whichever way the list is read.
	for _, c := range []struct{ kind, name string }{{"segment", *segment}, {"tier", *tier}} {
		if c.name == "" {
			continue
		}
		var names []string
		if c.kind == "segment" {
			for _, sg := range cfg.Segments {
				names = append(names, sg.Name)
			}
		} else {
			for _, t := range cfg.Tiers {
				names = append(names, t.Name)
			}
		}
		if !slices.Contains(names, c.name) {
			fmt.Fprintf(s.err, "hearth member list: there is no %s named %q.%s The %ss are: %s.\n", c.kind, c.name, didYouMean(c.name, names), c.kind, orNone(strings.Join(names, ", ")))
			return 1
		}
	}
	f := state.MemberFilter{Query: *query, Segment: *segment, Tier: *tier, Left: left.v, Referrer: *referrer, After: *after, Limit: *limit, Sort: *sortBy}
	f.SegmentForLeft = config.SegmentsForLeft(cfg.Segments)[f.Segment]
	page, viaDaemon, err := membersFromDaemon(ctx, s, cfg, f)
	if !viaDaemon && err == nil {
		page, err = storedMembers(ctx, cfg, f)
	}
	var none *noStateError
	switch {
	case errors.As(err, &none):
		// Nobody was ever stored, and a look must not create state.
		fmt.Fprintf(s.err, "hearth member list: %v\n", err)
		page = state.MemberPage{Members: []state.MemberHit{}}
	case err != nil:
		fmt.Fprintf(s.err, "hearth member list: %v\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(s, page)
	}
	printMemberList(s, page, args, !*noHeader, *sortBy == "joined")
	return 0
}

// printMemberList writes a page: on a terminal, a table with a header
// and a count; elsewhere, a header row (unless header is false,
// -no-header) and one tab-separated line per member (id, name, tier,
// points, last active, "left"), for cut and awk, and where the next
// page starts on stderr. Times are in UTC, as member show's are: the
// table says so once in its header, to keep the column narrow; the
// lines give RFC 3339 with its Z.
func printMemberList(s *stdio, page state.MemberPage, args []string, header, joined bool) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		if s.outTTY {
			return t.UTC().Format("2006-01-02 15:04")
		}
		return t.UTC().Format(time.RFC3339)
	}
	last := func(m state.MemberHit) string { return when(m.LastActiveAt) }
	leftMark := func(m state.MemberHit) string {
		if m.Left {
			return "left"
		}
		return ""
	}
	nextHint := ""
	if page.More {
		nextHint = fmt.Sprintf("More follow: hearth member list -after %s%s", page.Next, againArgs(args))
	}
	if !s.outTTY {
		// JOINED comes last, so the other fields keep their places.
		if header && len(page.Members) > 0 {
			fmt.Fprint(s.out, "ID\tNAME\tTIER\tPOINTS\tLAST ACTIVE\tLEFT")
			if joined {
				fmt.Fprint(s.out, "\tJOINED")
			}
			fmt.Fprintln(s.out)
		}
		for _, m := range page.Members {
			fmt.Fprintf(s.out, "%s\t%s\t%s\t%d\t%s\t%s", m.ID, termsafe.Field(m.Name), m.Tier, m.Points, last(m), leftMark(m))
			if joined {
				fmt.Fprintf(s.out, "\t%s", when(m.JoinedAt))
			}
			fmt.Fprintln(s.out)
		}
		if nextHint != "" {
			fmt.Fprintln(s.err, nextHint)
		}
		return
	}
	if len(page.Members) == 0 {
		fmt.Fprintln(s.out, "No members.")
		return
	}
	var table bytes.Buffer
	tw := textwidth.NewTabWriter(&table, 2, 0) // a CJK name is two columns a character
	joinedHead := ""
	if joined {
		joinedHead = "JOINED (UTC)\t"
	}
	fmt.Fprintln(tw, "ID\tNAME\tTIER\tPOINTS\tLAST ACTIVE (UTC)\t"+joinedHead)
	for _, m := range page.Members {
		tier := m.Tier
		if tier == "" {
			tier = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t", m.ID, termsafe.Field(m.Name), tier, m.Points, last(m))
		if joined {
			fmt.Fprintf(tw, "%s\t", when(m.JoinedAt))
		}
		fmt.Fprintf(tw, "%s\n", leftMark(m))
	}
	tw.Flush()
	// The padding of an empty last column is not left at line ends.
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		fmt.Fprintln(s.out, strings.TrimRight(line, " "))
	}
	if nextHint != "" {
		fmt.Fprintf(s.out, "%s shown. %s\n", plural(len(page.Members), "member", "members"), nextHint)
	} else {
		fmt.Fprintf(s.out, "%s.\n", plural(len(page.Members), "member", "members"))
	}
}

// againArgs are the arguments of this command to repeat for the next
// page: all but -after and its value.
func againArgs(args []string) string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-after" || a == "--after" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-after=") || strings.HasPrefix(a, "--after=") {
			continue
		}
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(out, " ")
}

// membersFromDaemon reads the page through the daemon serving the
// configuration's state, when one answers, so members it has just
// accepted are listed; ok is false when none does.
func membersFromDaemon(ctx context.Context, s *stdio, cfg *config.Config, f state.MemberFilter) (page state.MemberPage, ok bool, err error) {
	a, found := readAnnouncement(cfg)
	if !found {
		return page, false, nil
	}
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "segment": f.Segment, "tier": f.Tier, "referrer": f.Referrer, "after": f.After, "sort": f.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", strconv.Itoa(f.Limit))
	if f.Left != nil {
		q.Set("left", strconv.FormatBool(*f.Left))
	}
	endpoint := strings.TrimRight(a.URL, "/") + "/v1/members?" + q.Encode()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", endpoint, nil)
	if err != nil {
		return page, false, nil
	}
	token, _ := s.lookupEnv("HEARTH_API_TOKEN")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return page, false, nil // a stale announcement: read the store
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return page, true, err
	}
	if resp.StatusCode != http.StatusOK {
		return page, true, errors.New(daemonRefusal(endpoint, resp.Status, errorText(data), resp.StatusCode, token != ""))
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return page, true, fmt.Errorf("%s: the answer: %w", endpoint, err)
	}
	if page.Members == nil {
		page.Members = []state.MemberHit{}
	}
	return page, true, nil
}

// storedMembers reads the page from the configuration's state store.
func storedMembers(ctx context.Context, cfg *config.Config, f state.MemberFilter) (state.MemberPage, error) {
	store, err := openExistingStore(ctx, cfg, hintRun)
	if err != nil {
		return state.MemberPage{}, err
	}
	defer store.Close()
	return state.ListMembers(ctx, store.Members, f)
}

// optBool is a boolean flag that may be left unset: -left, -left=false
// and nothing are three answers.
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("give true or false")
	}
	o.v = &b
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }
