# Rule tests for the trust level ladder: run `hearth test
# examples/discourse-trust-levels`. Times are offsets from the start.

# Level 3's minimums come from the forum's figures: these tests count
# with the defaults, pinned so -var on the command line does not move them.
variables = {
  topics_created_last_100_days = 240
  posts_created_last_100_days  = 2400
}

test "five topics, thirty posts and ten minutes make a basic user" {
  event "topic.entered" {
    member = "ann"
    at     = "1h"
    repeat = 5
  }
  event "post.read" {
    member = "ann"
    at     = "1h"
    repeat = 30
  }
  event "reading.time" {
    member = "ann"
    at     = "1h"
    repeat = 10
  }
  expect "ann" {
    at     = "1d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

test "nine minutes of reading is not enough" {
  event "topic.entered" {
    member = "ann"
    at     = "1h"
    repeat = 5
  }
  event "post.read" {
    member = "ann"
    at     = "1h"
    repeat = 30
  }
  event "reading.time" {
    member = "ann"
    at     = "1h"
    repeat = 9
  }
  expect "ann" {
    at     = "1d"
    tier   = ""
    badges = []
  }
}

test "level 2 straight from level 0 earns both badges" {
  event "forum.visited" {
    member = "bo"
    at     = "1h"
    repeat = 15
    every  = "1d"
  }
  event "topic.entered" {
    member = "bo"
    at     = "2h"
    repeat = 20
  }
  event "post.read" {
    member = "bo"
    at     = "2h"
    repeat = 100
  }
  event "reading.time" {
    member = "bo"
    at     = "2h"
    repeat = 60
  }
  event "topic.replied" {
    member = "bo"
    at     = "3h"
    repeat = 3
  }
  event "like.given" {
    member = "bo"
    at     = "3h"
  }
  event "like.received" {
    member = "bo"
    at     = "3h"
  }
  expect "bo" {
    at     = "13d"
    tier   = "basic"
    badges = ["basic_user"]
  }
  expect "bo" {
    at     = "15d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

# Fifty days of steady activity: the 600th post read, on day 50, makes a
# regular. With no activity after that, the first 100-day count to fall
# below 90% of its minimum is likes given (30 on days 0 to 29, 27 needed),
# on day 103.
test "level 3 is earned over 100 days and lost below the low-water mark" {
  event "forum.visited" {
    member = "cy"
    at     = "1h"
    repeat = 50
    every  = "1d"
  }
  event "topic.entered" {
    member = "cy"
    at     = "2h"
    repeat = 200
    every  = "6h"
  }
  event "post.read" {
    member = "cy"
    at     = "3h"
    repeat = 600
    every  = "2h"
  }
  event "reading.time" {
    member = "cy"
    at     = "4h"
    repeat = 60
    every  = "1h"
  }
  event "topic.replied" {
    member = "cy"
    at     = "5h"
    repeat = 10
    every  = "4d"
  }
  event "like.given" {
    member = "cy"
    at     = "6h"
    repeat = 30
    every  = "1d"
  }
  event "like.received" {
    member = "cy"
    at     = "7h"
    repeat = 20
    every  = "2d"
  }
  expect "cy" {
    at   = "49d"
    tier = "member"
  }
  expect "cy" {
    at     = "51d"
    tier   = "regular"
    badges = ["basic_user", "member", "regular"]
  }
  expect "cy" {
    at   = "102d"
    tier = "regular"
  }
  expect "cy" {
    at   = "103d"
    tier = "member"
  }
  expect "cy" {
    at     = "110d"
    tier   = "member"
    badges = ["basic_user", "member", "regular"]
  }
}

# Six flagged posts two days after the promotion break the keep rule at
# once, but a new regular cannot be demoted in their first 14 days
# (tl3_promotion_min_duration).
test "a new regular keeps the level through the 14-day grace" {
  event "forum.visited" {
    member = "eve"
    at     = "1h"
    repeat = 50
    every  = "1d"
  }
  event "topic.entered" {
    member = "eve"
    at     = "2h"
    repeat = 200
    every  = "6h"
  }
  event "post.read" {
    member = "eve"
    at     = "3h"
    repeat = 600
    every  = "2h"
  }
  event "reading.time" {
    member = "eve"
    at     = "4h"
    repeat = 60
    every  = "1h"
  }
  event "topic.replied" {
    member = "eve"
    at     = "5h"
    repeat = 10
    every  = "4d"
  }
  event "like.given" {
    member = "eve"
    at     = "6h"
    repeat = 30
    every  = "1d"
  }
  event "like.received" {
    member = "eve"
    at     = "7h"
    repeat = 20
    every  = "2d"
  }
  event "post.flagged" {
    member = "eve"
    at     = "52d"
    repeat = 6
    every  = "1h"
    attrs  = { flag_type = "inappropriate" }
  }
  expect "eve" {
    at   = "60d"
    tier = "regular"
  }
  expect "eve" {
    at   = "66d"
    tier = "member"
  }
}

test "a suspension in the last six months blocks level 3" {
  event "forum.visited" {
    member = "dee"
    at     = "1h"
    repeat = 50
    every  = "1d"
  }
  event "topic.entered" {
    member = "dee"
    at     = "2h"
    repeat = 200
    every  = "6h"
  }
  event "post.read" {
    member = "dee"
    at     = "3h"
    repeat = 600
    every  = "2h"
  }
  event "reading.time" {
    member = "dee"
    at     = "4h"
    repeat = 60
    every  = "1h"
  }
  event "topic.replied" {
    member = "dee"
    at     = "5h"
    repeat = 10
    every  = "4d"
  }
  event "like.given" {
    member = "dee"
    at     = "6h"
    repeat = 30
    every  = "1d"
  }
  event "like.received" {
    member = "dee"
    at     = "7h"
    repeat = 20
    every  = "2d"
  }
  event "account.suspended" {
    member = "dee"
    at     = "10d"
    attrs  = { reason = "heated thread" }
  }
  expect "dee" {
    at   = "50d"
    tier = "member"
  }
}

test "leaders are appointed, not earned" {
  event "forum.visited" {
    member = "alice"
    at     = "1h"
  }
  expect "alice" {
    at   = "1d"
    tier = "leader"
  }
}
