segment "newcomers" {
  community   = community.guild
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "engaged" {
  community   = community.guild
  description = "Active on at least four days of the last month"
  when        = "active_days('30d') >= 4"
}

segment "at_risk" {
  community   = community.guild
  description = "Were engaged, silent for three weeks"
  when        = "member.messages >= 3 && member.days_since_active >= 21"
}

tier "regular" {
  rank  = 1
  title = "Regular"
  when  = "member.points_earned >= 50"
}

tier "core" {
  rank  = 2
  title = "Core maker"
  when  = "member.points_earned >= 150 && active_days('30d') >= 6"
  keep  = "member.points_earned >= 150"
  grace = "14d"
}

incentive "post" {
  on = "message.posted"
  grant {
    points = 5
    reason = "post"
  }
  points_cap = "25/1d"
}

# member.referrer: the first link the member joined through, never
# themselves; once_per pays for each new member once, ever.
incentive "referral" {
  on       = "member.joined"
  when     = "member.referrer != ''"
  once_per = "member.id"
  grant {
    to     = "member.referrer"
    points = 30
    reason = "referral"
  }
}

incentive "feedback" {
  on   = "feedback.submitted"
  when = "event.question == 'recommend'"
  grant {
    points = 10
    reason = "answered the pulse"
  }
  cooldown = "25d"
}

incentive "redeem" {
  on   = "reward.redeemed"
  when = "event.cost > 0 && member.points >= 0"
  grant {
    points = -20
    reason = "reward"
  }
}

badge "first_post" {
  title = "First post"
  class = "bronze"
}

# A patron bought in the market twice in 60 days, and stops being one
# after 60 days without a purchase: the report counts the badge's holders,
# awards and revocations.
badge "patron" {
  title       = "Market patron"
  class       = "silver"
  revoke_when = "count('purchase.made', '60d') == 0"
}

incentive "first_post" {
  on   = "message.posted"
  when = "member.messages == 1"
  once = true
  grant {
    badge = badge.first_post
  }
}

incentive "patron" {
  on   = "purchase.made"
  when = "count('purchase.made', '60d') >= 2"
  grant {
    badge = badge.patron
  }
}
