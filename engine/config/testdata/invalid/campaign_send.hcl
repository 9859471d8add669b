# Channel sends need a target; other sends must not have one.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "welcome" {}
}

template "hi" {
  text = { en = "Hi" }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "a" {
    send { # ERROR: A send with channel = "channel" needs target = community.NAME.channel.CHANNEL.
      channel  = "channel"
      template = template.hi
    }
  }
  step "b" {
    send {
      channel  = "dm"
      template = template.hi
      target   = community.explorers.channel.welcome # ERROR: a dm send does not use it
    }
  }
  step "c" {
    send {
      channel  = "dm"
      template = template.hi
    }
    send { # ERROR: The step "c" block has at most one send block; the first is at campaign_send.hcl:31.
      channel  = "email"
      template = template.hi
    }
  }
}
