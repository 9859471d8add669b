package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the hearth binary in-process as "hearth".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hearth": func() { os.Exit(run(context.Background(), os.Args[1:], newIO())) },
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
