package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/engine/textwidth"
)

// TestMemberList lists the quickstart's members from the store: plain
// lines off a terminal, a table on one, filters, pages and -json; then
// through a running daemon, which it must go through (its token is
// asked for) and which lists a member it has just accepted.
func TestMemberList(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	events, err := os.ReadFile("../../examples/quickstart/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	left := `{"id":"bye-u04","type":"member.left","member":"u04","at":"2026-11-16T00:00:00Z"}` + "\n" +
		// u02 referred u03, who converts twice; u02 names herself once.
		`{"id":"conv-1","type":"referral.converted","member":"u02","at":"2026-11-16T01:00:00Z","attrs":{"referee":"u03"}}` + "\n" +
		`{"id":"conv-2","type":"referral.converted","member":"u02","at":"2026-11-16T02:00:00Z","attrs":{"referee":"u03"}}` + "\n" +
		`{"id":"conv-3","type":"referral.converted","member":"u02","at":"2026-11-16T03:00:00Z","attrs":{"referee":"u02"}}` + "\n"
	evFile := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(evFile, append(events, left...), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	cli := func(tty bool, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, outTTY: tty, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		return run(context.Background(), args, s), out.String(), errb.String()
	}
	// No state yet: an empty list, and no state made.
	if code, out, errs := cli(false, "member", "list", dir); code != 0 || out != "" || !strings.Contains(errs, "no state yet") {
		t.Errorf("before any event: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, ".hearth", "state.db")); err == nil {
		t.Error("member list made a state")
	}
	if code, out, errs := cli(false, "replay", "-events", evFile, dir); code != 0 {
		t.Fatalf("replay: %d %s %s", code, out, errs)
	}
	ids := func(out string) string {
		var got []string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if f := strings.Split(line, "\t"); len(f) == 6 && f[0] != "ID" {
				got = append(got, f[0])
			}
		}
		return strings.Join(got, " ")
	}
	code, out, errs := cli(false, "member", "list", dir)
	if code != 0 || strings.Count(out, "\n") != 31 || errs != "" || !strings.HasPrefix(out, "ID\tNAME\tTIER\tPOINTS\tLAST ACTIVE\tLEFT\n") {
		t.Fatalf("a header row, then all 30 members, a line each: %d\n%s%s", code, out, errs)
	}
	if code, bare, _ := cli(false, "member", "list", "-no-header", dir); code != 0 || bare != strings.SplitN(out, "\n", 2)[1] {
		t.Fatalf("-no-header: the same lines without the header:\n%s", bare)
	}
	if !strings.Contains(out, "u02\tBo\tregular\t121\t2026-11-15T05:16:03Z\t\n") || !strings.Contains(out, "u04\tDana\t\t77\t2026-11-14T21:32:00Z\tleft\n") {
		t.Errorf("lines are id, name, tier, points, last active and left:\n%s", out)
	}
	if _, out, _ := cli(false, "member", "list", "-left", dir); ids(out) != "u04" {
		t.Errorf("-left lists %q; want u04", ids(out))
	}
	if _, out, _ := cli(false, "member", "list", "-left=false", dir); strings.Contains(out, "u04") || strings.Count(out, "\n") != 30 {
		t.Errorf("-left=false lists:\n%s", out)
	}
	if _, out, _ := cli(false, "member", "list", "-segment", "lurkers", dir); ids(out) != "u01 u03 u20" {
		t.Errorf("-segment lurkers lists %q", ids(out))
	}
	if _, out, _ := cli(false, "member", "list", "-q", "CHEN", dir); ids(out) != "u03" {
		t.Errorf("-q CHEN lists %q", ids(out))
	}
	if _, out, _ := cli(false, "member", "list", "-referrer", "u02", dir); ids(out) != "u03 u05" {
		t.Errorf("-referrer u02 lists %q; want u03 u05", ids(out))
	}
	// member show: who referred the member, and whom they referred who
	// converted, each once.
	if _, out, _ := cli(false, "member", "show", "u02", dir); !strings.Contains(out, ", referrals 1\n") || !strings.Contains(out, "  referees who converted: u03\n") {
		t.Errorf("member show u02: want referrals 1 and the referee u03:\n%s", out)
	}
	if _, out, _ := cli(false, "member", "show", "u03", dir); !strings.Contains(out, "  referred by u02\n") {
		t.Errorf("member show u03: want referred by u02:\n%s", out)
	}
	// Pages: the last line says how to go on, on stderr off a terminal.
	code, out, errs = cli(false, "member", "list", "-limit", "12", "-tier", "regular", dir)
	var regulars []string
	for page := 0; code == 0; page++ {
		regulars = append(regulars, ids(out))
		next, ok := strings.CutPrefix(strings.TrimSpace(errs), "More follow: hearth member list -after ")
		if !ok || page > 5 {
			break
		}
		after, _, _ := strings.Cut(next, " ")
		if want := " -limit 12 -tier regular " + dir; !strings.HasSuffix(next, want) {
			t.Errorf("the hint repeats the arguments: %q; want them ending %q", next, want)
		}
		code, out, errs = cli(false, "member", "list", "-limit", "12", "-tier", "regular", "-after", after, dir)
	}
	var js struct {
		Members []struct {
			ID   string `json:"id"`
			Tier string `json:"tier"`
		} `json:"members"`
		More bool `json:"more"`
	}
	_, out, _ = cli(false, "member", "list", "-json", "-tier", "regular", "-limit", "1000", dir)
	if strings.Contains(out, "LAST ACTIVE") {
		t.Errorf("-json has no header row:\n%s", out)
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || js.More || len(js.Members) < 13 {
		t.Fatalf("-json: %v %+v\n%s", err, js, out)
	}
	var all []string
	for _, m := range js.Members {
		all = append(all, m.ID)
	}
	if got := strings.Join(regulars, " "); len(regulars) < 2 || got != strings.Join(all, " ") {
		t.Errorf("pages of 12 list %q; the whole list is %q", regulars, strings.Join(all, " "))
	}
	// A terminal gets a table with a header and a count.
	_, out, _ = cli(true, "member", "list", "-segment", "lurkers", dir)
	if lines := strings.Split(out, "\n"); lines[0] != "ID   NAME      TIER  POINTS  LAST ACTIVE (UTC)" ||
		!strings.Contains(out, "\nu03  Chen Wei  -     0       2026-11-12 13:58\n") || !strings.HasSuffix(out, "\n3 members.\n") {
		t.Errorf("table:\n%s", out)
	}
	for _, bad := range [][]string{{"-segment", "lurker"}, {"-tier", "gold"}, {"-limit", "0"}} {
		if code, out, errs := cli(false, append(append([]string{"member", "list"}, bad...), dir)...); code != 1 || out != "" || errs == "" {
			t.Errorf("%v: %d %q %q; want exit 1 and an error", bad, code, out, errs)
		}
	}
	if _, _, errs := cli(false, "member", "list", "-segment", "lurker", dir); !strings.Contains(errs, `Did you mean "lurkers"?`) {
		t.Errorf("a misspelt segment: %s", errs)
	}

	// Through hearth run: it takes a token, so a list without it is
	// refused, which shows the list asked the daemon.
	env["HEARTH_API_TOKEN"] = "list-token"
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var rout, rerr bytes.Buffer
	rs := &stdio{in: bytes.NewReader(nil), out: &rout, err: &rerr, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "-listen", addr, dir}, rs) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready\n%s", rerr.String())
		}
	}
	req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(`{"id":"zed-1","type":"member.joined","member":{"id":"zz-new","name":"Zz Newcomer"},"at":"2026-11-16T00:00:00Z"}`+"\n"))
	req.Header.Set("Authorization", "Bearer list-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %v %v", err, resp)
	}
	delete(env, "HEARTH_API_TOKEN")
	if code, _, errs := cli(false, "member", "list", dir); code != 1 || !strings.Contains(errs, "401") || !strings.Contains(errs, "set HEARTH_API_TOKEN") {
		t.Errorf("without the daemon's token: %d %s", code, errs)
	}
	env["HEARTH_API_TOKEN"] = "list-token"
	if code, out, errs := cli(false, "member", "list", "-q", "zz", dir); code != 0 || ids(out) != "zz-new" {
		t.Errorf("the member the daemon just accepted: %d %q %s", code, out, errs)
	}
	if code, out, errs := cli(false, "member", "list", "-referrer", "u11", dir); code != 0 || ids(out) != "u25 u29" {
		t.Errorf("-referrer u11 through the daemon: %d %q %s", code, out, errs)
	}
}

