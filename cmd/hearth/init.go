package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
With -force, init writes the starter files that are missing beside them.
Existing files are never overwritten, even with -force.

Examples:
  hearth init mycommunity && hearth validate mycommunity && hearth test mycommunity
  hearth init -force .      # add the starter to a directory with other files
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
	force := fset.Bool("force", false, "Write the starter files even when DIR already holds *.hcl files (existing files are still kept).")
	pos, code, ok := parse(fset, args)
	if !ok {
		return code
	}
	dir, ok := dirArg(pos, s, "init")
	if !ok {
		return 1
	}
	if !*force {
		existing, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
		if err != nil {
			fmt.Fprintf(s.err, "hearth init: %v\n", err)
			return 1
		}
		if len(existing) > 0 {
			fmt.Fprintf(s.err, "hearth init: %s already holds a configuration (%s); the starter would clash with it, so nothing was written.\nRun 'hearth init -force %s' to add the starter files that are missing anyway, or choose an empty directory.\n", dir, strings.Join(existing, ", "), dir)
			return 1
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(s.err, "hearth init: %v\n", err)
		return 1
	}
	files := []struct{ name, body string }{
		{"main.hcl", starterConfig},
		{"main.hearthtest.hcl", starterTests},
		{".gitignore", ".hearth/\n"},
	}
	wrote := 0
	for _, f := range files {
		path := filepath.Join(dir, f.name)
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
		fmt.Fprintf(s.out, "\nNext: hearth validate %s && hearth test %s\n", dir, dir)
	}
	return 0
}
