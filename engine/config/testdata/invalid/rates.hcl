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

# points_cap counts whole UTC days: its window is a whole number of days.
incentive "answering" {
  on         = "message.posted"
  points_cap = "2/36h" # ERROR: points_cap counts whole UTC days ("N/7d" is the current UTC day and the 6 days before it), so its window must be a whole number of days, such as "1d", "24h" or "7d", not 1d12h. Write "2/1d" or "2/2d".
  grant {
    points = 1
  }
}

incentive "reacting" {
  on         = "reaction.added"
  points_cap = "3/90m" # ERROR: not 1h30m. Write "3/1d".
  grant {
    points = 1
  }
}

incentive "replying" {
  on         = "message.posted"
  points_cap = "2/48h"
  limit      = "2/36h"
  grant {
    points = 1
  }
}

# A window without a unit is suggested in the units of the setting:
# hours or days for a cap or a limit, not seconds.
campaign "capped" {
  enter_on      = "member.joined"
  frequency_cap = "2/24" # ERROR: frequency_cap: "2/24": the window after "/" needs a unit: write "2/24h" for 24 hours, or "2/24d" for 24 days.
  step "wait" {
    wait = "1d"
  }
}

incentive "weekly" {
  on    = "message.posted"
  limit = "1/7" # ERROR: write "1/7d" for 7 days, or "1/7h" for 7 hours.
  grant {
    points = 1
  }
}

# Calendar periods ("5/month") are for an incentive's limit and points_cap.
incentive "monthly" {
  on         = "message.posted"
  limit      = "5/months" # ERROR: limit: "5/months": write "5/month" for the calendar month, from its start, or a rolling window such as "5/30d".
  points_cap = "100/year" # ERROR: or a calendar period: "5/day", "5/week" (weeks from Monday) or "5/month".
  grant {
    points = 1
  }
}

incentive "calendar" {
  on         = "message.posted"
  limit      = "5/month"
  points_cap = "100/week"
  grant {
    points = 1
  }
}

campaign "monthly" {
  enter_on      = "member.joined"
  frequency_cap = "2/month" # ERROR: a calendar period is for an incentive's limit and points_cap only; write a window, such as "5/30d".
  step "wait" {
    wait = "1d"
  }
}
