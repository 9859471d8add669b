# conversion_from is entry or last_send, in a campaign with a conversion_window.

campaign "typo" {
  enter_on          = "member.joined"
  exit_when         = "member.messages > 0"
  conversion_window = "7d"
  conversion_from   = "last_message" # ERROR: Invalid value for conversion_from
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "no_window" {
  enter_on        = "member.joined"
  exit_when       = "member.messages > 0"
  conversion_from = "last_send" # ERROR: conversion_from without conversion_window
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
  conversion_from   = "last_send"
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
