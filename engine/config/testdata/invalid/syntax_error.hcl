# An HCL syntax error stops the file from being read further.

segment "lurkers" {
  when = "member.messages == 0"
  description "Never post" # ERROR: A block definition must have block content delimited by "{" and "}"
}
