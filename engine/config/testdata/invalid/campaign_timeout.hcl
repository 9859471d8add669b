# timeout limits a wait_until; on_timeout needs a timeout.

campaign "onboarding" {
  enter_on = "member.joined"
  step "a" {
    wait    = "1d"
    timeout = "3d" # ERROR: timeout limits a wait_until; add one or remove timeout.
  }
  step "b" {
    wait_until = "member.messages > 0" # WARNING: wait_until without timeout
    on_timeout = "exit" # ERROR: on_timeout without timeout
  }
  step "c" {
    wait       = "1d"
    timeout    = "3d" # ERROR: timeout without wait_until
    on_timeout = "a"
  }
}

# A time of day inside the quiet hours (both in the member's zone) never
# sends then; a step without a send, or quiet hours in a zone of their
# own, are left alone.
campaign "late" {
  enter_on = "member.joined"
  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }
  step "night" {
    at = "23:30" # WARNING: always waits until 08:00
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "early" {
    at = "07:59" # WARNING: Time of day in quiet hours
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "morning" {
    at = "08:00"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "check" {
    at         = "23:00"
    wait_until = "member.messages > 0" # WARNING: wait_until without timeout
  }
}

campaign "elsewhere" {
  enter_on = "member.joined"
  quiet_hours {
    from     = "22:00"
    to       = "08:00"
    timezone = "Asia/Tokyo"
  }
  step "night" {
    at = "23:30"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

template "hi" {
  text = { en = "Hi" }
}
