# Every mistake of a rule is reported in one run, each at its place; a
# type error of expr only where hearth found nothing wrong.

segment "a" {
  when = "count('mesage.posted', '30d') == 0 && member.pointz > 1" # ERROR: no event type named "mesage.posted" # ERROR: member has no field "pointz"
}

segment "b" {
  when = "count('checkin', '12h') > 0 || in_segment('b2') || memer.points > 1" # ERROR: whole days # ERROR: no segment named "b2" # ERROR: Unknown name "memer"
}

segment "c" {
  when = "member.points >= 'x' && community.membrs > 1" # ERROR: mismatched types int and string # ERROR: community has no field "membrs"
}

# A warning beside an error.
segment "d" {
  when = "member.strikez > 1 && member.attrs.level > 3" # ERROR: Did you mean "strikes"? # WARNING: member.attrs.level has no type hearth can check
}

# No follow-on errors: the comparison of a wrong field, the arguments of a
# call with too few.
segment "e" {
  when = "member.pointz + 1 > 'x' && count(member.pointz) > 1" # ERROR: member has no field "pointz" # ERROR: count takes 2 argument(s), got 1.
}

incentive "f" {
  on   = "member.joined"
  when = "event.refferer != '' && event.invit != ''" # ERROR: Did you mean "referrer"? # ERROR: Did you mean "invite"?
  grant {
    points = 1
  }
}
