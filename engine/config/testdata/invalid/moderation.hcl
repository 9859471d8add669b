# Moderation rules.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  moderation "mute" { # ERROR: A mute needs duration = "1h"
    keywords = { en = ["spam"] }
    action   = "mute"
  }
  moderation "nothing" { # ERROR: Give keywords, patterns, links, mentions, rate or a when rule. A rule on other events than messages, such as on = ["member.joined"], needs none
    action = "flag"
  }
  # On joins, no check and no when: each join matches.
  moderation "restrict_new" {
    on       = ["member.joined"]
    action   = "mute"
    duration = "1h"
  }
  moderation "edits" { # ERROR: Give keywords, patterns, links, mentions, rate or a when rule.
    on     = ["member.joined", "message.posted"]
    action = "flag"
  }
  moderation "regex" {
    patterns = ["ok", "(unclosed", "[a-"] # ERROR: "(unclosed" is not a valid regular expression # ERROR: "[a-" is not a valid regular expression
    action   = "remove"
  }
  moderation "words" {
    keywords = ["spam"] # ERROR: keywords must be a map of list of string
    action   = "warn"
  }
  moderation "short" {
    keywords = { en = ["spam"] }
    action   = "mute"
    duration = "forever" # ERROR: duration: "forever"
  }
}
