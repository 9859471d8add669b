package daemon_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-community/hearth/engine/daemon"
	"github.com/hearth-community/hearth/engine/state"
	"github.com/hearth-community/hearth/engine/state/sqlite"
)

// backup asks the daemon for a backup and returns the status and body;
// a request that fails is status 0 and the error as the body.
func backup(t *testing.T, f *fixture, token string) (int, []byte, http.Header) {
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/state/backup", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	return resp.StatusCode, data, resp.Header
}

// gatedStore holds a backup at its start until the test lets it go.
type gatedStore struct {
	*sqlite.Store
	entered, gate chan struct{}
	once          sync.Once
}

func (g *gatedStore) BackupFile(ctx context.Context) (*os.File, error) {
	g.once.Do(func() { close(g.entered); <-g.gate })
	return g.Store.BackupFile(ctx)
}

// The backup endpoint wants the token, streams a whole state that
// verifies, leaves nothing next to the state, makes one backup at a
// time, and does not stop events from being applied meanwhile.
func TestStateBackupEndpoint(t *testing.T) {
	g := &gatedStore{entered: make(chan struct{}), gate: make(chan struct{})}
	f := start(t, rulesA, "s3cret", func(o *daemon.Options) {
		g.Store = o.Store.(*sqlite.Store)
		o.Store = g
	})
	if code, _ := post(t, f, "/v1/events", events(0, 300), "s3cret"); code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	if code, body, _ := backup(t, f, ""); code != http.StatusUnauthorized || strings.Contains(string(body), "SQLite") {
		t.Fatalf("without the token: %d %.100s", code, body)
	}

	type answer struct {
		code int
		body []byte
		h    http.Header
	}
	first := make(chan answer, 1)
	go func() {
		code, body, h := backup(t, f, "s3cret")
		first <- answer{code, body, h}
	}()
	<-g.entered
	if code, body, _ := backup(t, f, "s3cret"); code != http.StatusConflict || !strings.Contains(string(body), "a backup of this state is being made") {
		t.Errorf("a second backup while one runs: %d %s", code, body)
	}
	// Events go on while a backup is under way.
	if code, _ := post(t, f, "/v1/events", events(300, 100), "s3cret"); code != http.StatusAccepted {
		t.Errorf("post during a backup: %d", code)
	}
	close(g.gate)
	a := <-first
	if a.code != http.StatusOK || a.h.Get("Content-Type") != "application/vnd.sqlite3" || a.h.Get("Content-Length") == "" {
		t.Fatalf("backup: %d %v %.200s", a.code, a.h, a.body)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(file, a.body, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := sqlite.Verify(context.Background(), file)
	if err != nil || info.EventIDs != 400 || info.Members != 7 {
		t.Errorf("the backup: %+v %v; want the 400 events committed before it and 7 members", info, err)
	}
	if left, _ := filepath.Glob(f.db + ".backup-*"); len(left) != 0 {
		t.Errorf("left next to the state: %v", left)
	}
	// The flag is down again: the next one is made.
	if code, _, _ := backup(t, f, "s3cret"); code != http.StatusOK {
		t.Errorf("a backup after the first: %d", code)
	}
}

// A daemon on a store that cannot copy itself says what to use instead.
func TestStateBackupOtherStore(t *testing.T) {
	f := start(t, rulesA, "", func(o *daemon.Options) { o.Store = state.NewMemory() })
	if code, body, _ := backup(t, f, ""); code != http.StatusNotImplemented || !strings.Contains(string(body), "pg_dump") {
		t.Errorf("%d %s", code, body)
	}
}
