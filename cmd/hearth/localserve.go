package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hearth-community/hearth/adapters/discourse/discoursetest"
	"github.com/hearth-community/hearth/engine/config"
)

// defaultStandInAddr is where `hearth local serve` listens by default: a
// fixed port, so the url written in a configuration stays right from
// one run to the next.
const defaultStandInAddr = "127.0.0.1:4280"

// standInTypes are the platform types `hearth local serve` can stand in
// for. Only Discourse: its fake follows Discourse's API closely enough
// for plan and apply, and needs no ids to be set up first. (The Discord,
// Slack and Telegram fakes need a server, workspace or chat made and
// its id written in the configuration, which a script does better.)
var standInTypes = []string{"discourse"}

// runLocalServe is `hearth local serve TYPE`: a platform's test fake on
// loopback, until Ctrl-C.
func runLocalServe(ctx context.Context, s *stdio, args []string) int {
	fs := newFlags(s, "local serve", localUsage)
	listen := fs.String("listen", defaultStandInAddr, "Serve on `ADDR`, a loopback address and port (127.0.0.1:0 picks a free port).")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return argError(s, "local serve", "give the platform type to stand in for: "+strings.Join(standInTypes, ", "))
	}
	if !slices.Contains(standInTypes, pos[0]) {
		msg := fmt.Sprintf("there is no stand-in for %q; the types are: %s", pos[0], strings.Join(standInTypes, ", "))
		if pos[0] == "local" {
			msg = "the local platform is built in and needs no server: write platform \"local\" \"NAME\" {}"
		}
		return argError(s, "local serve", msg)
	}
	// A stand-in's key is printed on the terminal and it checks nothing
	// else, so it must not be reachable from the network.
	if !loopback(*listen) {
		return argError(s, "local serve", fmt.Sprintf("-listen %q is not a loopback HOST:PORT; a stand-in serves this machine only, such as %s or [::1]:4280", *listen, defaultStandInAddr))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
		return 1
	}
	forum := discoursetest.NewForum()
	key := make([]byte, 16)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	forum.APIKey = "standin-" + hex.EncodeToString(key)
	srv := &http.Server{Handler: standIn(forum), ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(s.out, `hearth local serve: a LOCAL STAND-IN for Discourse, not a Discourse forum.
It is hearth's test fake of the Discourse API, on this machine only. What
hearth makes in it is kept in memory and lost when it stops (Ctrl-C).

  url       %s
  api key   %s
  username  %s (api_username's default)

In the platform block:

  platform "discourse" "forum" {
    url     = %q
    api_key = var.discourse_api_key
  }

and in the shell that runs hearth plan and apply:

  export %sdiscourse_api_key=%s

Serving; press Ctrl-C to stop.
`, url, forum.APIKey, forum.APIUsername, url, config.EnvVarPrefix, forum.APIKey)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(s.err, "hearth local serve: %v\n", err)
	}
	fmt.Fprintln(s.out, "Stopped; the stand-in forum and everything in it are gone.")
	return 0
}

// standIn marks every answer of a stand-in as one (X-Hearth-Stand-In),
// so nothing that reads them takes it for the platform.
func standIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Hearth-Stand-In", "discourse; in memory")
		h.ServeHTTP(w, r)
	})
}
