# Each rung of the ladder has its own rank.

tier "regular" {
  rank = 1
  when = "member.points >= 100"
}

tier "core" {
  rank = 1 # ERROR: tier "regular" already has rank 1 (at duplicate_tier_rank.hcl:3)
  when = "member.points >= 1000"
}

tier "elder" {
  rank = 2
  when = "member.points >= 5000"
}

tier "legend" {
  rank = 2 # ERROR: Duplicate tier rank
  when = "member.points >= 10000"
}

tier "zero" {
  rank = 0 # ERROR: rank must be 1 or more
  when = "member.points >= 1"
}

tier "half" {
  rank = 2.5 # ERROR: rank must be a whole number; got 2.5.
  when = "member.points >= 1"
}
