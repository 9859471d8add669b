# A community that watches its own health: who joins and stays, how
# members move up the ladder, whether referrals grow it, how the points
# economy runs, what members are worth, and what they say when asked.
# `hearth report` prints all of it from the state store.

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
  workspace = "Makers Guild"
}

community "guild" {
  title    = "Makers Guild"
  platform = platform.local.main
  purpose  = "Makers who build, sell and teach"

  channel "general" {
    topic = "Say hi, show what you made"
  }
  channel "market" {
    topic = "Kits and tools for sale"
  }
}

# A reward redeemed in the shop: points are spent.
event "reward.redeemed" {
  description = "A member exchanged points for a reward"
  attributes = {
    reward = "string"
    cost   = "int"
  }
}
