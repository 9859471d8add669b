# References that stop short or go too far.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local # ERROR: "platform.local" is incomplete: write platform.TYPE.NAME.
  role "core" {}
}

segment "active" {
  community = community # ERROR: "community" is incomplete: write community.NAME.
  when      = "true"
  role      = community.explorers.role # ERROR: inside a community, refer to community.explorers.role.ROLE
}

tier "regular" {
  rank = 1
  when = "true"
  role = community.explorers.role.core.extra # ERROR: inside a community, refer to
}

campaign "onboarding" {
  audience = segment.active.members # ERROR: "segment.active.members" has too many parts: write segment.NAME.
  step "wait" {
    wait = "1d"
  }
}
