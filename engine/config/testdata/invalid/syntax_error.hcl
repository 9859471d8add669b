# An HCL syntax error is the only problem reported in its file until it parses.

segment "lurkers" {
  when = "member.messages == 0"
  description "Never post" # ERROR: A block definition must have block content delimited by "{" and "}"
}
