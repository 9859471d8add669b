# Values of the wrong type.

platform "local" "main" {}

community "explorers" {
  title    = ["Explorers"] # ERROR: title must be a string; got tuple.
  platform = platform.local.main
  role "core" {
    hoist       = "maybe" # ERROR: hoist must be a bool; got string.
    permissions = "all" # ERROR: permissions must be a list of string; got string.
  }
}

tier "core" {
  rank     = "first" # ERROR: rank must be a number; got string.
  when     = ["member.points > 1"] # ERROR: when must be a string; got tuple.
  benefits = { role = "core" } # ERROR: benefits must be a list of string; got object.
}

segment "s" {
  when        = "true"
  description = null
}
