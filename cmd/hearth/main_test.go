package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the hearth binary in-process as "hearth".
// A script sets the clock of the commands that read one (stdio.clock:
// outbox send, retry, state prune ...) with env HEARTH_TEST_NOW=RFC3339,
// so that what they do with events of fixed dates (expire_after, quiet
// hours at delivery) does not depend on the day the tests run. Only
// tests have it: hearth itself always reads the real clock.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hearth": func() {
			s := newIO()
			if v := os.Getenv("HEARTH_TEST_NOW"); v != "" {
				now, err := time.Parse(time.RFC3339, v)
				if err != nil {
					fmt.Fprintf(os.Stderr, "HEARTH_TEST_NOW: %v\n", err)
					os.Exit(2)
				}
				s.now = func() time.Time { return now }
			}
			os.Exit(run(context.Background(), os.Args[1:], s))
		},
	})
}

// TestScripts runs the CLI end-to-end scenarios in testdata/script/*.txtar:
// each is a small file tree and a list of commands with expected output.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", filepath.Join(root, "examples"))
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		UpdateScripts: os.Getenv("HEARTH_UPDATE_SCRIPTS") == "1",
		Cmds:          map[string]func(*testscript.TestScript, bool, []string){"exitcode": cmdExitCode, "discordfake": cmdDiscordFake, "telegramfake": cmdTelegramFake, "applylock": cmdApplyLock},
	})
}

// cmdExitCode is "exitcode N PROG ARGS...": run PROG and require exit
// status N, for commands such as plan -detailed-exitcode whose status
// means more than failed or not.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
