package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strings"
)

// logFlags are a daemon's -log-level and -log-format, which fall back
// to HEARTH_LOG_LEVEL and HEARTH_LOG_FORMAT: an operator sets them once
// in a unit file or a container's environment, and a flag still wins.
type logFlags struct {
	level, format string
}

// "warning" is warn too: the word syslog, Python and many operators
// use, and no reason to refuse a start.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError}

// The values of -log-level and -log-format, in the order they are named.
var (
	logLevelValues  = []string{"debug", "info", "warn", "error"}
	logFormatValues = []string{"json", "text"}
	logLevelNames   = orList(logLevelValues)
	logFormatNames  = orList(logFormatValues)
)

func (f *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.level, "log-level", "", "Least severe log lines written: "+logLevelNames+" (warning is warn; default: $HEARTH_LOG_LEVEL, else info).")
	fs.StringVar(&f.format, "log-format", "", "Log lines as "+logFormatNames+" (default: $HEARTH_LOG_FORMAT, else text on a terminal and JSON otherwise).")
}

// options resolves the flags against the environment. A bad value is an
// error naming where it came from and the values allowed.
func (f *logFlags) options(s *stdio) (level slog.Level, asJSON bool, err error) {
	pick := func(flagVal, flagName, env string) (string, string) {
		if flagVal != "" {
			return strings.ToLower(strings.TrimSpace(flagVal)), "-" + flagName
		}
		v, _ := s.lookupEnv(env)
		return strings.ToLower(strings.TrimSpace(v)), env
	}
	lv, from := pick(f.level, "log-level", "HEARTH_LOG_LEVEL")
	level = slog.LevelInfo
	if lv != "" {
		l, ok := logLevels[lv]
		if !ok {
			return 0, false, fmt.Errorf("%s %q: want %s.%s", from, lv, logLevelNames, didYouMean(lv, logLevelValues))
		}
		level = l
	}
	fv, from := pick(f.format, "log-format", "HEARTH_LOG_FORMAT")
	switch fv {
	case "":
		asJSON = !s.errTTY
	case "json":
		asJSON = true
	case "text":
	default:
		return 0, false, fmt.Errorf("%s %q: want %s.%s", from, fv, logFormatNames, didYouMean(fv, logFormatValues))
	}
	return level, asJSON, nil
}

// logger is the daemon's logger, writing to stderr as the flags say.
func (f *logFlags) logger(s *stdio) (*slog.Logger, error) {
	level, asJSON, err := f.options(s)
	if err != nil {
		return nil, err
	}
	return slog.New(logHandler(s, &slog.HandlerOptions{Level: level}, asJSON)), nil
}
