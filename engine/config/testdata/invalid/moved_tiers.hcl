# moved blocks that rename tiers: the members stored on the old name stay
# on the tier. The address is written unquoted (tier.regular) or quoted;
# the to tier must be in the files, the from tier must not; a tier moves
# to a tier only; an address of a kind moved does not take is refused as
# an address, not as an unknown variable.

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}

tier "contributor" {
  rank = 1
  when = "member.points >= 10"
}

tier "core" {
  rank = 2
  when = "member.points >= 100"
}

moved {
  from = tier.regular
  to   = tier.contributor
}

moved {
  from = "tier.elder"
  to   = tier.cor # ERROR: There is no tier "cor". Did you mean "core"?
}

moved {
  from = tier.core # ERROR: Tier "core" is still declared
  to   = tier.contributor2
}

moved { # ERROR: Moved to another kind
  from = tier.old
  to   = community.c
}

moved {
  from = segment.lurkers # ERROR: "segment.lurkers" is not an address a moved block takes
  to   = segment.quiet
}
