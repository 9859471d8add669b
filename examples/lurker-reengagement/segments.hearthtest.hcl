# Rule tests for the segments: run `hearth test
# examples/lurker-reengagement`. Times are offsets from the start.

test "a new member is a newcomer, not yet a lurker" {
  event "member.joined" {
    member = "nia"
    at     = "1h"
  }
  expect "nia" {
    at              = "5d"
    in_segments     = ["newcomers"]
    not_in_segments = ["lurker", "potential"]
  }
}

test "three silent weeks make a lurker" {
  event "member.joined" {
    member = "lee"
    at     = "1h"
  }
  expect "lee" {
    at              = "20d"
    not_in_segments = ["lurker"]
  }
  expect "lee" {
    at              = "22d"
    in_segments     = ["lurker"]
    not_in_segments = ["newcomers", "potential", "active", "at_risk"]
  }
}

test "a lurker who reacts a lot is potential instead" {
  event "member.joined" {
    member = "pat"
    at     = "1h"
  }
  event "reaction.added" {
    member = "pat"
    at     = "25d"
    repeat = 5
    every  = "1d"
  }
  expect "pat" {
    at          = "24d"
    in_segments = ["lurker"]
  }
  expect "pat" {
    at              = "30d"
    in_segments     = ["potential"]
    not_in_segments = ["lurker"]
  }
}

test "one post ends lurking" {
  event "member.joined" {
    member = "lee"
    at     = "1h"
  }
  event "message.posted" {
    member = "lee"
    at     = "40d"
    attrs  = { channel = "introductions", length = 42 }
  }
  expect "lee" {
    at          = "39d"
    in_segments = ["lurker"]
  }
  expect "lee" {
    at              = "41d"
    not_in_segments = ["lurker"]
  }
}

test "a regular poster is active, then at risk when they go quiet" {
  event "message.posted" {
    member = "ana"
    at     = "1h"
    repeat = 10
    every  = "1d"
    attrs  = { channel = "general", length = 80 }
  }
  expect "ana" {
    at          = "10d"
    in_segments = ["active"]
  }
  expect "ana" {
    at              = "40d"
    in_segments     = ["at_risk"]
    not_in_segments = ["active", "lurker"]
  }
}

test "half a year of steady posting makes an old-timer" {
  event "message.posted" {
    member = "old"
    at     = "1h"
    repeat = 70
    every  = "3d"
    attrs  = { channel = "general", length = 80 }
  }
  expect "old" {
    at              = "170d"
    not_in_segments = ["loyal"]
  }
  expect "old" {
    at          = "190d"
    in_segments = ["loyal", "active"]
  }
}
