template "welcome" {
  text = {
    de = "Hallo ${member.nmae}"
  }
}

campaign "onboarding" {
  enter_on = ["member.joined", "member.join"]
  reentry  = "after"

  quiet_hours {
    from = "22:00"
    to   = "8am"
  }

  step "welcome" {
    send {
      channel  = "dm"
      template = template.welcome
    }
    goto = "nudge"
  }

  step "nudge" {
    timeout = "3d"
    split {
      variant "a" {
        weight = 1
        goto   = "welcom"
      }
    }
  }
}
