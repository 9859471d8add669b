# Tea House, a bilingual (Chinese and English) community of tea lovers
# with house rules enforced by a violation ladder. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "Asia/Shanghai"
  default_locale   = "zh-CN"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# The community lives on a chat platform; the local platform stands in for
# it here, and can mute, kick, ban and delete messages like a real one.
platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Tea House"
}

community "tea_house" {
  title       = "Tea House 茶馆"
  platform    = platform.local.main
  purpose     = "Tea lovers sharing leaves, teaware and brewing notes"
  capacity    = 150
  on_capacity = "split"
  house_rules = <<-EOT
    1. Be kind. 友善交流。
    2. No advertising or private trading outside #market. 禁止广告和私下交易。
    3. No flooding, no mass mentions. 禁止刷屏和群发提醒。
  EOT

  channel "welcome" {
    topic           = "Start here 从这里开始"
    pin_house_rules = true
  }
  channel "general" {
    topic = "Everything tea 茶话"
  }
  channel "market" {
    topic = "Buy, sell, swap 交易"
  }
  channel "mod_ops" {
    topic   = "Moderators only: alerts land here"
    private = true
  }

  role "moderator" {
    title       = "Moderator 管理员"
    color       = "#16a085"
    permissions = ["manage_messages", "kick_members", "ban_members"]
  }

  # Every match adds strikes; the rung for the member's live strikes
  # decides the action. Strikes fade after 30 days.
  ladder {
    decay    = "30d"
    template = template.moderation_notice
    rung { action = "warn" }
    rung {
      action   = "mute"
      duration = "1h"
    }
    rung {
      action   = "mute"
      duration = "24h"
    }
    rung { action = "kick" }
    rung { action = "ban" }
  }

  # Rules are tried in order; the first that matches decides.
  moderation "scam_links" {
    patterns = ["(?i)https?://(bit\\.ly|t\\.cn|tinyurl\\.com)/", "(?i)free\\s+(usdt|btc|crypto)"]
    strikes  = 2
    delete   = true
    reason   = "Scam links / 诈骗链接"
  }
  moderation "ads" {
    keywords = {
      en    = ["buy now", "dm me for price", "whatsapp me"]
      zh-CN = ["加微信", "私聊价格", "代购", "刷单"]
    }
    delete = true
    reason = "No advertising outside #market / 禁止广告"
  }
  moderation "link_spam" {
    links  = 4
    delete = true
    reason = "Too many links / 链接过多"
  }
  moderation "mention_spam" {
    mentions = 6
    reason   = "Mass mentions / 群发提醒"
  }
  moderation "flood" {
    rate   = "5/30s"
    reason = "Flooding / 刷屏"
  }
  # Words that need a human look, not a penalty: flagged, counted in
  # community.flagged_1h, no strike.
  moderation "watchlist" {
    keywords = { en = ["fake tea", "counterfeit"], zh-CN = ["假茶", "假货"] }
    action   = "flag"
  }
}

template "moderation_notice" {
  text = {
    en    = "Tea House moderation: ${event.action} ${event.duration} for ${event.reason} (${event.evidence}). Live strikes: ${event.strikes}. Strikes fade after 30 days."
    zh-CN = "茶馆管理通知：因「${event.reason}」（${event.evidence}）处理为 ${event.action} ${event.duration}。当前违规次数：${event.strikes}，30 天后自动清除。"
  }
}
