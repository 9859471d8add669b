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
