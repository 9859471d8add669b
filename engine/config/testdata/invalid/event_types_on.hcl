# Event types in on, enter_on and moderation rules must exist.

event "meetup.attended" {}

incentive "a" {
  on = "mesage.posted" # ERROR: There is no event type "mesage.posted". Did you mean "message.posted"?
  grant {
    points = 1
  }
}

incentive "b" {
  on = ["message.posted", "reaction.add", "meetup.atended"] # ERROR: Did you mean "reaction.added"? # ERROR: Did you mean "meetup.attended"?
  grant {
    points = 1
  }
}

incentive "c" {
  on = [] # ERROR: on must name at least one event type.
  # Without event types, the rule's event attributes are not checked.
  when = "event.anything > 1 && member.pionts > 1" # ERROR: Did you mean "points"?
  grant {
    points = 1
  }
}

incentive "d" {
  on = 42 # ERROR: Invalid event types
  grant {
    points = 1
  }
}

campaign "e" {
  enter_on = "member.join" # ERROR: Did you mean "member.joined"?
  step "s" {
    wait = "1d"
  }
}

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  moderation "m" {
    on     = ["message.posted", "mesage.edited"] # ERROR: Did you mean "message.edited"?
    action = "flag"
    when   = "event.text != ''"
  }
}
