# Rules over member state have no event.

segment "a" {
  when = "event.type == 'message.posted'" # ERROR: A segment rule has no event.
}

tier "t" {
  rank = 1
  when = "member.points > 1"
  keep = "event.links > 0" # ERROR: A tier rule has no event.
}

badge "b" {
  revoke_when = "event.member != ''" # ERROR: A badge rule has no event.
}

# A campaign entered by audience has no entering event: none of its
# rules reads event.
campaign "c" {
  audience  = segment.a
  exit_when = "event.type == 'member.left'" # ERROR: A campaign rule has no event. campaign "c" enrolls members when they enter segment.a, so its runs have no entering event
  stop_when = "event.type == 'email.unsubscribed'" # ERROR: A campaign rule has no event. campaign "c" enrolls members when they enter segment.a, so its runs have no entering event
  step "s" {
    wait_until = "event.links > 1" # ERROR: A step rule has no event. # WARNING: wait_until without timeout
  }
  step "t" {
    until = "event.at" # ERROR: A step rule has no event.
  }
}

# Nor does one entered both ways: runs from the audience have none.
campaign "both" {
  enter_on = "member.joined"
  audience = segment.a
  step "s" {
    branch {
      when = "event.referrer != ''" # ERROR: A branch rule has no event. campaign "both" also enrolls members when they enter segment.a
      goto = "exit"
    }
  }
}

# One entered with enter_on reads the entering event in every rule, with
# the attributes of its type.
campaign "joined" {
  enter_on  = "member.joined"
  exit_when = "event.referrer != ''"
  stop_when = "event.referrer == 'spam'"
  step "s" {
    wait_until = "event.links > 1" # ERROR: event has no attribute "links" in this rule. # WARNING: wait_until without timeout
  }
}
