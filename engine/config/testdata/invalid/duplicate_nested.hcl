# Channels, roles, moderation rules, steps and variants are unique
# within their parent.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "general" {}
  channel "general" {} # ERROR: A channel named "general" is already defined at duplicate_nested.hcl:9.
  role "core" {}
  role "core" { # ERROR: Duplicate role
    hoist = true
  }
  moderation "spam" {
    keywords = { en = ["spam"] }
    action   = "flag"
  }
  moderation "spam" { # ERROR: Duplicate moderation
    keywords = { en = ["ads"] }
    action   = "flag"
  }
}

community "other" {
  title    = "Other"
  platform = platform.local.main
  # The same channel name in another community is fine.
  channel "general" {}
}

campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "wait" {
    wait = "1d"
  }
  step "wait" { # ERROR: A step named "wait" is already defined
    wait = "2d"
  }
  step "pick" {
    split {
      variant "a" {
        weight = 1
        goto   = "exit"
      }
      variant "a" { # ERROR: A variant named "a" is already defined
        weight = 1
        goto   = "exit"
      }
      variant "b" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}
