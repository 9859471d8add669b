# References to blocks that do not exist.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.mian # ERROR: There is no platform named "local.mian". Did you mean "local.main"?
  role "core" {}
  channel "welcome" {}
}

community "makers" {
  title    = "Makers"
  platform = platform.local.other # ERROR: Reference to undeclared platform
}

segment "active" {
  community = community.explorer # ERROR: There is no community named "explorer". Did you mean "explorers"?
  when      = "true"
  role      = community.explorers.role.cor # ERROR: There is no role "cor" in community "explorers". Did you mean "core"?
}

badge "helper" {}

template "welcome" {
  text = { en = "Hi" }
}

incentive "help" {
  on = "message.posted"
  grant {
    badge = badge.helpr # ERROR: There is no badge named "helpr". Did you mean "helper"?
  }
}

campaign "onboarding" {
  audience = segment.actve # ERROR: There is no segment named "actve". Did you mean "active"?
  step "hello" {
    send {
      channel  = "channel"
      template = template.welcom # ERROR: There is no template named "welcom". Did you mean "welcome"?
      target   = community.explorers.channel.general # ERROR: There is no channel "general" in community "explorers".
    }
  }
}
