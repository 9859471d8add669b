# Templates read member, event, community, now, var and local.

variable "support" {
  default = "#help"
}

template "welcome" {
  text = {
    en = "Hi ${member.nmae}!" # ERROR: member has no field "nmae". Did you mean "name"?
    de = "Hallo ${community.titel}" # ERROR: community has no field "titel". Did you mean "title"?
    fr = "Salut ${membr.name}" # ERROR: "membr" is none of them. Did you mean "member"?
    es = "Hola ${user.name}" # ERROR: A template can read "member", "event", "community", "now", "tiers", "badges", "var" or "local"; "user" is none of them.
    it = "Ciao ${var.suport}" # ERROR: There is no variable named "suport". Did you mean "support"?
    pt = "Olá ${local.x}" # ERROR: There is no local value named "x".
    nl = "Hoi ${member.points + "x"}" # ERROR: Unsuitable value for right operand: a number is required.
    da = "Hej ${now.day}" # ERROR: now is the time of the send, RFC 3339 text in UTC, and has no fields
    fi = "Hei ${localdate("hh:mm", timestamp())}" # ERROR: There is no function named "timestamp". A template reads the time of the send as the variable now
    sv = "Hej ${member.name} ${event.anything} ${var.support} ${localdate("hh:mm", now)}"
  }
}
