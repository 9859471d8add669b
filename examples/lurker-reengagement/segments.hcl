# Who is who. Segments are rules over member state; members enter and leave
# them as their activity changes.

segment "newcomers" {
  community   = community.pixel_garden
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "active" {
  community   = community.pixel_garden
  description = "Around on 4 or more of the last 30 days, and posted at least 3 times"
  when        = "active_days('30d') >= 4 && count('message.posted', '30d') >= 3"
  role        = community.pixel_garden.role.active
}

segment "loyal" {
  community   = community.pixel_garden
  description = "Here half a year or more, and around on 20 of the last 90 days"
  when        = "member.days_since_joined >= 180 && active_days('90d') >= 20"
  role        = community.pixel_garden.role.old_timer
}

segment "potential" {
  community   = community.pixel_garden
  description = "Reads and reacts a lot, but rarely posts: the next regulars"
  when        = "!in_segment('newcomers') && count('reaction.added', '30d') >= 5 && count('message.posted', '30d') <= 2"
}

segment "lurker" {
  community   = community.pixel_garden
  description = "Here three weeks or more, has hardly ever posted, silent for 60 days"
  when        = "member.days_since_joined >= 21 && member.messages < 3 && count('message.posted', '60d') == 0 && count('reaction.added', '30d') < 5"
}

segment "at_risk" {
  community   = community.pixel_garden
  description = "Used to post, silent for three weeks (but not gone for good)"
  when        = "member.messages >= 10 && member.days_since_active >= 21 && member.days_since_active < 120"
}
