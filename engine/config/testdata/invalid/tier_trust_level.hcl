# A tier's discourse block sets a Discourse trust level, 0 to 4, on a
# discourse platform.

platform "local" "main" {
  path = ".hearth/local.json"
}

platform "discourse" "forum" {
  url = "https://forum.example.org"
}

platform "discourse" "staff" {
  url = "https://staff.example.org"
}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
}

community "forum" {
  title    = "Forum"
  platform = platform.discourse.forum
}

tier "basic" {
  rank      = 1
  when      = "member.points >= 10"
  community = community.forum
  discourse {
    trust_level = 5 # ERROR: Discourse trust levels are 0 to 4; 5 is none of them.
  }
}

tier "member" {
  rank = 2
  when = "member.points >= 100"
  discourse { # ERROR: tier "member" sets a Discourse trust level, but the configuration has 2 discourse platform blocks and the tier's community is on none of them.
    trust_level = 2
  }
}

tier "regular" {
  rank = 3
  when = "member.points >= 1000"
  discourse {
    trust_level = 3
    platform    = platform.local.main # ERROR: tier "regular" sets a Discourse trust level, but platform.local.main is a local platform
  }
}

tier "leader" {
  rank = 4
  when = "false"
  discourse { # ERROR: The argument "trust_level" is required
    lock     = true
    platform = platform.discourse.forum
  }
}

tier "elder" {
  rank = 5
  when = "false"
  discourse {
    trust_level = 4
    platform    = platform.discourse.staff
  }
  discourse { # ERROR: Duplicate discourse block
    trust_level = 3
  }
}
