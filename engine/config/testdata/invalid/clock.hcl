# Times of day are "HH:MM" on a 24-hour clock.

campaign "onboarding" {
  enter_on = "member.joined"
  quiet_hours {
    from     = "25:00" # ERROR: Invalid time of day
    to       = "8am" # ERROR: to: "8am": a time of day is "HH:MM"
    timezone = "Mars/Olympus" # ERROR: "Mars/Olympus" is not an IANA time zone name.
  }
  step "morning" {
    at = "9:5" # ERROR: Invalid time of day
  }
}

campaign "same" {
  enter_on = "member.joined"
  quiet_hours { # ERROR: Empty quiet hours
    from = "22:00"
    to   = "22:00"
  }
  step "morning" {
    at = "09:00"
  }
}
