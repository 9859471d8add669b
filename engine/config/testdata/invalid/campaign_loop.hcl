# Steps that go round without waiting would run forever.

template "hi" {
  text = { en = "Hi" }
}

campaign "spin" {
  enter_on = "member.joined"
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "b" {
    goto = "a" # ERROR: steps a → b → a go round with no wait, at or wait_until
  }
}

campaign "self" {
  enter_on = "member.joined"
  step "again" {
    when = "member.messages == 0"
    goto = "again" # ERROR: Steps loop without waiting
  }
}

# A loop with a wait in it is a reminder, which is fine.
campaign "remind" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  step "nudge" {
    wait = "7d"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "back" {
    goto = "nudge"
  }
}
