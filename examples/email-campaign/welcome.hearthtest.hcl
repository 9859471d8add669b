# Rule tests for the welcome series: run `hearth test
# examples/email-campaign`. Times are offsets from the start.

test "unsubscribing records the choice and ends the series, as no success" {
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  event "email.unsubscribed" {
    member = "ada"
    at     = "2d"
    attrs = {
      list = "welcome"
    }
  }
  expect "ada" {
    at = "3d"
    attrs = {
      email = "opted_out"
    }
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
      list = "welcome"
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
