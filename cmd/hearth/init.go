package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearth-community/hearth/engine/config"
)

const initUsage = `Usage: hearth init [-force] [DIR]

Writes a working starter configuration into DIR (default: the current
directory): a community on the built-in local platform, segments, a tier
ladder, a badge, incentives and an onboarding campaign with templates in
English and Chinese (main.hcl), and rule tests of it that pass
(main.hearthtest.hcl). It validates as written; edit it from there, and
run 'hearth test' after each change.

A directory that already holds *.hcl files is refused: the starter's
blocks would clash with the configuration there, and its tests would fail.
With -force, init writes only the starter files that are missing and fit
what is there: main.hcl where the directory has no other configuration
file, main.hearthtest.hcl where the configuration is the starter's
main.hcl (written now, or as init wrote it), and .gitignore. It says
which it skipped and why. Existing files are never overwritten.

Examples:
  hearth init mycommunity && hearth validate mycommunity && hearth test mycommunity
  hearth init mycommunity/starter  # a starter to copy from, beside a configuration
  hearth init -force mycommunity   # put back a starter file deleted by mistake
`

const starterConfig = `# A hearth starter. Run 'hearth validate' after each change and
# 'hearth explain BLOCK' for the reference of any block.

hearth {
  required_version = ">= 0.1"
  default_locale   = "en"
  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
    # Unset, every event id and all outcome history are kept forever.
    # event_id_retention = "90d"
    # outcome_retention  = "400d"
  }
}

# The built-in platform: a chat platform emulated in a local file.
platform "local" "main" {
  path = ".hearth/local-platform.json"
}

community "main" {
  title       = "My Community"
  platform    = platform.local.main
  purpose     = "What brings people here"
  capacity    = 150
  house_rules = "Be kind. Stay on topic. No spam."

  channel "welcome" {
    topic           = "Say hi"
    pin_house_rules = true
  }
  channel "general" {
    topic = "Everything else"
  }

  role "regular" {
    color = "#3498db"
  }
}

segment "newcomers" {
  description = "Joined in the last 14 days"
  when        = "member.days_since_joined < 14"
}

segment "active" {
  description = "Active on 4 or more of the last 30 days"
  when        = "active_days('30d') >= 4"
}

segment "lurkers" {
  description = "Two weeks in and no message in 30 days"
  when        = "member.days_since_joined >= 14 && count('message.posted', '30d') == 0"
}

tier "regular" {
  rank = 1
  when = "member.points >= 100"
  keep = "member.points >= 80"
  role = community.main.role.regular
}

badge "first_post" {
  title = "First post"
  class = "bronze"
}

incentive "first_post" {
  on   = "message.posted"
  when = "member.messages == 1"
  once = true
  grant {
    points = 10
    badge  = badge.first_post
  }
}

incentive "posting" {
  on         = "message.posted"
  points_cap = "20/1d"
  grant {
    points = 1
  }
}

campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "welcome" {
    send {
      channel  = "dm"
      template = template.welcome
    }
  }

  step "nudge" {
    wait = "3d"
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

template "welcome" {
  text = {
    en    = "Welcome, ${member.name}! Say hi in #welcome."
    zh-CN = "欢迎，${member.name}！来 #welcome 打个招呼吧。"
  }
}

template "nudge" {
  text = {
    en    = "Hi ${member.name}, anything we can help with?"
    zh-CN = "${member.name}，有什么可以帮你的吗？"
  }
}
`

// starterTests are rule tests of the starter, so 'hearth test' has
// something to run from the start and shows how tests are written.
const starterTests = `# Rule tests for main.hcl: run 'hearth test' after each change. Each test
# starts from no members; times are offsets from the start.

test "a first post earns the badge and its points" {
  event "member.joined" {
    member = "ann"
    at     = "1h"
  }
  event "message.posted" {
    member = "ann"
    at     = "2h"
    attrs  = { channel = "general" }
  }
  expect "ann" {
    points      = 11 # 10 for the first post, 1 for posting
    badges      = ["first_post"]
    in_segments = ["newcomers"]
  }
}

test "posting points stop at 20 a day" {
  event "message.posted" {
    member = "bo"
    at     = "1h"
    repeat = 30
    every  = "10m"
    attrs  = { channel = "general" }
  }
  expect "bo" {
    at     = "1d"
    points = 30 # 10 for the first post, 20 for posting
  }
}

test "a hundred points make a regular" {
  # A post an hour: 30 points the first day, 20 a day after.
  event "message.posted" {
    member = "cy"
    at     = "1h"
    repeat = 150
    every  = "1h"
    attrs  = { channel = "general" }
  }
  expect "cy" {
    at     = "71h"
    points = 70
    tier   = ""
  }
  expect "cy" {
    at   = "6d"
    tier = "regular"
  }
}

test "two silent weeks make a lurker" {
  event "member.joined" {
    member = "dee"
    at     = "1h"
  }
  expect "dee" {
    at              = "13d"
    in_segments     = ["newcomers"]
    not_in_segments = ["lurkers"]
  }
  expect "dee" {
    at              = "15d"
    in_segments     = ["lurkers"]
    not_in_segments = ["newcomers", "active"]
  }
}
`

