segment "newcomers" {
  community   = community.makers
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "quiet" {
  community   = community.makers
  description = "Here a while and never posted in 30 days"
  when        = "member.days_since_joined >= 14 && count('message.posted', '30d') == 0"
}

# Tiers map to Slack user groups: reaching a tier adds the member to the
# group (usergroups.users.update), falling below it takes them out.
tier "builder" {
  rank     = 1
  when     = "member.points >= 50"
  keep     = "member.points >= 40"
  role     = community.makers.role.builders
  benefits = ["@builders user group"]
}

tier "core" {
  rank     = 2
  when     = "member.points >= 500 && active_days('30d') >= 8"
  keep     = "member.points >= 450"
  grace    = "14d"
  role     = community.makers.role.core
  benefits = ["@core user group", "#maintainers"]
}

badge "first_build" {
  title       = "First build"
  description = "Posted in #show-and-tell for the first time"
  class       = "bronze"
}

incentive "posting" {
  description = "A point per message, at most 15 a day"
  on          = "message.posted"
  points_cap  = "15/1d"
  grant {
    points = 1
  }
}

incentive "first_build" {
  on   = "message.posted"
  when = "event.channel == 'show-and-tell'"
  once = true
  grant {
    points = 20
    badge  = badge.first_build
  }
}

incentive "helpful" {
  description = "Reactions on your messages"
  on          = "reaction.received"
  points_cap  = "10/1d"
  grant {
    points = 2
  }
}
