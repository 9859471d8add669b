segment "newcomers" {
  community   = community.explorers
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "active" {
  community   = community.explorers
  description = "Posted or reacted on at least 4 of the last 30 days"
  when        = "active_days('30d') >= 4"
}

segment "lurkers" {
  community   = community.explorers
  description = "Here for two weeks or more, never posted in 30 days"
  when        = "member.days_since_joined >= 14 && count('message.posted', '30d') == 0"
}

segment "at_risk" {
  community   = community.explorers
  description = "Used to be active, silent for three weeks"
  when        = "member.messages >= 5 && member.days_since_active >= 21"
}

tier "regular" {
  rank     = 1
  when     = "member.points >= 100"
  keep     = "member.points >= 80"
  role     = community.explorers.role.regular
  benefits = ["Regular role", "Vote on showcase picks"]
}

tier "core" {
  rank     = 2
  when     = "member.points >= 1000 && active_days('30d') >= 10"
  keep     = "member.points >= 900"
  grace    = "14d"
  role     = community.explorers.role.core
  benefits = ["Core role", "Early access to events"]
}

badge "first_post" {
  title       = "First post"
  description = "Posted for the first time"
  class       = "bronze"
}

badge "helper" {
  title       = "Helper"
  description = "Ten reactions received on messages in #help"
  class       = "silver"
}

incentive "first_post" {
  on   = "message.posted"
  when = "member.messages == 1"
  once = true
  grant {
    points = 10
    badge  = badge.first_post
  }
}

incentive "posting" {
  description = "A point per message, at most 20 a day"
  on          = "message.posted"
  points_cap  = "20/1d"
  grant {
    points = 1
  }
}

incentive "helper" {
  description = "People found your answers in #help useful"
  on          = "reaction.received"
  when        = "event.channel == 'help' && total('reaction.received') >= 10"
  once        = true
  grant {
    badge  = badge.helper
    points = 25
  }
}

# member.referrer is who hearth credits with the join: the first link the
# member joined through, never themselves, unchanged by a join again
# through another link. once_per pays for each new member once, ever.
incentive "referral" {
  on       = "member.joined"
  when     = "member.referrer != ''"
  once_per = "member.id"
  limit    = "5/30d"
  grant {
    to     = "member.referrer"
    points = 50
    reason = "referred a new member"
  }
}
