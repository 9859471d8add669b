# Rules are strings of the rule language: written as HCL expressions (a
# Terraform habit), they get one error that shows them quoted, not "no
# variable named member".

segment "active" {
  when = member.points > 5 # ERROR: put it in double quotes: when = "member.points > 5"
}

segment "lurkers" {
  when = !member.active # ERROR: Rule not in quotes
}

segment "new" {
  when = member.new # ERROR: when = "member.new"
}
