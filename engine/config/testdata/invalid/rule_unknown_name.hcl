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

# Terraform users write var.x in a rule; the value goes in by interpolation.
segment "e" {
  when = "member.points > var.threshold" # ERROR: Unknown name "var". A rule is an expression in a string, which hearth evaluates itself: HCL's var and local are not names in it. Interpolate the value into the string, filled in when the file is read: "member.points > ${var.threshold}" (a string value needs quotes in the rule: '${var.threshold}').
}

segment "f" {
  when = "member.messages >= local.min_posts" # ERROR: "member.messages >= ${local.min_posts}"
}
