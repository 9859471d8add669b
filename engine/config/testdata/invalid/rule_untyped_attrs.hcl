# member.attrs.x has no type and is nil for members without it: ordering
# or arithmetic on it fails at run time, so validate warns, with the fix.

event "quiz.answered" {
  attributes = {
    score = "int"
    extra = "any"
  }
}

segment "reputable" {
  when = "member.attrs.reputation > 10" # WARNING: Rule may fail at run time
}

segment "reputable_detail" {
  when = "member.attrs.reputation >= 10" # WARNING: member.attrs.reputation has no type hearth can check and is missing (nil) for members without that attribute; >= on a missing value fails at run time, and the rule then counts as false for them. Give it a default: (member.attrs.reputation ?? 0) >= 10.
}

segment "reversed" {
  when = "100 < member.attrs['views'] && member.points > 1" # WARNING: Give it a default: 100 < (member.attrs['views'] ?? 0).
}

segment "strings" {
  when = "member.attrs.country >= 'M'" # WARNING: (member.attrs.country ?? '') >= 'M'
}

segment "arithmetic" {
  when = "member.attrs.upvotes - member.attrs.downvotes > 5" # WARNING: member.attrs.upvotes # WARNING: member.attrs.downvotes
}

# Defaults, nil checks, in, and equality are fine.
segment "fine" {
  when = "(member.attrs.reputation ?? 0) > 10 || member.attrs.karma != nil && member.attrs.karma > 3 || 'stars' in member.attrs && member.attrs.stars > 1 || member.attrs.role == 'admin'"
}

incentive "scored" {
  on   = "quiz.answered"
  when = "event.score > 5 && event.extra > 1" # WARNING: event.extra has no type hearth can check and is missing (nil) for events without that attribute (it is declared "any")
  grant {
    points = 1
  }
}
