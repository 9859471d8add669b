# Conditions give a bool; the grant's `to` gives a member id string.

segment "a" {
  when = "member.points" # ERROR: The segment rule must give a bool, but this one got int.
}

segment "b" {
  when = "member.name + '!'" # ERROR: must give a bool, but this one got string
}

badge "c" {
  revoke_when = "member.strikes * 2" # ERROR: The badge rule must give a bool
}

incentive "d" {
  on = "message.posted"
  grant {
    to     = "event.links" # ERROR: The grant rule must give a string, but this one got int.
    points = 1
  }
}

campaign "e" {
  enter_on  = "member.joined"
  stop_when = "member.messages" # ERROR: The campaign rule must give a bool, but this one got int.
  step "s" {
    branch {
      when = "member.messages" # ERROR: The branch rule must give a bool
      goto = "exit"
    }
  }
}
