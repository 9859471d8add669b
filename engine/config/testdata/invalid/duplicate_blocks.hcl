# Names are unique within their kind.

segment "active" {
  when = "true"
}

segment "active" { # ERROR: A segment named "active" is already defined at duplicate_blocks.hcl:3.
  when = "false"
}

badge "helper" {}
badge "helper" {} # ERROR: Duplicate badge

template "hi" {
  text = { en = "Hi" }
}

template "hi" { # ERROR: A template named "hi" is already defined
  text = { en = "Hello" }
}

# The same name in different kinds is fine.
tier "active" {
  rank = 1
  when = "true"
}

incentive "active" {
  on = "message.posted"
  grant {
    badge = badge.helper
  }
}

incentive "active" { # ERROR: An incentive named "active" is already defined
  on = "message.posted"
  grant {
    points = 1
  }
}

variable "x" {
  default = 1
}

variable "x" { # ERROR: A variable named "x" is already defined
  default = 2
}

platform "local" "main" {}
platform "local" "main" {} # ERROR: A platform named "local.main" is already defined
