# Discourse's trust levels as a hearth tier ladder, with Discourse's own
# default thresholds. See README.md for the sources and for what had to be
# approximated.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# The forum's admin API key. Give it with HEARTH_VAR_discourse_api_key;
# it never shows in plans, logs or errors. Empty here so the example
# validates anywhere; plan refuses to run without it.
variable "discourse_api_key" {
  type      = string
  sensitive = true
  default   = ""
}

variable "discourse_url" {
  type        = string
  description = "The forum's address."
  default     = "https://forum.rivet.example"
}

# The forum holds the one community below. Tiers set members' real trust
# levels on it (the discourse block of each tier in trust_levels.hcl).
platform "discourse" "forum" {
  url       = var.discourse_url
  api_key   = var.discourse_api_key
  community = "rivet"
}

community "rivet" {
  title       = "Rivet Community Forum"
  platform    = platform.discourse.forum
  purpose     = "Help, ideas and show-and-tell for Rivet, an open-source static site generator"
  audience    = "People who build sites with Rivet, and the people who build Rivet"
  capacity    = 0
  house_rules = <<-EOT
    1. Be kind; assume the other person means well.
    2. Search before you ask, and mark the answer that solved it.
    3. Flag spam and abuse instead of replying to it.
  EOT

  # hearth does not manage pinned topics on Discourse, so the house
  # rules are not pinned (pin_house_rules is refused there).
  channel "general" {
    topic = "Questions, answers and everything Rivet"
  }
  channel "site-feedback" {
    topic = "Discussion about this forum, its organisation and how it works"
  }
  channel "lounge" {
    topic   = "For trust level 3 and 4 members: a quiet room to talk about the community"
    private = true
  }

  # A group per level, beside Discourse's automatic groups trust_level_1
  # ... trust_level_4: Discourse makes those itself and refuses a new
  # group of their names, so validate refuses roles named so on a
  # discourse platform. Discourse groups have no color.
  role "tl1_basic" {
    title = "Basic"
  }
  role "tl2_members" {
    title = "Member"
  }
  role "tl3_regulars" {
    title = "Regular"
  }
  role "tl4_leaders" {
    title = "Leader"
  }
}
