# Names inside rule functions must exist.

segment "active" {
  when = "active_days('30d') >= 4"
}

badge "helper" {}

tier "core" {
  rank = 1
  when = "member.points > 1000"
}

segment "a" {
  when = "count('mesage.posted', '30d') > 1" # ERROR: There is no event type named "mesage.posted". Did you mean "message.posted"?
}

segment "b" {
  when = "in_segment('activ')" # ERROR: There is no segment named "activ". Did you mean "active"?
}

segment "c" {
  when = "has_badge('helpr') || badge_count('hepler') > 1" # ERROR: There is no badge named "helpr". # ERROR: There is no badge named "hepler".
}

segment "d" {
  when = "tier_rank() >= rank_of('cor')" # ERROR: There is no tier named "cor". Did you mean "core"?
}

segment "e" {
  when = "streak('meetup.attended') > 3" # ERROR: Declare custom event types with an event block.
}
