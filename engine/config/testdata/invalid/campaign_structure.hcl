# Campaigns need an entry and steps; steps must do something.

campaign "nothing" { # ERROR: campaign "nothing" enrolls nobody: set enter_on (an event type) or audience (a segment). # ERROR: campaign "nothing" needs at least one step block.
  description = "Does nothing"
}

campaign "onboarding" {
  enter_when    = "event.referrer != ''" # ERROR: enter_when checks the entering event, so it needs enter_on.
  audience      = segment.newcomers
  reentry       = "after" # ERROR: reentry = "after" needs reentry_after
  step "idle" { # ERROR: step "idle" has no wait, wait_until, until, at, send, branch, split or goto.
    when = "true"
  }
  step "exit" { # ERROR: "exit" means the end of the campaign
    wait = "1d"
  }
}

campaign "again" {
  enter_on      = "member.joined"
  reentry_after = "30d" # ERROR: Set reentry = "after" for reentry_after to apply.
  step "s" {
    wait = "1d"
  }
}

segment "newcomers" {
  when = "member.days_since_joined < 14"
}

# exit_on_leave is about the audience segment: without one it does nothing.
campaign "no_audience" {
  enter_on      = "member.joined"
  exit_on_leave = true # WARNING: exit_on_leave without audience
  step "hello" {
    wait = "1d"
  }
}