// The table lines up names in any script by their width on a terminal:
// a CJK character takes two columns.
func TestMemberListWideNames(t *testing.T) {
	dir := exampleCopy(t, "quickstart", nil)
	evFile := filepath.Join(t.TempDir(), "events.jsonl")
	lines := `{"id":"j1","type":"member.joined","member":{"id":"u1","name":"王小明"},"at":"2026-11-10T08:00:00Z"}
{"id":"j2","type":"member.joined","member":{"id":"u2","name":"Bo"},"at":"2026-11-10T08:01:00Z"}
{"id":"j3","type":"member.joined","member":{"id":"u3","name":"李"},"at":"2026-11-10T08:02:00Z"}
`
	if err := os.WriteFile(evFile, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s := &stdio{in: bytes.NewReader(nil), out: &out, err: &errb, lookupEnv: func(string) (string, bool) { return "", false }}
	if code := run(context.Background(), []string{"replay", "-events", evFile, dir}, s); code != 0 {
		t.Fatalf("replay: %d %s", code, errb.String())
	}
	out.Reset()
	s.outTTY = true
	if code := run(context.Background(), []string{"member", "list", dir}, s); code != 0 {
		t.Fatalf("member list: %d %s", code, errb.String())
	}
	rows := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	tierAt := func(row, word string) int {
		i := strings.Index(row, word)
		if i < 0 {
			t.Fatalf("no %q in %q", word, row)
		}
		return textwidth.Width(row[:i])
	}
	want := tierAt(rows[0], "TIER")
	for _, row := range rows[1:4] {
		if got := tierAt(row, " -  ") + 1; got != want {
			t.Errorf("the tier column starts at %d in %q, at %d in the header:\n%s", got, row, want, out.String())
		}
	}
}
