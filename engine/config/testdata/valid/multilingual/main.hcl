# A community whose default locale is Chinese, with custom events read
# by several rules, and an incentive on two event types that reads only
# what both have.

hearth {
  timezone       = "Asia/Shanghai"
  default_locale = "zh-CN"
  state {
    backend = "memory"
  }
}

platform "local" "main" {}

community "makers" {
  title     = "创客"
  platform  = platform.local.main
  capacity  = 150
  sub_title = "{title}{n}群" # 创客2群 ...
  # The block name is the channel's address; title its name on the
  # platform.
  channel "general" {
    title = "综合讨论"
  }
  channel "help" {}
  moderation "ads" {
    keywords = { zh-CN = ["广告", "加微信"], en = ["ads"] }
    action   = "remove"
  }
}

event "workshop.attended" {
  attributes = {
    topic   = "string"
    minutes = "int"
  }
}

event "workshop.hosted" {
  activity = true
  attributes = {
    topic     = "string"
    attendees = "int"
  }
}

incentive "workshops" {
  on   = ["workshop.attended", "workshop.hosted"]
  when = "event.topic != '' && streak('workshop.attended') >= 0"
  grant {
    points = 5
  }
}

segment "hosts" {
  when = "total('workshop.hosted') >= 3"
}

template "hello" {
  text = {
    zh-CN = "你好，${member.name}！"
    en    = "Hello, ${member.name}!"
  }
  subject = {
    zh-CN = "欢迎"
  }
}

campaign "hosts" {
  audience = segment.hosts
  step "thanks" {
    send {
      channel  = "channel"
      template = template.hello
      target   = community.makers.channel.general
    }
  }
}
