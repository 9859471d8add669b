# Attributes of a nested block written in its parent.

incentive "posting" { # ERROR: Missing grant block
  on     = "message.posted"
  points = 1 # ERROR: points is set inside the grant block
}

hearth {
  backend = "memory" # ERROR: backend is set inside the state block
}

template "hi" {
  text = { en = "Hi" }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "welcome" { # ERROR: Step does nothing
    template = template.hi # ERROR: template is set inside the send block
  }
}
