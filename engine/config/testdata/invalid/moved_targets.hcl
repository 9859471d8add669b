# moved blocks whose addresses contradict the configuration: a to with
# no block would destroy and recreate the object, a from that still has
# its block would take its object from it. A chain's middle address has
# no block, and needs none.

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  channel "rules" {}
  channel "general" {}
  channel "help" {}
  role "mod" {}
}

moved {
  from = community.c.channel.old_rules
  to   = community.c.channel.rulez # ERROR: There is no channel "rulez" in community "c". Did you mean "rules"?
}

moved {
  from = community.c.role.moderator
  to   = "community.c.role.mods" # ERROR: Moved target not in the configuration
}

moved {
  from = community.d # ERROR: Moved object still declared
  to   = community.c
}

community "d" {
  title    = "D"
  platform = platform.local.main
}

moved {
  from = community.c.channel.help # ERROR: community.c.channel.help still has its block, at moved_targets.hcl:13
  to   = community.c.channel.rules
}

# A chain: chat to lounge, lounge to general. Only the last to needs a
# block.
moved {
  from = community.c.channel.chat
  to   = community.c.channel.lounge
}

moved {
  from = community.c.channel.lounge
  to   = community.c.channel.general
}
