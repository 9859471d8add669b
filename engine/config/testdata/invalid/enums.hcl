# Attributes with a fixed set of values.

hearth {
  state {
    backend = "mysql" # ERROR: "mysql" is not one of "sqlite", "postgres" or "memory".
  }
}

platform "local" "main" {}

community "explorers" {
  title       = "Explorers"
  platform    = platform.local.main
  on_capacity = "spilt" # ERROR: Did you mean "split"?
  moderation "spam" {
    keywords = { en = ["spam"] }
    action   = "delete" # ERROR: Invalid value for action
  }
}

badge "helper" {
  class = "platinum" # ERROR: "platinum" is not one of "bronze", "silver" or "gold".
}

template "hi" {
  text = { en = "Hi" }
}

campaign "onboarding" {
  enter_on = "member.joined"
  reentry  = "sometimes" # ERROR: Invalid value for reentry
  on_cap   = "drop" # ERROR: Invalid value for on_cap
  step "hello" {
    send {
      channel  = "sms" # ERROR: "sms" is not one of "dm", "channel", "email" or "webhook".
      template = template.hi
    }
  }
}
