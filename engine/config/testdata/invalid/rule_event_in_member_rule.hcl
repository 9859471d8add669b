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

campaign "c" {
  enter_on   = "member.joined"
  enter_when = "event.referrer != ''"
  exit_when  = "event.type == 'member.left'" # ERROR: A campaign rule has no event.
  step "s" {
    wait_until = "event.links > 1" # ERROR: A step rule has no event.
  }
}
