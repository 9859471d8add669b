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
