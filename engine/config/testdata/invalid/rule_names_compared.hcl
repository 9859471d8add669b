# A name compared with member.tier, or with the attribute of hearth's own
# events that holds one, must exist: a typo would never match.

segment "lurkers" {
  when = "member.tier == 'regulr'" # ERROR: There is no tier named "regulr". Did you mean "regular"?
}

tier "regular" {
  rank = 1
  when = "member.points >= 10"
}

badge "first_post" {}

incentive "welcome_back" {
  on   = ["segment.entered", "segment.left"]
  when = "event.segment == 'lurker'" # ERROR: There is no segment named "lurker". Did you mean "lurkers"?
  grant {
    points = 1
  }
}

incentive "promoted" {
  on   = "tier.changed"
  when = "event.from == '' && event.to in ['regular', 'core']" # ERROR: There is no tier named "core".
  grant {
    points = 1
  }
}

incentive "decorated" {
  on   = "badge.awarded"
  when = "event.badge != 'frist_post'" # ERROR: Did you mean "first_post"?
  grant {
    points = 1
  }
}

# invite.sent's to is a member id, not a tier.
incentive "invited" {
  on   = "invite.sent"
  when = "event.to != 'core'"
  grant {
    points = 1
  }
}
