segment "lurkers" {
  description = "Joined, read, never post"
  when        = "member.days_since_joined >= 14 && count('mesage.posted', '30d') == 0"
}

segment "active" {
  when = "active_days('12h') >= 4 && member.pionts > 0"
}

tier "core" {
  rank = 1
  when = "member.points"
}

incentive "referral" {
  on   = "member.joined"
  when = "event.refferer != \"\" && in_segment('activ')"
  grant {
    to     = "event.referrer"
    points = 50
  }
}

badge "b" {
  title       = "中文徽章"
  revoke_when = "member.name == '名字' && member.strikez > 2"
}

segment "seniors" {
  when = "member.tier_rank >= 1"
}

segment "mentors_to_be" {
  when = "in_segment('seniors') && member.points >= 500"
}

tier "mentor" {
  rank = 2
  when = "in_segment('mentors_to_be')"
}

template "hi" {
  text = { en = "Hi" }
}

campaign "welcome" {
  enter_on  = "member.joined"
  exit_when = "member.messages > 0"
  stop_when = "member.atrs.email == 'opted_out'"
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

segment "vips" {
  when = "member.attrs.vip"
}

campaign "vip_tour" {
  enter_on = "member.joined"
  step "tour" {
    when = "member.points > 10 && !member.attrs['opted_out']"
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

segment "tagged" {
  when = "member.points > 1 && any(member.attrs.tags, {# == 'mentor'})"
}

segment "levelled" {
  when = "member.attrs?.level ?? 0 > 2"
}

# Every mistake of a rule, in one run.
segment "quiet" {
  when = "count('mesage.posted', '30d') == 0 && member.pointz > 1 && (member.attrs.karma ?? 0) > 2 && member.attrs.level > 3"
}

# A number in quotes: the error points at the quotes.
segment "regulars" {
  when = "member.points >= '50'"
}
