# What validate warns about in a campaign's steps that is no error: a
# step no run reaches, a wait_until that may wait for ever, and split
# weights that do not add up to 100.

campaign "onboarding" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "exit"
  }
  step "lost" { # WARNING: no run of campaign "onboarding" reaches step "lost", nor, through it, step "lost_too": step "hello" before it ends the run (goto = "exit")
    wait = "1d"
  }
  step "lost_too" {
    wait = "1d"
  }
}

# Steps reached by a branch, a variant, on_timeout or a goto are fine.
campaign "reached" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "first" {
    wait_until = "member.messages > 0"
    timeout    = "3d"
    on_timeout = "late"
    goto       = "exit"
  }
  step "late" {
    branch {
      when = "member.points > 10"
      goto = "points"
    }
    split { # WARNING: members split a 66.7%, b 33.3%
      variant "a" {
        weight = 60
        goto   = "va"
      }
      variant "b" {
        weight = 30
        goto   = "vb"
      }
    }
  }
  step "points" {
    wait = "1d"
    goto = "exit"
  }
  step "va" {
    wait = "1d"
    goto = "exit"
  }
  step "vb" {
    wait = "1d"
    goto = "forever"
  }
  step "forever" {
    wait_until = "member.messages > 0" # WARNING: wait_until without timeout
  }
}

# Weights that add up to 100, or are all the same, say the shares.
campaign "even" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "pick" {
    split {
      variant "a" {
        weight = 1
        goto   = "exit"
      }
      variant "b" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}

campaign "hundred" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "pick" {
    split {
      variant "a" {
        weight = 70
        goto   = "exit"
      }
      variant "b" {
        weight = 30
        goto   = "exit"
      }
    }
  }
}

template "hi" {
  text = { en = "Hi" }
}
