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
      status = "active"
      step   = "reminder"
      sent   = ["confirm"]
    }
  }
  expect "ann" {
    at = "10d18h"
    campaign "rsvp" {
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
    campaign "rsvp" {
      status = "done"
      ended  = "finished"
      sent   = ["regrets"]
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
      status = "done"
      ended  = "goal"
      sent   = ["confirm", "reminder"]
    }
  }
}
