# Rule tests for the ladder and the rewards: run `hearth test
# examples/partner-program`. Times are offsets from the start.

# One friend joining twelve times through ray's link (a platform telling
# it again, or someone leaving and coming back through it) is one friend:
# ray is paid for them once.
test "a friend who joins pays the referrer once, however often they join" {
  event "member.joined" {
    id     = "join"
    member = "friend"
    at     = "1h"
    repeat = 12
    attrs  = { referrer = "ray" }
  }
  expect "ray" {
    at     = "1d"
    points = 20
    tier   = "fan"
  }
  expect "friend" {
    at     = "1d"
    points = 0
  }
}

# Nobody refers themselves: a join naming its own member as referrer
# credits nobody, and a conversion naming the referrer as referee counts
# no referral and pays nothing.
test "self-referrals pay nothing" {
  event "member.joined" {
    member = "sly"
    at     = "1h"
    attrs  = { referrer = "sly" }
  }
  event "referral.converted" {
    member = "sly"
    at     = "2h"
    repeat = 3
    attrs  = { referee = "sly" }
  }
  expect "sly" {
    at     = "1d"
    points = 0
    badges = []
  }
}

# The platform reporting one friend as converted five times is one
# friend: 150 points and the bronze badge, not the silver one.
test "one friend converting five times counts once" {
  event "referral.converted" {
    member = "ray"
    at     = "1h"
    repeat = 5
    every  = "1d"
    attrs  = { referee = "friend" }
  }
  expect "ray" {
    at     = "6d"
    points = 150
    badges = ["advocate_bronze"]
  }
}

test "friends who stay earn points and the advocate badges" {
  event "referral.converted" {
    member = "ray"
    at     = "1h"
    attrs  = { referee = "friend_1" }
  }
  event "referral.converted" {
    member = "ray"
    at     = "1d1h"
    attrs  = { referee = "friend_2" }
  }
  event "referral.converted" {
    member = "ray"
    at     = "2d1h"
    attrs  = { referee = "friend_3" }
  }
  event "referral.converted" {
    member = "ray"
    at     = "3d1h"
    attrs  = { referee = "friend_4" }
  }
  event "referral.converted" {
    member = "ray"
    at     = "4d1h"
    attrs  = { referee = "friend_5" }
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
    at     = "1h0m"
    attrs  = { referee = "friend_1" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h1m"
    attrs  = { referee = "friend_2" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h2m"
    attrs  = { referee = "friend_3" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h3m"
    attrs  = { referee = "friend_4" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h4m"
    attrs  = { referee = "friend_5" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h5m"
    attrs  = { referee = "friend_6" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h6m"
    attrs  = { referee = "friend_7" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h7m"
    attrs  = { referee = "friend_8" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h8m"
    attrs  = { referee = "friend_9" }
  }
  event "referral.converted" {
    member = "ivy"
    at     = "1h9m"
    attrs  = { referee = "friend_10" }
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
