# Missing required attributes are reported at the block's brace.

platform "local" "main" {}

community "explorers" { # ERROR: The argument "title" is required # ERROR: The argument "platform" is required
  moderation "spam" { # ERROR: No action and no ladder
    keywords = { en = ["spam"] }
  }
}

segment "lurkers" { # ERROR: The argument "when" is required
  description = "Never post"
}

tier "regular" { # ERROR: The argument "rank" is required
  when = "member.points > 1"
}

incentive "posting" { # ERROR: The argument "on" is required
  grant {
    points = 1
  }
}

template "hi" { # ERROR: The argument "text" is required
  description = "Greeting"
}

campaign "onboarding" {
  enter_on = "member.joined"
  quiet_hours { # ERROR: The argument "to" is required
    from = "22:00"
  }
  step "hello" {
    send { # ERROR: Nothing to send
      channel = "dm"
    }
  }
  step "branchy" {
    branch { # ERROR: The argument "goto" is required
      when = "true"
    }
  }
}

variable "port" {
  default = 8080
  validation { # ERROR: The argument "error_message" is required
    condition = var.port > 0
  }
}
