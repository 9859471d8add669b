# expire_after is a duration of at least a minute, or "never".

campaign "zero" {
  enter_on     = "member.joined"
  expire_after = "0s" # ERROR: expire_after must be at least 1m
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "short" {
  enter_on     = "member.joined"
  expire_after = "30s" # ERROR: Invalid expire_after
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "typo" {
  enter_on     = "member.joined"
  expire_after = "2 days" # ERROR: Invalid duration
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "number" {
  enter_on     = "member.joined"
  expire_after = "nevr" # ERROR: Invalid duration
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "fine" {
  enter_on     = "member.joined"
  expire_after = "never"
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

template "hi" {
  text = { en = "Hi" }
}
