# Durations are a number and a unit: s, m, h, d or w.

tier "regular" {
  rank         = 1
  when         = "member.points >= 100"
  grace        = "2 weeks" # ERROR: Invalid duration
  demote_after = "1y" # ERROR: unknown unit "y"; use s, m, h, d or w
  window       = "30" # ERROR: a duration needs a unit (s, m, h, d or w); if 30 is seconds, write "30s"
}

incentive "posting" {
  on       = "message.posted"
  cooldown = "-1d" # ERROR: cooldown: "-1d": durations cannot be negative
  expires  = "" # ERROR: expires: empty
  grant {
    points = 1
  }
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "wait" {
    wait = 86400 # ERROR: wait: "86400": a duration needs a unit (s, m, h, d or w); if 86400 is seconds, write "1d" (or "86400s")
  }
  step "later" {
    wait = "1.5d" # ERROR: Invalid duration
  }
}

incentive "spelled" {
  on       = "message.posted"
  cooldown = "3days" # ERROR: cooldown: "3days": units are one letter (s, m, h, d or w): write "3d"
  expires  = "3 dayz" # ERROR: expires: "3 dayz": write a number and a unit with no space between, such as "3d"
  grant {
    points = 1
  }
}
