# References to things that are not blocks, and expressions.

variable "p" {
  default = "main"
}

locals {
  seg = "active"
}

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = var.p # ERROR: it cannot come from a variable or a local value.
}

segment "active" {
  community = comunity.explorers # ERROR: Did you mean "community"?
  when      = "true"
}

campaign "onboarding" {
  audience = local.seg # ERROR: "local.seg" does not name a block. A reference names a block directly
  step "wait" {
    wait = "1d"
  }
}

campaign "again" {
  audience = upper("segment.active") # ERROR: audience must be a reference such as segment.NAME, not an expression.
  step "wait" {
    wait = "1d"
  }
}

campaign "third" {
  audience = segment.active[0] # ERROR: audience must be a reference such as segment.NAME.
  step "wait" {
    wait = "1d"
  }
}
