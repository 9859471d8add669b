# A maker community on a Discord server: categories, channels and roles
# managed by hearth, tiers that hand out Discord roles, points for taking
# part (messages and a /checkin slash command), and an onboarding
# campaign in DMs. See README.md for setting up the bot.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# The bot token. Give it with HEARTH_VAR_discord_token; it never shows in
# plans, logs or errors. Empty here so the example validates anywhere;
# plan refuses to run without it.
variable "discord_token" {
  type      = string
  sensitive = true
  default   = ""
}

variable "guild_id" {
  type        = string
  description = "The Discord server's id (Developer Mode, right-click the server, Copy Server ID)."
  default     = "1100000000000000001"
}

variable "discord_public_key" {
  type        = string
  description = "The application's public key, for the interactions endpoint."
  default     = ""
}

# Only tests change this: they point hearth at an in-process fake Discord.
variable "discord_api_url" {
  type    = string
  default = "https://discord.com/api/v10"
}

platform "discord" "main" {
  token      = var.discord_token
  public_key = var.discord_public_key
  guilds     = [var.guild_id]
  api_url    = var.discord_api_url
  # Joins, leaves, messages and reactions as they happen, besides polling.
  gateway = true
}

# Bots cannot create servers: the server is made in Discord and adopted.
import {
  to = "community.makers"
  id = var.guild_id
}

community "makers" {
  title           = "Makers Guild"
  platform        = platform.discord.main
  purpose         = "People who build hardware and software share progress and help each other"
  audience        = "Hobbyists, students and professional engineers"
  capacity        = 0
  house_rules     = <<-EOT
    1. Be kind; critique the work, not the person.
    2. Show your own projects; no ads or affiliate links.
    3. Ask in #help with what you tried and what happened.
  EOT
  welcome_message = "Welcome to the Makers Guild! Say hello in #introductions."

  channel "rules" {
    category        = "Start here"
    topic           = "Read me first"
    pin_house_rules = true
  }
  channel "introductions" {
    category = "Start here"
    topic    = "Who you are and what you make"
  }
  channel "showcase" {
    category = "Build"
    topic    = "Finished (or half-finished) projects"
  }
  channel "help" {
    category = "Build"
    topic    = "Stuck? Post what you tried"
  }
  channel "mentors" {
    category = "Team"
    topic    = "Mentors and moderators"
    private  = true
  }

  role "builder" {
    title = "Builder"
    color = "#2ecc71"
  }
  role "mentor" {
    title       = "Mentor"
    color       = "#f1c40f"
    hoist       = true
    mentionable = true
    permissions = ["manage_messages", "manage_threads"]
  }
  role "moderator" {
    title       = "Moderator"
    color       = "#e74c3c"
    hoist       = true
    permissions = ["kick_members", "manage_messages", "moderate_members", "view_audit_log"]
  }

  moderation "no_invites" {
    on       = "message.posted"
    patterns = ["discord\\.gg/"]
    action   = "remove"
    reason   = "Invite links to other servers are removed"
  }
}
