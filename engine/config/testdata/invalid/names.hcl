# Block names start with a letter, then letters, digits, _ or -.

segment "my segment" { # ERROR: "my segment" is not a valid name
  when = "true"
}

badge "1st" { # ERROR: Invalid badge name
}

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "#general" { # ERROR: Invalid channel name
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
