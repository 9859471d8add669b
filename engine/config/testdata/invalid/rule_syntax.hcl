# Syntax errors in rules point into the rule.

segment "a" {
  when = "member.points >" # ERROR: The rule ends too early
}

segment "b" {
  when = "member.points = 100" # ERROR: compare with ==
}

segment "c" {
  when = "(member.points > 1" # ERROR: Invalid rule
}

segment "d" {
  when = "member.points > 1)" # ERROR: Unexpected ")" here.
}

segment "e" {
  when = "member.name == 'abc" # ERROR: A quoted string in the rule is not closed.
}

segment "f" {
  when = "member.points >= '100'" # ERROR: mismatched types int and string
}
