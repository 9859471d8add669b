# Rule tests for the house rules and the alerts: hearth test .

test "ads climb the ladder and strikes fade after 30 days" {
  event "message.posted" {
    member = "ann"
    at     = "1h"
    attrs  = { text = "Lovely oolong, DM me for price!", post_id = "p1" }
  }
  event "message.posted" {
    member = "ann"
    at     = "1d"
    attrs  = { text = "想要的加微信，私聊价格", post_id = "p2" }
  }
  event "message.posted" {
    member = "ann"
    at     = "2d"
    attrs  = { text = "代购正品龙井", post_id = "p3" }
  }
  expect "ann" {
    at      = "2d1h"
    strikes = 3
    actions = ["warn", "mute 1h", "mute 1d"]
  }
  # Each strike fades 30 days after it: by day 33 all three have.
  expect "ann" {
    at      = "33d"
    strikes = 0
  }
}

test "Chinese matches inside a sentence, English only as whole words" {
  event "message.posted" {
    member = "bo"
    at     = "1h"
    attrs  = { text = "这家店卖假茶吗？" }
  }
  event "message.posted" {
    member = "cy"
    at     = "1h"
    attrs  = { text = "Counterfeiting is a problem, but this counterfeitish joke is not a keyword" }
  }
  event "message.posted" {
    member = "di"
    at     = "1h"
    attrs  = { text = "Is this counterfeit?" }
  }
  expect "bo" {
    strikes = 0
    actions = ["flag"]
  }
  expect "cy" {
    actions = []
  }
  expect "di" {
    actions = ["flag"]
  }
}

test "ads are fine in #market only" {
  event "message.posted" {
    member = "ivy"
    at     = "1h"
    attrs  = { text = "Selling aged puerh, DM me for price", channel = "market" }
  }
  event "message.posted" {
    member = "ivy"
    at     = "2h"
    attrs  = { text = "Selling aged puerh, DM me for price", channel = "general" }
  }
  expect "ivy" {
    strikes = 1
    actions = ["warn"]
  }
}

test "scam links are two strikes at once" {
  event "message.posted" {
    member = "eve"
    at     = "1h"
    attrs  = { text = "FREE USDT here https://bit.ly/xyz", post_id = "p9" }
  }
  expect "eve" {
    strikes = 2
    actions = ["mute 1h"]
  }
}

test "flooding, link and mention spam" {
  event "message.posted" {
    member = "fay"
    at     = "1h"
    attrs  = { text = "hi" }
    repeat = 6
    every  = "5s"
  }
  event "message.posted" {
    member = "gus"
    at     = "1h"
    attrs  = { text = "http://a.example http://b.example http://c.example http://d.example" }
  }
  event "message.posted" {
    member = "hal"
    at     = "1h"
    attrs  = { text = "@a @b @c @d @e @f look" }
  }
  expect "fay" {
    strikes = 1
    actions = ["warn"]
  }
  expect "gus" {
    actions = ["warn"]
  }
  expect "hal" {
    actions = ["warn"]
  }
}

# Ten quick lines are one flood: a warning, then the rest of the burst
# is flagged, not a climb from a warning to a ban within seconds.
test "a burst of messages is one offence" {
  event "message.posted" {
    member = "ivo"
    at     = "1h"
    attrs  = { text = "one more line" }
    repeat = 10
    every  = "1s"
  }
  expect "ivo" {
    strikes = 1
    actions = ["warn", "flag", "flag", "flag", "flag"]
  }
}

test "a wave of complaints fires once, then waits for its cool-down" {
  event "message.posted" {
    member = "ann"
    at     = "1h"
    attrs  = { text = "My order never arrived, this is a scam" }
    repeat = 6
    every  = "1m"
  }
  event "message.posted" {
    member = "bo"
    at     = "3h"
    attrs  = { text = "好喝，回甘很棒" }
  }
  event "message.posted" {
    member = "cy"
    at     = "4h"
    attrs  = { text = "茶叶发霉了，要求退款" }
    repeat = 5
    every  = "1m"
  }
  event "message.posted" {
    member = "cy"
    at     = "12h"
    attrs  = { text = "still moldy, never arrived" }
    repeat = 5
    every  = "1m"
  }
  expect_alert "negative_spike" {
    fired      = 2
    suppressed = 1
  }
  expect_alert "leaving_wave" {
    fired = 0
  }
}

test "members leaving in a wave" {
  event "member.joined" {
    member = "a"
    at     = "1h"
  }
  event "member.joined" {
    member = "b"
    at     = "1h"
  }
  event "member.joined" {
    member = "c"
    at     = "1h"
  }
  event "member.joined" {
    member = "d"
    at     = "1h"
  }
  event "member.joined" {
    member = "e"
    at     = "1h"
  }
  event "member.left" {
    member = "a"
    at     = "2d"
  }
  event "member.left" {
    member = "b"
    at     = "2d1h"
  }
  event "member.left" {
    member = "c"
    at     = "2d2h"
  }
  event "member.left" {
    member = "d"
    at     = "2d3h"
  }
  event "member.left" {
    member = "e"
    at     = "2d4h"
  }
  expect_alert "leaving_wave" {
    fired = 1
  }
}
