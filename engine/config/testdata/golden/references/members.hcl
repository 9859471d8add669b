segment "regulars" {
  community = community.explorer
  when      = "in_segment('veterans')"
  role      = community.explorers.role.cor
}

segment "veterans" {
  when = "in_segment('regulars')"
}

tier "core" {
  rank = 1
  when = "true"
  role = community.explorers.channel.core
}
