package main

import (
	"flag"
	"io"
)

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
