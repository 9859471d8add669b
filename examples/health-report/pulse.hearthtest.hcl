# Rule tests: run `hearth test examples/health-report`.

test "a survey reply in a direct message is an answer and earns points once" {
  event "member.joined" {
    member = "ana"
    at     = "1h"
  }
  event "message.direct" {
    member = "ana"
    at     = "2d"
    attrs  = { text = "pulse recommend 9 more_of=workshops" }
  }
  event "message.direct" {
    member = "ana"
    at     = "3d"
    attrs  = { text = "pulse recommend 10" }
  }
  expect "ana" {
    at     = "4d"
    points = 10
  }
}

test "referrals pay the referrer, rewards cost points" {
  event "member.joined" {
    member = "ben"
    at     = "1h"
  }
  event "member.joined" {
    member = "cy"
    at     = "2h"
    attrs  = { referrer = "ben" }
  }
  event "reward.redeemed" {
    member = "ben"
    at     = "3h"
    attrs  = { reward = "sticker", cost = 20 }
  }
  expect "ben" {
    at     = "1d"
    points = 10
  }
}

test "posting up to the daily cap makes a regular" {
  event "member.joined" {
    member = "dee"
    at     = "1h"
  }
  event "message.posted" {
    member = "dee"
    at     = "1d"
    repeat = 10
    every  = "1d"
  }
  expect "dee" {
    at   = "12d"
    tier = "regular"
  }
}
