# Empty rules.

segment "a" {
  when = "" # ERROR: The rule is empty.
}

segment "b" {
  when = "   " # ERROR: The rule is empty.
}

tier "c" {
  rank = 1
  when = "member.points > 1"
  keep = "" # ERROR: The rule is empty.
}
