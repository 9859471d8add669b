# Templates read member, event, community, var and local.

variable "support" {
  default = "#help"
}

template "welcome" {
  text = {
    en = "Hi ${member.nmae}!" # ERROR: member has no field "nmae". Did you mean "name"?
    de = "Hallo ${community.titel}" # ERROR: community has no field "titel". Did you mean "title"?
    fr = "Salut ${membr.name}" # ERROR: "membr" is none of them. Did you mean "member"?
    es = "Hola ${user.name}" # ERROR: A template can read "member", "event", "community", "var" or "local"; "user" is none of them.
    it = "Ciao ${var.suport}" # ERROR: There is no variable named "suport". Did you mean "support"?
    pt = "Olá ${local.x}" # ERROR: There is no local value named "x".
    nl = "Hoi ${member.points + "x"}" # ERROR: Unsuitable value for right operand: a number is required.
    sv = "Hej ${member.name} ${event.anything} ${var.support}"
  }
}
