package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// confirm asks question (which ends "Only 'yes' will be accepted.") on
// s.out and reads the answer, one line, from s.in: a terminal's, or a
// pipe's, as terraform reads it (echo yes | hearth apply DIR). Only
// "yes" goes on; anything else, or Ctrl-C, cancels, said on s.err as
// "hearth NAME: cancelled; kept." (kept says what stays: "nothing was
// changed"). A stdin that is no terminal and ends with no line gets its
// own message, naming -auto-approve and instead (", or apply a saved
// plan (...)"; "" for none): a script that forgot the flag learns what
// to pass. Every command that asks for 'yes' asks through here.
func confirm(ctx context.Context, s *stdio, name, question, kept, instead string) bool {
	fmt.Fprintf(s.out, "\n%s\n  Enter a value: ", question)
	answer, err := "", io.EOF
	if s.in != nil {
		answer, err = readAnswer(ctx, s.in)
	}
	if err != nil || !s.inTTY {
		// Ended by Ctrl-C, or an answer from a pipe, which is not
		// echoed: the prompt's line ends here.
		fmt.Fprintln(s.out)
	}
	switch {
	case errors.Is(err, io.EOF) && !s.inTTY:
		fmt.Fprintf(s.err, "hearth %s: standard input is not a terminal and gave no answer, so nothing was confirmed; pass -auto-approve%s, or pipe the answer (echo yes | hearth %s ...). Cancelled; %s.\n", name, instead, name, kept)
		return false
	case err != nil || answer != "yes":
		fmt.Fprintf(s.err, "hearth %s: cancelled; %s.\n", name, kept)
		return false
	}
	return true
}

// autoApprove registers -auto-approve, which answers a command's
// confirmation question with yes, as terraform apply's does: every
// command that asks for 'yes' takes it, so scripts need one flag to
// know. old are earlier names of it that stay accepted, so scripts
// written with them keep working (force-unlock's -force), and that -h
// no longer lists.
func autoApprove(fs *flag.FlagSet, usage string, old ...string) *bool {
	p := fs.Bool("auto-approve", false, usage)
	for _, name := range old {
		fs.Var(alias{Value: fs.Lookup("auto-approve").Value, of: "auto-approve"}, name, "An earlier name of -auto-approve.")
	}
	return p
}

// alias is a flag that sets another flag's value (of) under an earlier
// name. -h leaves it out, and a mistyped flag close to it is told of the
// flag it stands for.
type alias struct {
	flag.Value
	of string
}

// IsBoolFlag lets an alias of a bool flag go without a value (-force).
func (a alias) IsBoolFlag() bool {
	b, ok := a.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Get gives the value, so that a wrong one is explained as for the flag.
func (a alias) Get() any {
	if g, ok := a.Value.(flag.Getter); ok {
		return g.Get()
	}
	return nil
}

func isAlias(f *flag.Flag) bool {
	_, ok := f.Value.(alias)
	return ok
}

// flagName is the name to suggest for f: the flag an alias stands for.
func flagName(f *flag.Flag) string {
	if a, ok := f.Value.(alias); ok {
		return a.of
	}
	return f.Name
}

// printOptions prints the flags of fs as PrintDefaults does, without the
// aliases; it reports whether there was any to print.
func printOptions(w io.Writer, fs *flag.FlagSet) bool {
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	some := false
	fs.VisitAll(func(f *flag.Flag) {
		if isAlias(f) {
			return
		}
		some = true
		shown.Var(f.Value, f.Name, f.Usage)
		// As it was before parsing: -h after -auto-approve still
		// shows the default.
		shown.Lookup(f.Name).DefValue = f.DefValue
	})
	shown.SetOutput(w)
	shown.PrintDefaults()
	return some
}
