# References to the wrong kind of block.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = community.explorers # ERROR: platform needs a platform (platform.TYPE.NAME), but community.explorers is a community.
  role "core" {}
  channel "welcome" {}
}

segment "active" {
  community = platform.local.main # ERROR: community needs a community
  when      = "true"
  role      = community.explorers.channel.welcome # ERROR: role needs a role (community.NAME.role.ROLE), but community.explorers.channel.welcome is a channel.
}

badge "helper" {}

template "welcome" {
  text = { en = "Hi" }
}

campaign "onboarding" {
  audience = badge.helper # ERROR: audience needs a segment
  step "hello" {
    send {
      channel  = "channel"
      template = segment.active # ERROR: template needs a template
      target   = community.explorers.role.core # ERROR: target needs a channel
    }
  }
}
