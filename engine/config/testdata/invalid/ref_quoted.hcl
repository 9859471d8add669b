# A reference written as a quoted string.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = "platform.local.main" # ERROR: write platform = platform.local.main, without quotes.
}

template "welcome" {
  text = { en = "Hi" }
}

segment "active" {
  community = "explorers" # ERROR: write community = community.explorers, without quotes.
  when      = "true"
}

campaign "onboarding" {
  audience = "" # ERROR: write audience = segment.NAME, without quotes.
  step "hello" {
    send {
      channel  = "dm"
      template = "template.welcome" # ERROR: not a quoted string: write template = template.welcome
    }
  }
}
