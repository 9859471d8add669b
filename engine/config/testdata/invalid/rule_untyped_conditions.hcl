# member.attrs.x has no type: used as a condition where true or false is
# needed, it fails at run time for a string or a number (and beside &&,
# ! or ?: for members without it), so validate warns wherever a rule
# gives a condition, with the comparison to write.

template "hi" {
  text = { en = "Hi" }
}

segment "vips" {
  when = "member.attrs.vip" # WARNING: member.attrs.vip has no type hearth can check, and the segment rule gives it as its condition: where it is not true or false (a string such as "yes", or a number), the rule fails at run time and counts as false. Compare it with true (false when it is missing or anything else): member.attrs.vip == true.
}

tier "insider" {
  rank = 1
  when = "member.points > 100 && member.attrs['insider']" # WARNING: both sides of && must be true or false, so the rule fails at run time for them (and where it is a string or a number), and then counts as false. Compare it with true (false when it is missing or anything else): member.points > 100 && member.attrs['insider'] == true.
  keep = "!member.attrs.banned" # WARNING: ! takes true or false, so the rule fails at run time for them (and where it is a string or a number), and then counts as false. Compare it with true (true when it is missing or anything but true): member.attrs.banned != true.
}

badge "b" {
  revoke_when = "member.attrs.revoked" # WARNING: the badge rule gives it as its condition
}

incentive "vip_posts" {
  on   = "message.posted"
  when = "member.attrs.vip || event.length > 100" # WARNING: member.attrs.vip == true || event.length > 100.
  grant {
    points = 1
  }
}

campaign "vip_welcome" {
  enter_on  = "member.joined"
  exit_when = "member.attrs.churned" # WARNING: member.attrs.churned == true
  step "check" {
    when = "member.attrs.vip" # WARNING: member.attrs.vip == true
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "route" {
    branch {
      when = "member.attrs.beta ? member.points > 3 : false" # WARNING: the condition of ?: must be true or false
      goto = "check"
    }
    wait_until = "not member.attrs.away" # WARNING: member.attrs.away != true
    timeout    = "7d"
  }
}

# Comparisons and other uses are fine.
segment "fine" {
  when = "member.attrs.vip == true || member.attrs.plan == 'pro' || (member.attrs.n ?? 0) > 3 || 'beta' in member.attrs"
}
