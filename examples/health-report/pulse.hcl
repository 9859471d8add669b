# The monthly pulse: engaged members get it once a month; members who
# answer 0 to 6 hear from a moderator.

survey "pulse" {
  title       = "Makers Guild pulse"
  description = "Asked once a month of engaged members"

  question "recommend" {
    text = {
      en    = "How likely are you to recommend the guild to a friend?"
      zh-CN = "你有多大可能向朋友推荐本社区？"
    }
    score = true
  }

  question "more_of" {
    text = {
      en    = "What should we do more of?"
      zh-CN = "你希望我们多做些什么？"
    }
    choices = ["workshops", "showcases", "market"]
  }
}

template "pulse" {
  text = {
    en    = "Hi ${member.name}, two quick questions about the guild this month."
    zh-CN = "${member.name}，你好！关于本月的社区，有两个小问题。"
  }
}

template "sorry" {
  text = {
    en    = "Thanks for being honest, ${member.name}. A moderator will write to you this week: what would make the guild better for you?"
    zh-CN = "${member.name}，谢谢你的坦诚。本周会有版主联系你：怎样能让社区对你更好？"
  }
}

campaign "monthly_pulse" {
  description   = "Ask engaged members for their NPS once a month"
  audience      = segment.engaged
  exit_on_leave = false
  reentry       = "after"
  reentry_after = "30d"

  step "ask" {
    wait = "2d"
    send {
      channel  = "dm"
      template = template.pulse
      survey   = survey.pulse
    }
  }
}

campaign "detractor_followup" {
  description = "A moderator follows up on low scores"
  enter_on    = "feedback.submitted"
  enter_when  = "event.question == 'recommend' && event.score <= 6"
  reentry     = "always"

  step "reach_out" {
    send {
      channel  = "dm"
      template = template.sorry
    }
  }
}
