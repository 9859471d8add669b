# Settings, inputs and platforms.

hearth {
  required_version = ">= 0.2, < 1.0"
  timezone         = "Europe/Berlin"
  default_locale   = "en"
  frequency_cap    = "3/24h"
  ignore_changes   = ["community.*.channel.*.position"]

  state {
    backend            = "postgres"
    url                = var.database_url
    event_id_retention = "90d"
    outcome_retention  = "400d"
    outbox_retention   = "30d"
  }
}

variable "database_url" {
  type        = string
  description = "PostgreSQL URL with the password"
  sensitive   = true
}

variable "chat_token" {
  type      = string
  sensitive = true
}

variable "capacity" {
  type        = number
  description = "Members before a split"
  default     = 150
  nullable    = false

  validation {
    condition     = var.capacity >= 10
    error_message = "Communities smaller than 10 split too often."
  }
  validation {
    condition     = var.capacity <= 5000
    error_message = "Too large to stay personal."
  }
}

variable "support_channel" {
  type    = string
  default = "help"
}

variable "point_values" {
  type = object({
    post     = number
    referral = optional(number, 50)
  })
  default = { post = 1 }
}

locals {
  # Locals may be declared in any order.
  welcome_text = "Welcome to ${local.title}! Ask anything in #${var.support_channel}."
  title        = upper(local.short_title)
  short_title  = "Explorers"
  grace_days   = duration("14d") / duration("1d")
}

platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Future Tech Explorers"
}

platform "chat" "announce" {
  token   = var.chat_token
  server  = "explorers"
  shards  = 2
  intents = ["messages", "members"]
}

platform "discourse" "forum" {
  url = "https://forum.example.org"
}
