# Rule tests for the meetup campaigns: run `hearth test
# examples/meetup-invitations`. Times are offsets from the start, 1 March
# 2026; Go Night #42 starts on 12 March at 19:00 in Dresden (18:00 UTC,
# which is 11d18h), so the reminder is due at 10d18h.

test "an invitation goes out to each member invited" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.invited" {
    member = "ann"
    at     = "9h"
    attrs  = { meetup = "Go Night #42", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "ann" {
    campaign "invitation" {
      status = "done"
      ended  = "finished"
      sent   = ["invite"]
    }
  }
}

test "a yes gets a confirmation and a reminder a day before the meetup" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "ann"
    at     = "2d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "ann" {
    at = "10d17h"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "active"
      step   = "reminder"
      sent   = ["confirm"]
    }
  }
  expect "ann" {
    at = "10d18h"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "active"
      step   = "missed_you"
      sent   = ["confirm", "reminder"]
    }
  }
}

test "a no gets thanks and no reminder" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "bob"
    at     = "3d12h"
    attrs  = { meetup = "Go Night #42", answer = "no", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "bob" {
    at = "12d"
    campaign "regrets" {
      key    = "Go Night #42"
      status = "done"
      ended  = "finished"
      sent   = ["thanks"]
    }
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "none"
    }
  }
}

test "a yes changed to no gets thanks, and no reminder or we-missed-you" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "ivy"
    at     = "2d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "ivy"
    at     = "5d10h"
    attrs  = { meetup = "Go Night #42", answer = "no", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "ivy" {
    at = "12d"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "done"
      ended  = "exited"
      sent   = ["confirm"]
    }
    campaign "regrets" {
      key  = "Go Night #42"
      sent = ["thanks"]
    }
  }
}

test "a cancelled meetup ends the run, with no thanks for the no" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "kim"
    at     = "2d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "kim"
    at     = "5d10h"
    attrs  = { meetup = "Go Night #42", answer = "cancelled", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "kim" {
    at = "12d"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "done"
      ended  = "exited"
      sent   = ["confirm"]
    }
    campaign "regrets" {
      key    = "Go Night #42"
      status = "none"
    }
  }
}

test "a no changed to yes gets the confirmation and the reminder" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "jon"
    at     = "2d10h"
    attrs  = { meetup = "Go Night #42", answer = "no", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "jon"
    at     = "5d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "jon" {
    at = "10d19h"
    campaign "regrets" {
      key  = "Go Night #42"
      sent = ["thanks"]
    }
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "active"
      step   = "missed_you"
      sent   = ["confirm", "reminder"]
    }
  }
}

test "a yes less than a day before skips the reminder" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "cyd"
    at     = "11d15h" # three hours before the meetup
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "cyd" {
    at = "11d16h"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "active"
      step   = "missed_you"
      sent   = ["confirm"]
    }
  }
}

test "a yes who does not come hears they were missed" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "dee"
    at     = "2d"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "dee" {
    at = "12d"
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "done"
      ended  = "finished"
      sent   = ["confirm", "reminder", "missed_you"]
    }
  }
}

test "checking in at the meetup is the goal and earns points and a badge" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "eve"
    at     = "2d"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.checked_in" {
    member = "eve"
    at     = "11d18h10m"
    attrs  = { meetup = "Go Night #42" }
  }
  expect "eve" {
    at     = "12d"
    points = 20
    badges = ["first_meetup"]
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "done"
      ended  = "goal"
      sent   = ["confirm", "reminder"]
    }
  }
}

test "an RSVP for the next meetup while this one's run goes on gets its own confirmation and reminder" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "gus"
    at     = "2d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  # Go Night #43 is on 9 April at 19:00 in Dresden (17:00 UTC: summer time).
  event "meetup.rsvp" {
    member = "gus"
    at     = "5d9h"
    attrs  = { meetup = "Go Night #43", answer = "yes", starts_at = "2026-04-09T19:00:00+02:00", venue = "Neustadt Hackspace" }
  }
  # The same meetup again while its run goes on starts nothing new.
  event "meetup.rsvp" {
    member = "gus"
    at     = "6d9h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  expect "gus" {
    at = "6d10h"
    campaign "rsvp" {
      key  = "Go Night #42"
      step = "reminder"
      sent = ["confirm"]
      runs = 1
    }
    campaign "rsvp" {
      key    = "Go Night #43"
      status = "active"
      step   = "reminder"
      sent   = ["confirm"]
    }
  }
  # Checking in at #42 is #42's goal; #43's run waits for its reminder.
  event "meetup.checked_in" {
    member = "gus"
    at     = "11d18h10m"
    attrs  = { meetup = "Go Night #42" }
  }
  expect "gus" {
    at = "38d18h" # 8 April, after #43's reminder at 19:00 in Dresden
    campaign "rsvp" {
      key    = "Go Night #42"
      status = "done"
      ended  = "goal"
      sent   = ["confirm", "reminder"]
    }
    campaign "rsvp" {
      key    = "Go Night #43"
      status = "active"
      step   = "missed_you"
      sent   = ["confirm", "reminder"]
    }
    campaign "rsvp" {
      sent = ["confirm", "confirm", "reminder", "reminder"]
    }
  }
}

test "a fourth meetup at once is refused, and the three runs go on" {
  start = "2026-03-01T00:00:00Z"
  event "meetup.rsvp" {
    member = "hal"
    at     = "1d10h"
    attrs  = { meetup = "Go Night #42", answer = "yes", starts_at = "2026-03-12T19:00:00+01:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "hal"
    at     = "1d11h"
    attrs  = { meetup = "Go Night #43", answer = "yes", starts_at = "2026-04-09T19:00:00+02:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "hal"
    at     = "1d12h"
    attrs  = { meetup = "Go Night #44", answer = "yes", starts_at = "2026-05-07T19:00:00+02:00", venue = "Neustadt Hackspace" }
  }
  event "meetup.rsvp" {
    member = "hal"
    at     = "1d13h"
    attrs  = { meetup = "Go Night #45", answer = "yes", starts_at = "2026-06-11T19:00:00+02:00", venue = "Neustadt Hackspace" }
  }
  expect "hal" {
    at = "1d14h"
    campaign "rsvp" {
      key    = "Go Night #44"
      status = "active"
      sent   = ["confirm"]
    }
    campaign "rsvp" {
      key    = "Go Night #45"
      status = "none"
    }
  }
}