func runInit(_ context.Context, s *stdio, args []string) int {
	fset := newFlags(s, "init", initUsage)
	force := fset.Bool("force", false, "Write the starter files that are missing and fit the configuration DIR already holds (existing files are kept).")
	pos, code, ok := parse(fset, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "init")
	if !ok {
		return 1
	}
	files, existing, err := starterFiles(dir)
	if err != nil {
		fmt.Fprintf(s.err, "hearth init: %v\n", err)
		return 1
	}
	if !*force && len(existing) > 0 {
		fits := "adds nothing here"
		if names := fitting(files); len(names) > 0 {
			fits = "adds only the starter files that fit beside it (" + strings.Join(names, ", ") + ")"
		}
		// A subdirectory is not part of the configuration (hearth reads
		// DIR's own *.hcl files), so a starter there clashes with nothing.
		fmt.Fprintf(s.err, "hearth init: %s already holds a configuration (%s); the starter would clash with it, so nothing was written.\nRun 'hearth init %s' for a starter beside it to copy blocks and tests from (hearth reads no subdirectory); 'hearth init -force %s' %s.\n",
			dir, strings.Join(existing, ", "), filepath.Join(dir, "starter"), dir, fits)
		return 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(s.err, "hearth init: %v\n", err)
		return 1
	}
	wrote := 0
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if f.skip != "" {
			fmt.Fprintf(s.out, "skipped  %s (%s)\n", path, f.skip)
			continue
		}
		file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(s.out, "kept     %s (already exists)\n", path)
			continue
		}
		if err == nil {
			_, err = file.WriteString(f.body)
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(s.err, "hearth init: %v\n", err)
			return 1
		}
		fmt.Fprintf(s.out, "created  %s\n", path)
		wrote++
	}
	if wrote > 0 {
		// The whole path, so a newcomer need not look it up: check, create
		// the community on the local platform, run, and try it as a member.
		fmt.Fprintf(s.out, "\nNext: hearth validate %[1]s && hearth test %[1]s\n"+
			"Then: hearth apply %[1]s (creates the community on the local platform),\n"+
			"      hearth run %[1]s (the daemon), and in another terminal\n"+
			"      hearth local join -name Ann main %[1]s to have a member join.\n", dir)
	}
	return 0
}

// starterFile is one file init writes, unless skip says why it does not.
type starterFile struct {
	name, body string
	exists     bool
	skip       string
}

// starterFiles are the starter's files for dir, each marked as already
// there or skipped because it does not fit the configuration dir holds:
// the starter's main.hcl would mix its hearth block, platform and
// community into another configuration, and its tests are of that
// main.hcl, so beside any other configuration hearth test would fail on
// names it lacks (There is no tier "regular"). existing are dir's *.hcl
// files, whose presence makes init without -force refuse.
func starterFiles(dir string) (files []starterFile, existing []string, err error) {
	if existing, err = filepath.Glob(filepath.Join(dir, "*.hcl")); err != nil {
		return nil, nil, err
	}
	files = []starterFile{
		{name: "main.hcl", body: starterConfig},
		{name: "main.hearthtest.hcl", body: starterTests},
		{name: ".gitignore", body: ".hearth/\n"},
	}
	for i := range files {
		_, err := os.Lstat(filepath.Join(dir, files[i].name))
		files[i].exists = err == nil
	}
	var others []string // configuration files besides main.hcl
	for _, path := range existing {
		if base := filepath.Base(path); base != "main.hcl" && !strings.HasSuffix(base, config.TestFileSuffix) {
			others = append(others, base)
		}
	}
	main := &files[0]
	switch {
	case main.exists:
	case len(others) > 0:
		main.skip = fmt.Sprintf("its blocks would be mixed into the configuration of %s", strings.Join(others, ", "))
	}
	// The tests fit only the starter's own main.hcl: written now, or as
	// init wrote it, with nothing beside it.
	starter := !main.exists && main.skip == ""
	if main.exists && len(others) == 0 {
		b, err := os.ReadFile(filepath.Join(dir, main.name))
		starter = err == nil && string(b) == starterConfig
	}
	if tests := &files[1]; !tests.exists && !starter {
		tests.skip = "it tests the starter's main.hcl, not the configuration there; 'hearth explain test' shows how to write tests of yours"
	}
	return files, existing, nil
}

// fitting names the files init -force would write.
func fitting(files []starterFile) []string {
	var out []string
	for _, f := range files {
		if !f.exists && f.skip == "" {
			out = append(out, f.name)
		}
	}
	return out
}
