# Early warning: figures of the whole community over rolling windows, and
# the alerts that watch them.

# Words of complaint and praise beyond the built-in en and zh-CN lists.
sentiment {
  negative = {
    en    = ["stale", "moldy", "never arrived"]
    zh-CN = ["发霉", "没收到", "不发货"]
  }
  positive = {
    en    = ["lovely", "fragrant"]
    zh-CN = ["好喝", "回甘"]
  }
}

# A wave of angry messages: the crisis playbook starts for the moderators.
alert "negative_spike" {
  description = "Negative messages are piling up"
  community   = community.tea_house
  when        = "community.negative_1h >= 5 && community.negative_1h * 3 >= community.messages_1h"
  severity    = "critical"
  cooldown    = "6h"
  campaign    = campaign.crisis_playbook
  responders  = ["mod-lin", "mod-sam"]
  notify {
    channel  = "channel"
    target   = community.tea_house.channel.mod_ops
    template = template.alert_ops
  }
  notify {
    channel  = "email"
    to       = "moderators@teahouse.example"
    template = template.alert_ops
  }
}

alert "reports_spike" {
  description = "Members are reporting many messages"
  community   = community.tea_house
  when        = "community.reports_24h >= 5"
  cooldown    = "12h"
  notify {
    channel = "channel"
    target  = community.tea_house.channel.mod_ops
  }
}

alert "spam_wave" {
  description = "The moderation rules are catching a lot"
  community   = community.tea_house
  when        = "community.flagged_1h >= 10"
  cooldown    = "2h"
  notify {
    channel = "channel"
    target  = community.tea_house.channel.mod_ops
  }
}

alert "leaving_wave" {
  description = "Members are leaving"
  community   = community.tea_house
  when        = "community.left_24h >= 5 && community.left_24h * 20 >= community.members"
  severity    = "critical"
  cooldown    = "24h"
  notify {
    channel = "channel"
    target  = community.tea_house.channel.mod_ops
  }
}

# Activity against its usual level: a day with less than a third of the
# usual messages, once the community has a usual level.
alert "gone_quiet" {
  description = "Much quieter than usual"
  community   = community.tea_house
  when        = "community.messages_usual_24h >= 20 && community.messages_24h * 3 < community.messages_usual_24h"
  severity    = "info"
  cooldown    = "72h"
  notify {
    channel = "channel"
    target  = community.tea_house.channel.mod_ops
  }
}

# Plan proposes tea_house-2 past 150 members; this says so in advance.
alert "nearly_full" {
  community = community.tea_house
  when      = "community.capacity_used >= 0.9"
  severity  = "info"
  cooldown  = "168h"
  notify {
    channel = "channel"
    target  = community.tea_house.channel.mod_ops
  }
}

template "alert_ops" {
  text = {
    zh-CN = "⚠ ${event.summary}\n过去一小时 ${community.messages_1h} 条消息，其中负面 ${community.negative_1h} 条、被规则拦截 ${community.flagged_1h} 条。"
    en    = "⚠ ${event.summary}\nLast hour: ${community.messages_1h} messages, ${community.negative_1h} negative, ${community.flagged_1h} caught by the rules."
  }
  subject = {
    zh-CN = "茶馆告警：${event.alert}"
    en    = "Tea House alert: ${event.alert}"
  }
}
