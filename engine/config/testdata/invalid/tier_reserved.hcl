# "none" stands for members on no tier, as in the metric
# hearth_tier_members{tier="none"}.

tier "none" { # ERROR: Reserved tier name
  rank = 1
  when = "member.points >= 100"
}

tier "None" {
  rank = 2
  when = "member.points >= 1000"
}
