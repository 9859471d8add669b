# Inkwell's partner program: fans become supporters, ambassadors and, by
# invitation, partners. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "Asia/Shanghai" # for members whose time zone we do not know
  default_locale   = "en"
  frequency_cap    = "3/24h" # all campaigns together

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# The community lives on Discord. The local platform stands in for it here,
# so the example runs with no bot; a platform "discord" block in its place
# runs it on the server (see the README).
platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Inkwell Friends"
}

# Emails go out through the publisher's SMTP relay
# (HEARTH_VAR_smtp_password; the empty default lets the example validate
# and simulate without it), to each member's email identity. Neither
# Discord nor the local platform sends email.
variable "smtp_password" {
  type      = string
  sensitive = true
  default   = ""
}

platform "email" "news" {
  host     = "smtp.inkwell.example"
  port     = 587
  security = "starttls"
  username = "friends@inkwell.example"
  password = var.smtp_password
  from     = "Inkwell Friends <friends@inkwell.example>"
  list_id  = "Inkwell Friends <friends.inkwell.example>"
}

community "inkwell" {
  title           = "Inkwell Friends"
  platform        = platform.local.main
  purpose         = "Owners and fans of the Inkwell e-paper notebook share notes, templates and hacks"
  audience        = "Inkwell owners and would-be owners, in English and Chinese"
  capacity        = 0
  house_rules     = <<-EOT
    1. Be kind. English and 中文 are both welcome.
    2. Share your own work; link to the shop only when asked.
    3. Referral links belong in your profile or #invites, never in DMs to strangers.
  EOT
  welcome_message = "Welcome to Inkwell Friends! 欢迎加入 Inkwell Friends！Say hi in #welcome."

  channel "welcome" {
    topic           = "Say hi · 打个招呼"
    pin_house_rules = true
  }
  channel "general" {
    topic = "Everything Inkwell"
  }
  channel "zh-chat" {
    topic = "中文交流"
  }
  channel "showcase" {
    topic = "Your notes, templates and hacks · 作品展示"
  }
  channel "invites" {
    topic = "Share your referral link here · 在这里分享邀请链接"
  }
  channel "meetups" {
    topic = "Meetups and check-ins · 线下活动"
  }
  channel "ambassadors" {
    topic   = "Ambassadors and partners · 大使与合作伙伴"
    private = true
  }
  channel "partners" {
    topic   = "Partners and the Inkwell team"
    private = true
  }

  role "supporter" {
    color = "#3498db"
  }
  role "ambassador" {
    color       = "#9b59b6"
    hoist       = true
    mentionable = true
  }
  role "partner" {
    color = "#f1c40f"
    hoist = true
  }
}

# The swag shop reports redemptions; the incentives in rewards.hcl take the
# points.
event "reward.redeemed" {
  description = "The member redeemed points for a reward in the swag shop."
  attributes = {
    item = "string"
  }
}
