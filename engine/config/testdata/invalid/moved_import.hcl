# moved and import blocks that cannot all be followed, and import
# targets with no block: each is refused at its line, as Terraform does,
# rather than found at plan time or followed one way in silence.

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  capacity = 150
  channel "general" {}
  channel "dev" {}
}

moved {
  from = community.c.channel.chat
  to   = community.c.channel.general
}

moved { # ERROR: moves community.c.channel.chat to community.c.channel.general, and this one moves it to community.c.channel.dev
  from = "community.c.channel.chat"
  to   = "community.c.channel.dev"
}

moved { # ERROR: moves community.c.channel.old there too
  from = community.c.channel.old
  to   = community.c.channel.general
}

moved { # ERROR: go round in a circle: community.c.channel.x → community.c.channel.y → community.c.channel.x
  from = community.c.channel.x
  to   = community.c.channel.y
}

moved {
  from = community.c.channel.y
  to   = community.c.channel.x
}

moved {
  from = community.c.channel["x"] # ERROR: Invalid address
  to   = community.c.channel.z
}

import {
  to = community.c.channel.genral # ERROR: There is no channel "genral" in community "c". Did you mean "general"?
  id = "ch-9"
}

import {
  to = "community.d" # ERROR: There is no community "d".
  id = "co-9"
}

# A sub-community of a community that splits has no block of its own.
import {
  to = community.c-2
  id = "co-2"
}
