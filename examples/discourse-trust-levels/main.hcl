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

# The local platform stands in for the forum so the example can be validated
# and tried anywhere; a platform "discourse" block in its place runs it on a
# forum (see the README), without pin_house_rules: Discourse pins are not
# managed, and validate refuses it there.
platform "local" "forum" {
  path      = ".hearth/local-platform.json"
  workspace = "Rivet Community Forum"
}

community "rivet" {
  title       = "Rivet Community Forum"
  platform    = platform.local.forum
  purpose     = "Help, ideas and show-and-tell for Rivet, an open-source static site generator"
  audience    = "People who build sites with Rivet, and the people who build Rivet"
  capacity    = 0
  house_rules = <<-EOT
    1. Be kind; assume the other person means well.
    2. Search before you ask, and mark the answer that solved it.
    3. Flag spam and abuse instead of replying to it.
  EOT

  channel "general" {
    topic           = "Questions, answers and everything Rivet"
    pin_house_rules = true
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
  # discourse platform.
  role "tl1_basic" {
    title = "Basic"
  }
  role "tl2_members" {
    title = "Member"
  }
  role "tl3_regulars" {
    title = "Regular"
    color = "#27ae60"
  }
  role "tl4_leaders" {
    title = "Leader"
    color = "#e67e22"
    hoist = true
  }
}
