# Pixel Garden, a Discord community of indie game developers, and how it
# tries to bring quiet members into the conversation. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"
  # However many campaigns a member is in, never more than two messages a day.
  frequency_cap = "2/24h"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# The community lives on Discord. The local platform stands in for it here,
# so the example runs with no bot; a platform "discord" block in its place
# runs it on the server (see the README).
platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Pixel Garden"
}

# The digest and last-call emails go out through the studio's SMTP relay
# (HEARTH_VAR_smtp_password; the empty default lets the example validate
# and simulate without it). Members' addresses are their email identity.
variable "smtp_password" {
  type      = string
  sensitive = true
  default   = ""
}

platform "email" "digest" {
  host     = "smtp.pixelgarden.example"
  port     = 587
  security = "starttls"
  username = "garden@pixelgarden.example"
  password = var.smtp_password
  from     = "Pixel Garden <garden@pixelgarden.example>"
  list_id  = "Pixel Garden digest <digest.pixelgarden.example>"
  reply_to = "mods@pixelgarden.example"
}

community "pixel_garden" {
  title           = "Pixel Garden"
  platform        = platform.local.main
  purpose         = "Indie game developers helping each other ship"
  audience        = "Hobbyist and professional indie developers, artists and composers"
  capacity        = 0
  house_rules     = <<-EOT
    1. Be kind, especially about unfinished work.
    2. Feedback is a gift: be specific, be honest, be nice.
    3. Self-promotion goes in #showcase.
  EOT
  welcome_message = "Welcome to Pixel Garden! Tell us what you are making in #introductions."

  channel "welcome" {
    topic           = "Start here"
    pin_house_rules = true
  }
  channel "introductions" {
    topic = "Who you are and what you are making"
  }
  channel "general" {
    topic = "Anything game development"
  }
  channel "help" {
    topic = "Stuck? Ask here: code, art, audio, design"
  }
  channel "showcase" {
    topic = "Screenshots, trailers, builds"
  }

  role "active" {
    title = "Active"
    color = "#2ecc71"
  }
  role "old_timer" {
    title = "Old-timer"
    color = "#8e44ad"
    hoist = true
  }
}
