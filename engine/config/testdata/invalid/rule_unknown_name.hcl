# Names a rule cannot read, and unknown functions.

segment "a" {
  when = "memer.points > 1" # ERROR: Unknown name "memer". Did you mean "member"?
}

segment "b" {
  when = "counts('message.posted', '30d') > 1" # ERROR: Did you mean "count"?
}

segment "c" {
  when = "points > 1" # ERROR: Unknown name "points".
}

segment "d" {
  when = "karma(member.id) > 1" # ERROR: Unknown name "karma"
}
