# A scheduled campaign (a broadcast): its members enter at its
# occurrences, in its audience, once per occurrence.

segment "subscribers" {
  when = "true"
}

campaign "no_audience" {
  schedule { # ERROR: Scheduled campaign without audience
    every = "day"
    at    = "10:00"
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "entries" {
  audience      = segment.subscribers
  enter_on      = "member.joined" # ERROR: enter_on with schedule
  enter_when    = "true"          # ERROR: enter_when with schedule
  run_key       = "event.id"      # ERROR: run_key with schedule
  reentry       = "always"        # ERROR: reentry with schedule
  expire_after  = "2d"            # ERROR: late_by in its schedule block
  schedule {
    every = "week"
    day   = "moonday" # ERROR: Invalid day
    at    = "25:00"   # ERROR: Invalid time of day
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "days" {
  audience = segment.subscribers
  schedule {
    every     = "month"
    day       = 31 # ERROR: For the end of the month, write -1
    at        = "10:00"
    time_zone = "Europe/Berln" # ERROR: Unknown time zone
    late_by   = "10s"          # ERROR: Invalid late_by
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "daily" {
  audience = segment.subscribers
  schedule { # ERROR: Missing required argument
    every  = "day"
    day    = 1            # ERROR: day with every = "day"
    starts = "2026-02-01"
    ends   = "2026-01-01" # ERROR: Schedule ends before it starts
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "weekly" {
  audience = segment.subscribers
  schedule { # ERROR: Missing day
    every = "week"
    at    = "10:00"
    ends  = "soon" # ERROR: Invalid ends
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "fine" {
  audience = segment.subscribers
  max_runs = 3
  schedule {
    every     = "month"
    day       = -1
    at        = "10:00"
    time_zone = "member"
    starts    = "2026-01-01"
    ends      = "2026-12-31T23:59:59Z"
    late_by   = "6h"
  }
  step "a" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

template "hi" {
  text = { en = "Hi" }
}
