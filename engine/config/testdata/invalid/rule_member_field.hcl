# Rules read member and community fields by name.

segment "a" {
  when = "member.pionts >= 100" # ERROR: member has no field "pionts". Did you mean "points"?
}

segment "b" {
  when = "member.last_active > now" # ERROR: Did you mean "last_active_at"?
}

segment "c" {
  when = "community.membrs > 100" # ERROR: community has no field "membrs". Did you mean "members"?
}

segment "d" {
  when = "member.karma > 3" # ERROR: A profile attribute is read as member.attrs.karma
}

# Profile attributes are free-form (missing ones are nil, hence the ??).
segment "e" {
  when = "(member.attrs.karma ?? 0) > 3"
}
