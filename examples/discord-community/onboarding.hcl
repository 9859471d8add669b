# New members get a DM from the bot, and a nudge three days later if they
# have not said hello yet.

campaign "onboarding" {
  description   = "Welcome newcomers and get them to introduce themselves"
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
    en = "Welcome to the Makers Guild, ${member.name}! Tell us what you are building in #introductions."
  }
}

template "nudge" {
  text = {
    en = "What are you working on, ${member.name}? A line in #introductions is enough, and #help is there when you are stuck."
  }
}
