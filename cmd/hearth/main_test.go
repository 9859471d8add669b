package main

import (
	"context"
	"os"
	"path/filepath"
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
	})
}
