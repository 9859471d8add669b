# An A/B split needs two variants with some weight.

campaign "onboarding" {
  enter_on = "member.joined"
  step "one" {
    split { # ERROR: An A/B split needs at least two variant blocks.
      variant "a" {
        weight = 1
        goto   = "exit"
      }
    }
  }
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
  step "empty" {
    split { # ERROR: Split needs two variants
    }
  }
}
