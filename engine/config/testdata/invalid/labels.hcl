# Blocks take a fixed number of labels.

platform "local" { # ERROR: Missing name for platform
}

segment { # ERROR: All segment blocks must have 1 labels (name).
  when = "true"
}

segment "a" "b" { # ERROR: Extraneous label for segment
  when = "true"
}

hearth "main" { # ERROR: No labels are expected for hearth blocks.
}

locals "x" { # ERROR: Extraneous label for locals
}

incentive "posting" {
  on = "message.posted"
  grant "points" { # ERROR: No labels are expected for grant blocks.
    points = 1
  }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step { # ERROR: Missing name for step
    wait = "1d"
  }
  step "ok" {
    wait = "1d"
  }
}
