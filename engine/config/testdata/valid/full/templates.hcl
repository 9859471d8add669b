template "welcome" {
  description = "First message to a newcomer"
  text = {
    en    = "Welcome, ${member.name}! ${local.welcome_text}"
    zh-CN = "欢迎，${member.name}！"
  }
}

template "nudge" {
  default_locale = "en"
  text = {
    en = "Anything we can help with, ${member.name}? You have ${member.points} points in ${community.title}."
    de = "Können wir helfen, ${member.name}?"
  }
  subject = {
    en = "Need a hand, ${title(member.name)}?"
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      %{ if member.points > 0 }<p>You have ${member.points} points.</p>%{ endif }
      <p>Ask in #${var.support_channel}.</p>
    EOT
  }
}

survey "pulse" {
  title          = "Monthly pulse"
  description    = "How members feel, once a month"
  default_locale = "en"

  question "recommend" {
    text  = { en = "How likely are you to recommend us?", zh-CN = "你有多大可能向朋友推荐我们？" }
    score = true
  }

  question "more_of" {
    text    = { en = "What should we do more of?" }
    choices = ["events", "tutorials", "showcases"]
  }
}
