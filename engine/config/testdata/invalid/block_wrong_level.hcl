# Blocks that exist, one level off.

grant { # ERROR: A grant block belongs inside an incentive block (incentive.grant)
  points = 1
}

step "welcome" { # ERROR: belongs inside a campaign block
}

channel "general" { # ERROR: A channel block belongs inside a community block
}

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main

  segment "lurkers" { # ERROR: A segment block goes at the top level of a file, not inside a community block
    when = "true"
  }
}

campaign "onboarding" {
  enter_on = "member.joined"
  send { # ERROR: A send block belongs inside a step block (campaign.step.send)
    channel = "dm"
  }
  step "wait" {
    wait = "1d"
    variant "a" { # ERROR: belongs inside a split block (campaign.step.split.variant)
      weight = 1
    }
  }
}

hearth {
  validation { # ERROR: belongs inside a variable block
  }
}
