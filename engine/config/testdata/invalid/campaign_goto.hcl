# goto, branch, variant and on_timeout name steps of the same campaign.

campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "welcome" {
    wait = "1h"
    goto = "nudge" # ERROR: campaign "onboarding" has no step "nudge". Did you mean "nudge2"?
  }
  step "nudge2" {
    wait = "3d"
    branch {
      when = "member.messages > 0"
      goto = "done" # ERROR: has no step "done". Did you mean "dome"? Use "exit" to end the campaign.
    }
  }
  step "dome" {
    wait_until = "member.messages > 0"
    timeout    = "7d"
    on_timeout = "giveup" # ERROR: has no step "giveup"
  }
  step "pick" {
    split {
      variant "a" {
        weight = 1
        goto   = "welcome"
      }
      variant "b" {
        weight = 1
        goto   = "Welcome" # ERROR: Did you mean "welcome"?
      }
    }
  }
}

campaign "other" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "only" {
    wait = "1d"
    goto = "welcome" # ERROR: campaign "other" has no step "welcome".
  }
}
