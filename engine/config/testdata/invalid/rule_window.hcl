# Windows are quoted literals in whole days, at most 400 of them.

variable "days" {
  default = "30d"
}

segment "a" {
  when = "count('message.posted', member.name) > 1" # ERROR: The argument of count must be a quoted literal.
}

segment "b" {
  when = "active_days('12h') > 1" # ERROR: Invalid window "12h": windows are counted in whole days.
}

segment "c" {
  when = "points_in('36h') > 1" # ERROR: windows are counted in whole days
}

segment "d" {
  when = "active_days('500d') > 1" # ERROR: Window "500d" is longer than the 400 days
}

segment "e" {
  when = "active_days('30x') > 1" # ERROR: Invalid window: "30x": unknown unit "x"
}

segment "f" {
  when = "active_days('0d') > 1" # ERROR: Invalid window "0d"
}

# An HCL interpolation makes the window literal before the rule is
# compiled, so this is fine.
segment "g" {
  when = "active_days('${var.days}') > 1"
}
