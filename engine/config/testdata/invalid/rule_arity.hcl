# Rule functions take a fixed number of arguments.

segment "a" {
  when = "count('message.posted') > 1" # ERROR: count takes 2 argument(s), got 1.
}

segment "b" {
  when = "active_days() > 1" # ERROR: active_days takes 1 argument(s), got 0.
}

segment "c" {
  when = "tier_rank('core') > 1" # ERROR: Use tier_rank() int, for example tier_rank() >= 2.
}

segment "d" {
  when = "in_segment('a', 'b')" # ERROR: in_segment takes 1 argument(s), got 2.
}
