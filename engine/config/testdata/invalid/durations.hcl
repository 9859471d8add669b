# Durations are a number and a unit: s, m, h, d or w.

tier "regular" {
  rank         = 1
  when         = "member.points >= 100"
  grace        = "2 weeks" # ERROR: Invalid duration
  demote_after = "1y" # ERROR: unknown unit "y"; use s, m, h, d or w
  window       = "30" # ERROR: missing unit after 30
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
    wait = 3 # ERROR: wait: "3": missing unit after 3
  }
  step "later" {
    wait = "1.5d" # ERROR: Invalid duration
  }
}
