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

# A block for a standard type adds attributes; it does not redefine the
# type's own, nor its activity or description.
event "checkin" {
  activity = false # ERROR: "checkin" is a standard event type, and its activity is hearth's
  attributes = {
    place = "string" # ERROR: "place" is already an attribute of this standard event type
    mood  = "string"
  }
}

incentive "moody_checkin" {
  on   = "checkin"
  when = "event.mood == 'great' && event.place != ''"
  grant {
    points = 1
  }
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

event "member.joined" {
  description = "x" # ERROR: "member.joined" is a standard event type, and its description is hearth's
}

incentive "once_per_number" {
  on       = "checkin"
  once_per = "member.points" # ERROR: must give a string
  grant {
    points = 1
  }
}

incentive "once_per_typo" {
  on       = "referral.converted"
  once_per = "event.refere" # ERROR: event has no attribute "refere"
  grant {
    points = 1
  }
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

incentive "once_and_once_per" {
  on       = "referral.converted"
  once     = true
  once_per = "event.referee" # WARNING: once_per has no effect with once
  grant {
    points = 1
  }
}
