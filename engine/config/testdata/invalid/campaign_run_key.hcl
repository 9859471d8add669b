# run_key gives a string from the entering event: only with enter_on,
# and max_runs only with it.

event "meetup.rsvp" {
  attributes = {
    meetup    = "string"
    seats     = "int"
    starts_at = "time"
  }
}

segment "regulars" {
  when = "member.points > 10"
}

campaign "rsvp" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  max_runs = 5
  step "a" {
    wait = "1h"
  }
}

campaign "by_number" {
  enter_on = "meetup.rsvp"
  run_key  = "string(event.seats)"
  step "a" {
    wait = "1h"
  }
}

campaign "numbered" {
  enter_on = "meetup.rsvp"
  run_key  = "event.seats" # ERROR: must give a string, but this one got int
  step "a" {
    wait = "1h"
  }
}

campaign "typo" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetp" # ERROR: Did you mean "meetup"?
  step "a" {
    wait = "1h"
  }
}

campaign "regulars" {
  audience = segment.regulars
  run_key  = "member.name" # ERROR: run_key without enter_on
  step "a" {
    wait = "1h"
  }
}

campaign "unkeyed" {
  enter_on = "meetup.rsvp"
  max_runs = 3 # ERROR: max_runs without run_key
  step "a" {
    wait = "1h"
  }
}

campaign "none" {
  enter_on = "meetup.rsvp"
  run_key  = "event.meetup"
  max_runs = 0 # ERROR: max_runs must be 1 or more
  step "a" {
    wait = "1h"
  }
}
