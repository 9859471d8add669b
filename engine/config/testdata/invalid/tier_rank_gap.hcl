# Discourse's trust levels with level 2 deleted: rank 2 is gone, and the
# rules that compared with it still compile.

platform "local" "main" {}

community "forum" {
  platform = platform.local.main
  title    = "Forum"
}

tier "basic" {
  rank = 1
  when = "total('message.posted') >= 5"
}

tier "regular" {
  rank = 3 # WARNING: the tiers' ranks are 1, 3, 4: no tier has rank 2.
  when = "tier_rank() >= 2 && count('message.posted', '30d') >= 10" # WARNING: Tier is never reached by promotion
}

tier "leader" {
  rank = 4
  when = "false"
}

segment "trusted" {
  when = "tier_rank() >= 2" # WARNING: No tier has this rank
}

segment "staff" {
  when = "member.tier_rank == 5" # WARNING: Rank comparison never holds
}

segment "regulars" {
  when = "tier_rank() >= rank_of('regular')"
}
