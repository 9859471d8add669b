# Rates are a count and a window: "5/30d".

hearth {
  frequency_cap = "3" # ERROR: a rate is a count and a window, such as "5/30d"
}

incentive "posting" {
  on         = "message.posted"
  limit      = "5/0d" # ERROR: the window after "/" must be longer than zero
  points_cap = "0/1d" # ERROR: the count before "/" must be a whole number of at least 1
  grant {
    points = 1
  }
}

campaign "onboarding" {
  enter_on      = "member.joined"
  frequency_cap = "2 per day" # ERROR: Invalid rate
  step "wait" {
    wait = "1d"
  }
}

campaign "other" {
  enter_on      = "member.joined"
  frequency_cap = "x/1d" # ERROR: frequency_cap: "x/1d"
  step "wait" {
    wait = "1d"
  }
}
