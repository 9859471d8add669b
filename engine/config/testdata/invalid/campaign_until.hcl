# until gives a time, alone in its step; if_past needs it.

event "meetup.rsvp" {
  attributes = {
    answer    = "string"
    starts_at = "time"
    seats     = "int"
  }
}

event "meetup.cancelled" {
  attributes = {
    reason = "string"
  }
}

campaign "rsvp" {
  enter_on = "meetup.rsvp"
  step "a" {
    until = "event.starts_at - duration('24h')"
  }
  step "b" {
    until = "event.seats" # ERROR: The step rule must give a time, but this one gives a number.
  }
  step "c" {
    until = "duration('24h')" # ERROR: gives a duration.
  }
  step "d" {
    until = "event.starts_at > now" # ERROR: must give a time, but this one gives a bool.
  }
  step "e" {
    until = "event.starts_at - duration('1x')" # ERROR: Invalid duration "1x"
  }
  step "f" {
    until = "event.startsat" # ERROR: Did you mean "starts_at"?
  }
  step "g" {
    wait       = "1h"                # ERROR: until with wait
    at         = "09:00"             # ERROR: until with at
    wait_until = "member.points > 1" # ERROR: step "g" waits until the time its until gives, so it cannot also have wait_until.
    until      = "event.starts_at"
  }
  step "h" {
    wait    = "1h"
    if_past = "send" # ERROR: if_past without until
  }
  step "i" {
    until   = "now + duration('1d12h')"
    if_past = "later" # ERROR: if_past
  }
}

# With several enter_on types, only what they all have.
campaign "either" {
  enter_on = ["meetup.rsvp", "meetup.cancelled"]
  step "a" {
    until = "event.starts_at" # ERROR: Only some of the event types it listens to (meetup.rsvp, meetup.cancelled) have starts_at
  }
  step "b" {
    until = "event.at + duration('2w')"
  }
}

# A campaign entered by audience has no event, but until may read member
# state and now.
segment "s" {
  when = "member.points > 1"
}

campaign "by_audience" {
  audience = segment.s
  step "a" {
    until = "member.joined_at + duration('30d')"
  }
  step "b" {
    until = "event.at" # ERROR: A step rule has no event.
  }
}

# A send's not_after gives a time too.
template "hi" {
  text = { en = "Hi" }
}

campaign "reminder" {
  enter_on = "meetup.rsvp"
  step "a" {
    until = "event.starts_at - duration('2h')"
    send {
      channel   = "dm"
      template  = template.hi
      not_after = "event.seats" # ERROR: The send rule must give a time, but this one gives a number.
    }
  }
  step "b" {
    send {
      channel   = "dm"
      template  = template.hi
      not_after = "event.starts_at"
    }
  }
}
