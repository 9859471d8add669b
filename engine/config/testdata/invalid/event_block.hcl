# Custom event types and their attributes.

event "meetup.attended" {
  description = "A member came to a meetup"
  attributes = {
    city   = "string"
    guests = "integer" # ERROR: Attribute "guests" has type "integer"; use one of
    type   = "string" # ERROR: Every event already has "type"; pick another name.
    n      = int # ERROR: Write the type of "n" in quotes: n = "int".
    when   = "time"
  }
}

event "Meetup" { # ERROR: "Meetup" is not a valid event type; use lower-case names
}

# Its uses are not reported again as unknown types.
incentive "meetup_upper" {
  on = "Meetup"
  grant {
    points = 1
  }
}

event "checkin" { # ERROR: "checkin" is a standard event type
}

event "meetup..x" { # ERROR: Invalid event type name
}

# A custom type needs no dot, like the standard "checkin".
event "raffle_won" {
  attributes = {
    prize = "string"
  }
}

incentive "raffle" {
  on   = "raffle_won"
  when = "event.prize != ''"
  grant {
    points = 5
  }
}

event "member.joined" { # ERROR: "member.joined" is a standard event type
}

event "meetup.attended" { # ERROR: An event named "meetup.attended" is already defined
}

event "meetup.cancelled" {
  activity = "sometimes" # ERROR: activity must be a bool; got string.
}

# Attributes that could not be read are not reported again where rules
# use them.
incentive "meetup" {
  on   = "meetup.attended"
  when = "event.city != '' && event.guests > 1 && event.n > 0 && event.when > now"
  grant {
    points = 5
  }
}
