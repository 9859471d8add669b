# Stack Exchange's badges, reputation and privileges as hearth rules. The
# events come from `hearth import stackexchange`, which turns a Stack
# Exchange data dump into member events; see README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC" # Stack Exchange days are UTC days
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# There is no Stack Exchange adapter (the site's API is read-only for this);
# replayed dumps need no platform to talk to, and the local platform holds
# the community.
platform "local" "replay" {
  path      = ".hearth/local-platform.json"
  workspace = "Constructed Languages Meta"
}

community "conlang_meta" {
  title    = "Constructed Languages Meta"
  platform = platform.local.replay
  purpose  = "Discussion about the Constructed Languages Stack Exchange site itself"
  audience = "Users of conlang.stackexchange.com"
  capacity = 0
}
