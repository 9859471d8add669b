# Sensitive values may only go into secret settings, never into text
# people see.

variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2"
}

locals {
  greeting = "Welcome, the password is ${var.secret}"
}

platform "local" "main" {
  path      = var.secret
  workspace = var.secret # ERROR: Sensitive value would be shown
}

community "explorers" {
  title    = var.secret # ERROR: community "explorers".title is shown to people
  platform = platform.local.main
  purpose  = local.greeting # ERROR: Sensitive value would be shown
}

segment "s" {
  description = upper(var.secret) # ERROR: Sensitive value would be shown
  when        = "true"
}

template "welcome" {
  text = {
    en = "Hi ${member.name}, ${var.secret}" # ERROR: var.secret is sensitive and cannot be put in a message.
    de = local.greeting # ERROR: This text is computed from a sensitive variable
  }
}
