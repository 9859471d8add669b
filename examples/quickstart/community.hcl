# The quickstart: one community on hearth's built-in local platform, with
# the whole playbook — segments, a tier ladder, badges, incentives and an
# onboarding campaign. It needs no account and nothing installed.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Future Tech Explorers"
}

community "explorers" {
  title           = "Future Tech Explorers"
  platform        = platform.local.main
  purpose         = "Builders sharing what they make with new technology"
  audience        = "Makers, students and engineers"
  capacity        = 150
  on_capacity     = "split"
  house_rules     = <<-EOT
    1. Be kind and assume good intent.
    2. Share what you built, not ads.
    3. Help newcomers find their way.
  EOT
  welcome_message = "Welcome to Future Tech Explorers! Say hi in #welcome."

  channel "welcome" {
    topic           = "Say hi and tell us what you build"
    pin_house_rules = true
  }
  channel "showcase" {
    topic = "Show your projects"
  }
  channel "help" {
    topic = "Ask anything"
  }

  role "regular" {
    color = "#3498db"
  }
  role "core" {
    color = "#f1c40f"
    hoist = true
  }
}
