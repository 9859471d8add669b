# Block names are ASCII letters, digits, _ or -, starting with a letter;
# names in other scripts go in title.

segment "my segment" { # ERROR: "my segment" is not a valid segment name
  when = "true"
}

badge "1st" { # ERROR: Invalid badge name
}

badge "首发" { # ERROR: Put the name people see in title (title = "首发")
}

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "#general" { # ERROR: Invalid channel name
  }
  channel "公告" { # ERROR: Put the name people see in title (title = "公告")
  }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "step one" { # ERROR: Invalid step name
    wait = "1d"
  }
  step "ok" {
    wait = "1d"
  }
}

variable "9lives" { # ERROR: Invalid variable name
}
