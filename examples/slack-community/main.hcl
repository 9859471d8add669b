# A Slack workspace run with hearth: conversations and user groups as code,
# a tier ladder whose tiers are Slack user groups, and an onboarding
# campaign that sends direct messages. The bot token and the signing secret
# come from sensitive variables: set them as HEARTH_VAR_slack_bot_token and
# HEARTH_VAR_slack_signing_secret, never in these files.

hearth {
  required_version = ">= 0.1"
  timezone         = "Europe/Berlin"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

variable "slack_bot_token" {
  description = "The Slack app's bot token (xoxb-...)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "slack_signing_secret" {
  description = "The Slack app's signing secret, for the Events API."
  type        = string
  sensitive   = true
  default     = ""
}

variable "slack_team_id" {
  description = "The workspace's id (T...)."
  type        = string
  default     = "T0123ABCD"
}

variable "slack_api_url" {
  description = "Slack's Web API; tests point it at a fake."
  type        = string
  default     = "https://slack.com/api/"
}

variable "slack_events_listen" {
  description = "Where hearth run serves the Events API; the app's Request URL points here."
  type        = string
  default     = ":8790"
}

platform "slack" "makers" {
  token          = var.slack_bot_token
  signing_secret = var.slack_signing_secret
  team_id        = var.slack_team_id
  community      = "makers"
  api_url        = var.slack_api_url
  events_listen  = var.slack_events_listen
}

community "makers" {
  title           = "Open Hardware Makers"
  platform        = platform.slack.makers
  purpose         = "People who design, build and fix open hardware"
  audience        = "Hobbyists, students and engineers"
  house_rules     = <<-EOT
    1. Be kind; everyone was a beginner once.
    2. Share schematics and sources, not sales pitches.
    3. Ask in #help, answer when you can.
  EOT
  welcome_message = "Welcome to Open Hardware Makers! Introduce yourself in #introductions."

  channel "introductions" {
    topic           = "Say hi: what do you build?"
    purpose         = "Newcomers introduce themselves; the house rules are pinned here"
    pin_house_rules = true
  }
  channel "show-and-tell" {
    topic   = "Photos, schematics and write-ups of your builds"
    purpose = "Show what you built, finished or not"
  }
  channel "help" {
    topic = "Stuck? Ask here"
  }
  channel "maintainers" {
    topic   = "For core members"
    private = true
  }

  # Slack user groups; tiers put members in them.
  role "builders" {
    title = "Builders"
  }
  role "core" {
    title = "Core makers"
  }
}
