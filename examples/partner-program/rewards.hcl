# Points, honours and the referral program.

# --- Honours -------------------------------------------------------------

badge "advocate_bronze" {
  title       = "Bronze Advocate"
  description = "One friend you invited became an active member"
  class       = "bronze"
}

badge "advocate_silver" {
  title       = "Silver Advocate"
  description = "Five friends you invited became active members"
  class       = "silver"
}

badge "advocate_gold" {
  title       = "Gold Advocate"
  description = "Twenty-five friends you invited became active members"
  class       = "gold"
  # An honour, not a prize: it is taken back from anyone who collects
  # three moderation strikes.
  revoke_when = "member.strikes >= 3"
}

badge "meetup_regular" {
  title       = "Meetup Regular"
  description = "Came to five Inkwell meetups"
  class       = "silver"
}

# --- Referrals -----------------------------------------------------------

# A small thank-you when an invited friend joins, at most ten a month: a
# link posted in a busy forum should not turn into a points machine.
# member.referrer is who hearth credits with the join: the first link a
# member joined through (never themselves); a member joining again, through
# any link, does not change it. once_per pays for each friend once, ever.
incentive "referral_signup" {
  description = "20 points to the referrer when an invited friend joins"
  on          = "member.joined"
  when        = "member.referrer != ''"
  once_per    = "member.id"
  limit       = "10/30d"
  grant {
    to     = "member.referrer"
    points = 20
    reason = "invited a friend who joined"
  }
}

# The real reward comes when the friend sticks around. referral.converted
# belongs to the referrer, so no `to` is needed; it names the friend as
# referee, and each friend pays once however often the platform reports
# them converting, and never the referrer themselves.
incentive "referral_converted" {
  description = "150 points when an invited friend becomes active"
  on          = "referral.converted"
  when        = "event.referee != member.id"
  once_per    = "event.referee"
  limit       = "20/30d"
  expires     = "365d"
  grant {
    points = 150
    reason = "invited friend became active"
  }
}

incentive "advocate_bronze" {
  on   = "referral.converted"
  when = "member.referrals >= 1"
  once = true
  grant {
    badge = badge.advocate_bronze
  }
}

incentive "advocate_silver" {
  on   = "referral.converted"
  when = "member.referrals >= 5"
  once = true
  grant {
    badge  = badge.advocate_silver
    points = 200
  }
}

incentive "advocate_gold" {
  on   = "referral.converted"
  when = "member.referrals >= 25"
  once = true
  grant {
    badge  = badge.advocate_gold
    points = 1000
  }
}

# --- Everyday participation ----------------------------------------------

incentive "posting" {
  description = "2 points a message of 20 characters or more, at most 30 points a day"
  on          = "message.posted"
  when        = "event.length >= 20"
  points_cap  = "30/1d"
  grant {
    points = 2
  }
}

incentive "showcase" {
  description = "25 points for a showcase post, one a day"
  on          = "message.posted"
  when        = "event.channel == 'showcase' && event.length >= 80"
  cooldown    = "24h"
  grant {
    points = 25
    reason = "shared work in #showcase"
  }
}

# A reaction is a small thank-you to the author: the point goes to the
# person reacted to, not to the one reacting.
incentive "appreciated" {
  description = "1 point to the author of a message someone reacted to, at most 40 a day"
  on          = "reaction.added"
  when        = "event.target_member != '' && event.target_member != event.member"
  points_cap  = "40/1d"
  grant {
    to     = "event.target_member"
    points = 1
    reason = "someone appreciated your message"
  }
}

incentive "meetup_checkin" {
  description = "40 points for coming to a meetup"
  on          = "checkin"
  cooldown    = "20h"
  expires     = "365d"
  grant {
    points = 40
    reason = "came to a meetup"
  }
}

incentive "meetup_regular" {
  on   = "checkin"
  when = "total('checkin') >= 5"
  once = true
  grant {
    badge = badge.meetup_regular
  }
}

# --- Spending ------------------------------------------------------------

# The shop checks the balance before it reports a redemption.
incentive "redeem_sticker_pack" {
  on   = "reward.redeemed"
  when = "event.item == 'sticker_pack'"
  grant {
    points = -200
    reason = "redeemed a sticker pack"
  }
}

incentive "redeem_sleeve" {
  on   = "reward.redeemed"
  when = "event.item == 'felt_sleeve'"
  grant {
    points = -800
    reason = "redeemed a felt sleeve"
  }
}
