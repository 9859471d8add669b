# Welcome newcomers by WeCom direct message, nudge the quiet ones, and tell
# the group when someone shares their first build.

segment "newcomers" {
  community   = community.makers
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "quiet_newcomers" {
  community   = community.makers
  description = "Here a week or more and have not posted"
  when        = "member.days_since_joined >= 7 && member.messages == 0"
}

# The bridge posts project.shared when a member shares a build in the
# group (a link to a repository, photos of a board).
event "project.shared" {
  description = "A member shared a project they built."
  activity    = true
  attributes = {
    title = "string"
    url   = "string"
  }
}

badge "first_build" {
  title       = "首个作品"
  description = "Shared a first build in the community"
}

incentive "first_build" {
  description = "The first project shared earns a badge and points"
  on          = "project.shared"
  once        = true
  grant {
    points = 20
    badge  = badge.first_build
  }
}

campaign "welcome" {
  description = "Greet a newcomer, then nudge them towards a first post"
  community   = community.makers
  enter_on    = "member.joined"
  exit_when   = "member.messages > 0"

  quiet_hours {
    from = "22:00"
    to   = "08:30"
  }

  step "hello" {
    send {
      channel  = "dm"
      template = template.welcome
    }
  }

  step "nudge" {
    wait = "72h"
    at   = "10:00"
    when = "member.messages == 0"
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

campaign "first_build" {
  description = "Celebrate a member's first shared build in the group"
  community   = community.makers
  enter_on    = "project.shared"

  step "announce" {
    send {
      channel  = "channel"
      target   = community.makers.channel.announcements
      template = template.first_build
    }
  }
}

template "welcome" {
  description = "Direct message right after joining"
  text = {
    zh-CN = "${member.name}，欢迎加入深圳创客社区！🎉 在群里说说你在做什么项目吧，每周五晚上还有线下分享会。"
    en    = "Welcome to Shenzhen Makers, ${member.name}! Tell the group what you are building; there is a meetup every Friday evening."
  }
}

template "nudge" {
  description = "Three days later, if they have not posted"
  text = {
    zh-CN = "${member.name}，最近在忙什么项目？遇到问题随时在群里提问，大家都很乐意帮忙。"
    en    = "What are you working on, ${member.name}? Ask in the group whenever you are stuck; people are glad to help."
  }
}

template "first_build" {
  description = "Markdown for the group robot when someone shares a first build"
  text = {
    zh-CN = "**新作品** 🛠️ ${member.name} 分享了第一个作品，快去看看并给点反馈吧！"
    en    = "**New build** 🛠️ ${member.name} shared their first project. Take a look and leave some feedback!"
  }
}
