# The env, file and duration functions of HCL expressions.

platform "local" "main" {}

community "explorers" {
  title       = env("HEARTH_TEST_UNSET") # ERROR: environment variable "HEARTH_TEST_UNSET" is not set; give a default
  platform    = platform.local.main
  house_rules = file("missing-rules.md") # ERROR: cannot read missing-rules.md
  purpose     = file(".") # ERROR: not a regular file
  audience    = env("HEARTH_TEST_UNSET", "everyone")
}

tier "core" {
  rank  = 1
  when  = "member.points > ${duration("1x")}" # ERROR: unknown unit "x"
  grace = "${duration("14d") / 86400}d"
}

segment "s" {
  when = "member.points > ${nosuch(1)}" # ERROR: There is no function named "nosuch".
}
