# Rule tests for the welcome series: run `hearth test
# examples/email-campaign`. Times are offsets from the start.

test "unsubscribing records the choice and ends the series, as no success" {
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  # As the unsubscribe link of platform.email.news sends it.
  event "email.unsubscribed" {
    member = "ada"
    at     = "2d"
    attrs = {
      platform = "email.news"
      list     = "Lantern welcome <welcome.lantern.example>"
    }
  }
  expect "ada" {
    at           = "3d"
    unsubscribed = ["email.news"]
  }
  # stop_when ended the series at the unsubscribe: "exited", not "goal",
  # and the quick start due on day three never went.
  expect "ada" {
    at = "30d"
    campaign "welcome_series" {
      status = "done"
      ended  = "exited"
      sent   = ["welcome"]
    }
  }
}

test "a member who stays subscribed gets the whole series" {
  event "member.joined" {
    member = "bo"
    at     = "1h"
  }
  expect "bo" {
    at = "30d"
    campaign "welcome_series" {
      ended = "finished"
      sent  = ["welcome", "first_steps", "contribute"]
    }
  }
}

test "resubscribing lifts the unsubscribe" {
  event "member.joined" {
    member = "cyd"
    at     = "1h"
  }
  event "email.unsubscribed" {
    member = "cyd"
    at     = "2h"
    attrs = {
      platform = "email.news"
    }
  }
  event "email.resubscribed" {
    member = "cyd"
    at     = "5d"
    attrs = {
      platform = "email.news"
    }
  }
  expect "cyd" {
    at           = "4d"
    unsubscribed = ["email.news"]
  }
  expect "cyd" {
    at           = "6d"
    unsubscribed = []
    # The welcome waited for the end of the quiet hours (08:00), and the
    # unsubscribe came first: the series ended with nothing sent, and
    # does not start again.
    campaign "welcome_series" {
      ended = "exited"
      sent  = []
    }
  }
}

# Joined at night, the welcome waits for the end of the quiet hours;
# an unsubscribe before then ends the series, and the held welcome never
# goes: nothing holds a run that ended.
test "an unsubscribe at night ends the series before the held welcome" {
  event "member.joined" {
    member = "cy"
    at     = "22h"
  }
  expect "cy" {
    at = "22h30m"
    campaign "welcome_series" {
      step       = "welcome"
      held       = "quiet_hours"
      held_until = "1d8h"
    }
  }
  event "email.unsubscribed" {
    member = "cy"
    at     = "23h"
    attrs = {
      platform = "email.news"
    }
  }
  expect "cy" {
    at = "2d"
    campaign "welcome_series" {
      status = "done"
      ended  = "exited"
      held   = "none"
      sent   = []
    }
  }
}

# A hard bounce of the member's address (the outbox records
# email.bounced as the email dead-letters) ends the series too, as
# exited. A bounce is of an address, so the test gives the member one.
test "a bounce ends the series, as no success" {
  member "dee" {
    identities = { email = "dee@example.org" }
  }
  event "member.joined" {
    member = "dee"
    at     = "1h"
  }
  event "email.bounced" {
    member = "dee"
    at     = "1d"
    attrs = {
      platform = "email.news"
      code     = "550 5.1.1"
    }
  }
  expect "dee" {
    at      = "30d"
    bounced = ["email.news"]
    campaign "welcome_series" {
      status = "done"
      ended  = "exited"
      sent   = ["welcome"]
    }
  }
}
