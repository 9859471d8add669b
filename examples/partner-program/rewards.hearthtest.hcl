# Rule tests for the ladder and the rewards: run `hearth test
# examples/partner-program`. Times are offsets from the start.

# One event block stands in for twelve sign-ups through ray's link.
test "an invited friend pays the referrer, up to ten a month" {
  event "member.joined" {
    id     = "join"
    member = "friend"
    at     = "1h"
    repeat = 12
    attrs  = { referrer = "ray" }
  }
  expect "ray" {
    at     = "1d"
    points = 200
    tier   = "fan"
  }
  expect "friend" {
    at     = "1d"
    points = 0
  }
}

test "friends who stay earn points and the advocate badges" {
  event "referral.converted" {
    member = "ray"
    at     = "1h"
    repeat = 5
    every  = "1d"
    attrs  = { referee = "friend" }
  }
  expect "ray" {
    at     = "1d"
    points = 150
    badges = ["advocate_bronze"]
  }
  expect "ray" {
    at     = "6d"
    points = 950
    badges = ["advocate_bronze", "advocate_silver"]
  }
}

test "reactions reward the author, at most 40 points a day" {
  event "reaction.added" {
    member = "fan"
    at     = "1h"
    repeat = 50
    attrs  = { target_member = "author", emoji = "heart" }
  }
  expect "author" {
    at     = "1d"
    points = 40
  }
  expect "fan" {
    at     = "1d"
    points = 0
  }
}

test "spending points does not cost a tier" {
  event "checkin" {
    member = "sam"
    at     = "1h"
    repeat = 8
    every  = "1d"
    attrs  = { place = "Shenzhen" }
  }
  event "reward.redeemed" {
    member = "sam"
    at     = "9d"
    attrs  = { item = "sticker_pack" }
  }
  expect "sam" {
    at     = "10d"
    points = 120
    tier   = "supporter"
    badges = ["meetup_regular"]
  }
}

test "partners are appointed" {
  event "message.posted" {
    member = "discord:184467442"
    at     = "1h"
    attrs  = { channel = "general", length = 5 }
  }
  expect "discord:184467442" {
    at   = "1d"
    tier = "partner"
  }
}

# Ten friends who became active make 1,700 points earned at once, but
# ambassador also takes 10 active days in 30: ivy is a supporter on her
# sixth (from 6d), qualifies for ambassador on her tenth (10d), and is
# promoted when its 14-day window, counted from then, ends.
test "an ambassador qualifies for two weeks first" {
  event "referral.converted" {
    member = "ivy"
    at     = "1h"
    repeat = 10
    attrs  = { referee = "friend" }
  }
  event "message.posted" {
    member = "ivy"
    at     = "1d"
    repeat = 10
    every  = "1d"
    attrs  = { channel = "general", length = 5 }
  }
  expect "ivy" {
    at   = "6d1h"
    tier = "supporter"
  }
  expect "ivy" {
    at   = "23d23h"
    tier = "supporter"
  }
  expect "ivy" {
    at   = "24d1h"
    tier = "ambassador"
  }
}
