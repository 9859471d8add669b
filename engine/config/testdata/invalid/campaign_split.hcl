# An A/B split needs two variants with some weight, and a campaign has one.

campaign "one" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "one" {
    split { # ERROR: An A/B split needs at least two variant blocks.
      variant "a" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}

campaign "zero" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "zero" {
    split { # ERROR: Split weights are all zero
      variant "a" {
        weight = 0
        goto   = "exit"
      }
      variant "b" {
        weight = 0
        goto   = "exit"
      }
    }
  }
}

campaign "negative" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "negative" {
    split {
      variant "a" {
        weight = -1 # ERROR: weight must be 0 or more.
        goto   = "exit"
      }
      variant "b" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}

campaign "empty" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "empty" {
    split { # ERROR: Split needs two variants
    }
  }
}

# The run keeps the variant of the first split; a second one would find
# it among none of its arms.
campaign "twice" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "first" {
    split {
      variant "a" {
        weight = 1
        goto   = "second"
      }
      variant "b" {
        weight = 1
        goto   = "second"
      }
    }
  }
  step "second" {
    split { # ERROR: already splits members at step "first"
      variant "c" {
        weight = 1
        goto   = "exit"
      }
      variant "d" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}

# Without a goal, no variant can do better than another.
campaign "no_goal" {
  enter_on = "member.joined"
  step "pick" {
    split { # WARNING: A/B split without a goal
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

# control names the variant the others are compared with: one of them.
campaign "control_typo" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "pick" {
    split {
      control = "holdot" # ERROR: has no variant "holdot" to compare the others with. Did you mean "holdout"?
      variant "holdout" {
        weight = 1
        goto   = "exit"
      }
      variant "nudge" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}
