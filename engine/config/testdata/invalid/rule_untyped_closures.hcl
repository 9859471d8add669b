# member.attrs.x in a predicate (any, filter), read with ?. or given a
# default of no type (??) is as untyped as a bare one: validate warns,
# with the fix. A ?? followed by another operator is an error.

event "quiz.answered" {
  attributes = {
    extra = "any"
    tags  = "list"
  }
}

segment "tagged" {
  when = "any(member.attrs.tags, {# > 3})" # WARNING: any on a missing list fails at run time, and the rule then counts as false for them. Give it a default: any(member.attrs.tags ?? [], {# > 3}).
}

segment "scored" {
  when = "member.points > 1 && all(member.attrs.items ?? [], {.score >= 2})" # WARNING: .score of an element of member.attrs.items has no type hearth can check and is missing (nil) for elements without it; >= on a missing value fails at run time, and the rule then counts as false for them. Give it a default: (.score ?? 0) >= 2.
}

segment "flagged" {
  when = "member.attrs.flags | filter(#) | any(.ok == true)" # WARNING: filter on a missing list # WARNING: # (an element of member.attrs.flags) has no type hearth can check; the predicate of filter must give true or false
}

segment "verified" {
  when = "member.attrs?.verified && member.points > 1" # WARNING: Compare it with true (false when it is missing or anything else): member.attrs?.verified == true && member.points > 1.
}

segment "levelled" {
  when = "(member.attrs.level ?? member.attrs.rank) > 2" # WARNING: member.attrs.level ?? member.attrs.rank has no type hearth can check and is missing (nil) for members without any of them; > on a missing value fails at run time, and the rule then counts as false for them. Give it a default: (member.attrs.level ?? member.attrs.rank ?? 0) > 2.
}

segment "unbracketed" {
  when = "member.attrs.level ?? 0 > 2" # ERROR: Put the value and its default in brackets: (member.attrs.level ?? 0) > 2.
}

incentive "extra" {
  on   = "quiz.answered"
  when = "event?.extra > 1 || any(event.tags, {.x})" # WARNING: event.extra has no type hearth can check and is missing (nil) for events without that attribute (it is declared "any") # WARNING: .x of an element of event.tags has no type hearth can check
  grant {
    points = 1
  }
}

# Defaults of a type, nil checks and comparisons with true are fine.
segment "fine" {
  when = "any(member.attrs.tags ?? [], {# > 3}) || member.attrs.items != nil && any(member.attrs.items, {(.score ?? 0) > 2 && .ok == true}) || (member.attrs?.level ?? 0) > 2 || 2 < member.attrs.rank ?? 0 || member.attrs?.verified == true"
}
