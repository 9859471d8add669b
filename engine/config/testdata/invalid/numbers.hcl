# Whole numbers where counts are meant.

platform "local" "main" {}

community "a" {
  title    = "A"
  platform = platform.local.main
  capacity = 1 # ERROR: A capacity below 2 would split on every member.
  channel "x" {
    position = "first" # ERROR: position must be a number; got string.
  }
}

community "b" {
  title    = "B"
  platform = platform.local.main
  capacity = -5 # ERROR: capacity must be 0 (no limit) or more.
}

community "c" {
  title    = "C"
  platform = platform.local.main
  capacity = 1e12 # ERROR: capacity is out of range.
}

incentive "d" {
  on = "message.posted"
  grant {
    points = 1.5 # ERROR: points must be a whole number; got 1.5.
  }
}
