community "explorers" {
  title           = local.title
  platform        = platform.local.main
  purpose         = "Builders sharing what they make"
  audience        = "Makers, students and engineers"
  capacity        = var.capacity
  on_capacity     = "waitlist"
  house_rules     = file("house-rules.md")
  welcome_message = local.welcome_text
  prevent_destroy = true

  channel "welcome" {
    topic           = "Say hi"
    purpose         = "Where newcomers introduce themselves"
    color           = "#0088CC"
    pin_house_rules = true
  }
  channel "help" {
    topic          = "Ask anything"
    position       = 5
    category       = "Support"
    private        = false
    prevent_destroy = true
    ignore_changes = ["topic", "position"]
  }

  role "regular" {
    color = "#3498DB"
  }
  role "core" {
    title           = "Core member"
    color           = "#f1c40f"
    permissions     = ["manage_messages"]
    hoist           = true
    mentionable     = true
    position        = 3
    prevent_destroy = false
    ignore_changes  = ["color"]
  }
  role "ambassador" {}

  moderation "spam" {
    on       = ["message.posted", "message.edited"]
    when     = "len(event.text) > 0"
    keywords = { en = ["buy now", "free money"], zh-CN = ["广告"] }
    patterns = ["(?i)https?://bit\\.ly/"]
    action   = "mute"
    duration = "1h"
    reason   = "Spam"
  }
  moderation "links" {
    when   = "event.links > 3"
    action = "flag"
  }
}

community "makers" {
  title    = "Makers"
  platform = platform.chat.announce
}

moved {
  from = "community.explorers.channel.chat"
  to   = "community.explorers.channel.general"
}

import {
  to = "community.explorers.role.helper"
  id = "ro-7"
}
