community "explorers" {
  title           = local.title
  platform        = platform.local.main
  purpose         = "Builders sharing what they make"
  audience        = "Makers, students and engineers"
  capacity        = var.capacity
  on_capacity     = "warn"
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
  role "helper" {}

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
  moderation "spam_links" {
    links    = 3
    mentions = 5
    rate     = "5/10s"
    strikes  = 2
    delete   = true
  }
  ladder {
    decay    = "30d"
    template = template.nudge
    rung { action = "warn" }
    rung {
      strikes  = 3
      action   = "mute"
      duration = "24h"
    }
  }
}

sentiment {
  negative = { en = ["refund"], zh-CN = ["退款"] }
  positive = { en = ["thanks"] }
  builtin  = true
}

alert "negative_spike" {
  description = "Many negative messages"
  community   = community.explorers
  when        = "community.negative_1h >= 5 && community.messages_usual_24h > 0"
  severity    = "critical"
  cooldown    = "6h"
  campaign    = campaign.winback
  responders  = ["mod-ana"]
  notify {
    channel  = "channel"
    target   = community.explorers.channel.help
    template = template.nudge
  }
  notify {
    channel  = "email"
    to       = "ops@example.org"
    platform = platform.local.main
  }
}

community "makers" {
  title    = "Makers"
  platform = platform.chat.announce
}

moved {
  from = "community.explorers.channel.chat"
  to   = "community.explorers.channel.help"
}

import {
  to = "community.explorers.role.helper"
  id = "ro-7"
}

# Addresses written as Terraform writes them, unquoted.
moved {
  from = community.explorers.role.helpers
  to   = community.explorers.role.helper
}
