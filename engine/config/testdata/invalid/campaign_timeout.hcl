# timeout limits a wait_until; on_timeout needs a timeout.

campaign "onboarding" {
  enter_on = "member.joined"
  step "a" {
    wait    = "1d"
    timeout = "3d" # ERROR: timeout limits a wait_until; add one or remove timeout.
  }
  step "b" {
    wait_until = "member.messages > 0"
    on_timeout = "exit" # ERROR: on_timeout without timeout
  }
  step "c" {
    wait       = "1d"
    timeout    = "3d" # ERROR: timeout without wait_until
    on_timeout = "a"
  }
}
