campaign "onboarding" {
  description   = "Welcome people who join the workspace and get them to post once"
  community     = community.makers
  enter_on      = "member.joined"
  exit_when     = "member.messages > 0"
  frequency_cap = "2/24h"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "welcome" {
    send {
      channel  = "dm"
      template = template.welcome
    }
  }

  step "nudge" {
    wait = "72h"
    when = "member.messages == 0"
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

template "welcome" {
  text = {
    en = "Welcome to Open Hardware Makers, ${member.name}! Tell us what you build in #introductions."
  }
}

template "nudge" {
  text = {
    en = "Hi ${member.name}, anything we can help with? #help is a good place to start."
  }
}
