# Segments defined through each other cannot be decided.

segment "a" {
  when = "in_segment('b') && member.points > 10" # ERROR: segment.a → segment.b → segment.a
}

segment "b" {
  when = "in_segment('a')"
}

segment "self" {
  when = "!in_segment('self')" # ERROR: Cycle between segments
}

# Reading a segment that is in a cycle is not itself a cycle.
segment "c" {
  when = "in_segment('a')"
}

# A chain without a cycle is fine.
segment "d" {
  when = "in_segment('c')"
}

segment "x" {
  when = "in_segment('y')" # ERROR: segment.x → segment.y → segment.z → segment.x
}

segment "y" {
  when = "in_segment('z')"
}

segment "z" {
  when = "in_segment('x') || in_segment('d')"
}
