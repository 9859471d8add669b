campaign "onboarding" {
  description   = "Welcome newcomers and get them to post once"
  community     = community.explorers
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
    en    = "Welcome, ${member.name}! Tell us what you are building in #welcome."
    zh-CN = "欢迎，${member.name}！来 #welcome 说说你在做什么吧。"
  }
}

template "nudge" {
  text = {
    en    = "Anything we can help with, ${member.name}? #help is a good place to start."
    zh-CN = "${member.name}，有什么需要帮忙的吗？可以先去 #help 看看。"
  }
}
