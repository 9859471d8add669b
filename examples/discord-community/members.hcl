# Points for taking part, tiers that hand out the Builder and Mentor roles
# on Discord, and a badge for the first showcase post.

incentive "posting" {
  description = "A point per message, at most 15 a day"
  on          = "message.posted"
  points_cap  = "15/1d"
  grant {
    points = 1
  }
}

incentive "showcase" {
  description = "Sharing a project in #showcase"
  on          = "message.posted"
  when        = "event.channel == 'showcase'"
  limit       = "1/7d"
  grant {
    points = 20
    badge  = badge.first_showcase
  }
}

# /checkin is a slash command of the bot; Discord posts it to the
# interactions endpoint and hearth sees command.used.
incentive "checkin" {
  description = "Daily /checkin"
  on          = "command.used"
  when        = "event.command == 'checkin'"
  limit       = "1/1d"
  grant {
    points = 2
  }
}

event "command.used" {
  description = "A member used one of the bot's slash commands (Discord interactions)."
  activity    = true
  attributes = {
    command    = "string"
    channel_id = "string"
  }
}

badge "first_showcase" {
  title       = "Show and tell"
  description = "Shared a project in #showcase"
  class       = "bronze"
}

tier "builder" {
  rank     = 1
  title    = "Builder"
  when     = "member.points >= 50 && active_days('30d') >= 3"
  keep     = "member.points >= 40"
  role     = community.makers.role.builder
  benefits = ["The Builder role", "Vote on the monthly showcase"]
}

tier "mentor" {
  rank         = 2
  title        = "Mentor"
  when         = "member.points >= 500 && active_days('30d') >= 10"
  keep         = "active_days('60d') >= 6"
  demote_after = "14d"
  role         = community.makers.role.mentor
  benefits     = ["The Mentor role, listed apart", "The private #mentors channel"]
}

segment "quiet_newcomers" {
  community   = community.makers
  description = "Joined in the last two weeks and have not posted"
  when        = "member.days_since_joined < 14 && member.messages == 0"
}
