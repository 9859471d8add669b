# conversion_window is a duration longer than zero, in a campaign with a goal.

campaign "typo" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "7 days" # ERROR: Invalid duration
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "zero" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "0s" # ERROR: conversion_window must be longer than zero
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "no_goal" {
  enter_on          = "member.joined"
  conversion_window = "7d" # ERROR: conversion_window without a goal
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "fine" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "7d"
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
