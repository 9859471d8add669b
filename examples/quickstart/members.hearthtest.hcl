# Rule tests for members.hcl: run `hearth test examples/quickstart`.
# Times are offsets from 2026-01-01 00:00 UTC.

test "a first post earns ten points, a point and the badge" {
  event "member.joined" {
    member = "ann"
    at     = "1h"
  }
  event "message.posted" {
    member = "ann"
    at     = "2h"
  }
  expect "ann" {
    points      = 11
    badges      = ["first_post"]
    in_segments = ["newcomers"]
  }
}

test "posting earns at most twenty points a day" {
  event "member.joined" {
    member = "bob"
    at     = "1h"
  }
  event "message.posted" {
    member = "bob"
    at     = "2h"
    repeat = 30
    every  = "1m"
  }
  expect "bob" {
    points = 30 # 10 for the first post, then the cap of 20
  }
}

test "a hundred points make a regular" {
  event "member.joined" {
    member = "cat"
    at     = "1h"
  }
  event "message.posted" {
    member = "cat"
    at     = "2h"
    repeat = 89
    every  = "2h" # twelve a day, under the cap: 10 + 89 = 99
  }
  expect "cat" {
    at     = "8d"
    points = 99
    tier   = ""
  }
  event "message.posted" {
    member = "cat"
    at     = "9d"
  }
  expect "cat" {
    at     = "9d"
    points = 100
    tier   = "regular"
  }
}

test "a referral pays the referrer fifty points" {
  event "member.joined" {
    member = "dan"
    at     = "1h"
  }
  event "member.joined" {
    member = "eve"
    at     = "2h"
    attrs  = { referrer = "dan" }
  }
  expect "dan" {
    points = 50
  }
  expect "eve" {
    points = 0
  }
}

test "a member who names themselves as referrer gets nothing" {
  event "member.joined" {
    member = "gus"
    at     = "1h"
    attrs  = { referrer = "gus" }
  }
  expect "gus" {
    points = 0
  }
}

# A member who joins again through another link, or through the same one,
# while still a member, is no new referral: dan was paid for eve once.
test "joining again pays no referrer again" {
  event "member.joined" {
    member = "dan"
    at     = "1h"
  }
  event "member.joined" {
    member = "eve"
    at     = "2h"
    repeat = 3
    attrs  = { referrer = "dan" }
  }
  event "member.joined" {
    member = "eve"
    at     = "3h"
    attrs  = { referrer = "gus" }
  }
  expect "dan" {
    points = 50
  }
}

test "two weeks without a post make a lurker; a post ends it" {
  event "member.joined" {
    member = "fay"
    at     = "1h"
  }
  expect "fay" {
    at              = "13d"
    in_segments     = ["newcomers"]
    not_in_segments = ["lurkers"]
  }
  expect "fay" {
    at              = "15d"
    in_segments     = ["lurkers"]
    not_in_segments = ["newcomers"]
  }
  event "message.posted" {
    member = "fay"
    at     = "16d"
  }
  expect "fay" {
    at              = "16d"
    not_in_segments = ["lurkers"]
  }
}

test "onboarding welcomes a newcomer, nudges a quiet one, and stops at a first post" {
  event "member.joined" {
    member = "gus"
    at     = "10h"
  }
  expect "gus" {
    campaign "onboarding" {
      status = "active"
      step   = "nudge" # waiting three days before the nudge
      sent   = ["welcome"]
    }
  }
  expect "gus" {
    at = "4d"
    campaign "onboarding" {
      status = "done"
      ended  = "finished"
      sent   = ["welcome", "nudge"]
    }
  }
  event "member.joined" {
    member = "hal"
    at     = "10h"
  }
  event "message.posted" {
    member = "hal"
    at     = "1d"
  }
  expect "hal" {
    at = "4d"
    campaign "onboarding" {
      status = "done"
      ended  = "goal"
      sent   = ["welcome"]
    }
  }
}

test "a newcomer who joins at night is welcomed at eight, after the quiet hours" {
  event "member.joined" {
    member = "ivy"
    at     = "23h"
  }
  expect "ivy" {
    campaign "onboarding" {
      step       = "welcome"
      sent       = []
      held       = "quiet_hours" # 22:00 to 08:00 in the member's time zone
      held_until = "1d8h"
    }
  }
  expect "ivy" {
    at = "1d8h"
    campaign "onboarding" {
      step = "nudge"
      sent = ["welcome"]
      held = "none"
    }
  }
}

# An event posted after it happened (received) is applied at its time, and
# its messages go out when hearth gets it: the quiet hours hold when the
# message goes out, and what is older than the campaign's expire_after (7
# days unless set) is not sent at all.
test "a join received late at night is welcomed at eight" {
  event "member.joined" {
    member   = "kim"
    at       = "20h"
    received = "23h"
  }
  expect "kim" {
    campaign "onboarding" {
      step       = "nudge"
      sent       = []
      held       = "quiet_hours" # when it was to go out, at 23:00
      held_until = "1d8h"
    }
  }
  expect "kim" {
    at = "1d8h"
    campaign "onboarding" {
      sent = ["welcome"]
      held = "none"
    }
  }
}

test "a join received 15 days late sends nothing stale" {
  event "member.joined" {
    member   = "lou"
    at       = "10h"
    received = "15d10h"
  }
  expect "lou" {
    campaign "onboarding" {
      status  = "done"
      ended   = "finished"
      sent    = []
      skipped = ["welcome", "nudge"] # expired: older than 7 days
    }
  }
}
