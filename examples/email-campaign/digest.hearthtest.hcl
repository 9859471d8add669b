# Rule tests for the monthly digest: run `hearth test
# examples/email-campaign`. The tests start on 2026-11-30, so the first
# occurrence is 2026-12-01 at 10:00 Berlin time (09:00 UTC, "1d9h").

test "the digest goes out on the 1st at 10:00 Berlin time" {
  start = "2026-11-30T00:00:00Z"
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  # A minute before: nothing yet.
  expect "ada" {
    at = "1d8h59m"
    campaign "digest" {
      sent = []
    }
  }
  expect "ada" {
    at = "1d9h"
    campaign "digest" {
      key    = "2026-12-01"
      status = "done"
      ended  = "finished"
      sent   = ["digest"]
      message "digest" {
        subject = "Lantern this month"
        at      = "1d9h"
      }
    }
  }
}

test "a member who joins on the 2nd gets the next month's" {
  start = "2026-11-30T00:00:00Z"
  event "member.joined" {
    member = "bo"
    at     = "2d12h"
  }
  expect "bo" {
    at = "31d"
    campaign "digest" {
      key    = "2026-12-01"
      status = "none"
    }
  }
  expect "bo" {
    at = "32d9h"
    campaign "digest" {
      key   = "2027-01-01"
      ended = "finished"
      sent  = ["digest"]
    }
  }
}

test "a member who leaves the segment gets no more" {
  start = "2026-11-30T00:00:00Z"
  event "member.joined" {
    member = "cyd"
    at     = "1h"
  }
  event "email.unsubscribed" {
    member = "cyd"
    at     = "10d"
  }
  expect "cyd" {
    at              = "40d"
    not_in_segments = ["subscribers"]
    campaign "digest" {
      key   = "2026-12-01"
      ended = "finished"
    }
    campaign "digest" {
      key    = "2027-01-01"
      status = "none"
    }
  }
}

test "two occurrences are two runs" {
  start = "2026-11-30T00:00:00Z"
  event "member.joined" {
    member = "dee"
    at     = "1h"
  }
  # Events in between change nothing: one run per occurrence.
  event "message.posted" {
    member = "dee"
    at     = "1d9h"
    attrs = {
      channel = "help"
    }
  }
  expect "dee" {
    at = "33d"
    campaign "digest" {
      sent = ["digest", "digest"]
    }
    campaign "digest" {
      key   = "2026-12-01"
      ended = "finished"
      runs  = 1
    }
    campaign "digest" {
      key   = "2027-01-01"
      ended = "finished"
      runs  = 1
    }
  }
}
