event "meetup.attended" {
  description = "A member came to a meetup"
  activity    = true
  attributes = {
    city   = "string"
    guests = "int"
  }
}

segment "newcomers" {
  community   = community.explorers
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "active" {
  when = "active_days('30d') >= 4 && count(\"message.posted\", '4w') > 0"
}

segment "regulars" {
  description = "Active and past the newcomer phase"
  when        = "in_segment('active') && !in_segment('newcomers')"
  role        = community.explorers.role.regular
}

# Tiers are declared out of rank order on purpose.
tier "core" {
  rank         = 2
  title        = "Core"
  description  = "The people who keep the lights on"
  community    = community.explorers
  when         = "member.points >= 1000 && active_days('30d') >= 10"
  keep         = "member.points >= 900"
  grace        = "${local.grace_days}d"
  demote_after = "7d"
  window       = "3d"
  role         = community.explorers.role.core
  benefits     = ["Core role", "Early access"]
  locked       = ["founder-1"]
}

tier "regular" {
  rank = 1
  when = <<-EOT
    member.points >= 100 &&
    has_badge('first_post')
  EOT

  # The member's own trust level on the forum while on the tier.
  discourse {
    trust_level = 2
    lock        = true
    platform    = platform.discourse.forum
  }
}

badge "first_post" {
  title          = "First post"
  description    = "Posted for the first time"
  class          = "bronze"
  platform       = platform.chat.announce
  platform_badge = "First Post"
}

badge "helper" {
  class       = "gold"
  repeat      = true
  revoke_when = "member.strikes >= 3"
}

incentive "first_post" {
  description = "Ten points and a badge for the first message"
  community   = community.explorers
  on          = "message.posted"
  when        = "member.messages == 1"
  once        = true
  expires     = "365d"
  grant {
    points = 10
    badge  = badge.first_post
    reason = "first post"
  }
}

incentive "posting" {
  on         = ["message.posted", "post.created"]
  cooldown   = "1m"
  limit      = "100/1d"
  points_cap = "20/1d"
  grant {
    points = var.point_values.post
  }
}

# Attributes of a standard event type's own, added to the standard ones.
event "referral.converted" {
  attributes = {
    campaign = "string"
  }
}

incentive "referral" {
  on       = "member.joined"
  when     = "event.referrer != '' && member.referrer == event.referrer"
  once_per = "member.id"
  grant {
    to     = "member.referrer"
    points = var.point_values.referral
    role   = community.explorers.role.ambassador
    set    = { ambassador = "yes" }
  }
}

incentive "meetups" {
  on   = "meetup.attended"
  when = "event.guests > 0 && event.city != ''"
  grant {
    badge = badge.helper
  }
}
