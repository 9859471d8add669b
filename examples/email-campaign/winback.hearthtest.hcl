# Rule tests for the win-back series: run `hearth test
# examples/email-campaign`. Times are offsets from the start.

test "a member who stays away gets both emails" {
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  event "message.posted" {
    member = "ada"
    at     = "1d"
    attrs = {
      channel = "help"
    }
  }
  event "member.left" {
    member = "ada"
    at     = "3d"
  }
  expect "ada" {
    at = "60d"
    campaign "winback" {
      status = "done"
      ended  = "finished"
      sent   = ["what_happened", "last_call"]
    }
  }
}

test "a member who never posted gets the news only" {
  event "member.joined" {
    member = "bo"
    at     = "1h"
  }
  event "member.left" {
    member = "bo"
    at     = "3d"
  }
  expect "bo" {
    at = "60d"
    campaign "winback" {
      ended = "finished"
      sent  = ["what_happened"]
    }
  }
}

test "coming back is the goal" {
  event "member.joined" {
    member = "cyd"
    at     = "1h"
  }
  event "member.left" {
    member = "cyd"
    at     = "3d"
  }
  event "member.joined" {
    member = "cyd"
    at     = "12d"
  }
  expect "cyd" {
    at = "60d"
    campaign "winback" {
      ended = "goal"
      sent  = ["what_happened"]
    }
    campaign "welcome_series" {
      runs = 1
    }
  }
}

test "unsubscribing while away ends the win-back, not at the goal" {
  event "member.joined" {
    member = "dee"
    at     = "1h"
  }
  event "member.left" {
    member = "dee"
    at     = "3d"
  }
  # Naming no platform: no email from any email platform.
  event "email.unsubscribed" {
    member = "dee"
    at     = "5d"
  }
  expect "dee" {
    at           = "60d"
    unsubscribed = ["email"]
    campaign "winback" {
      ended = "exited"
      sent  = []
    }
  }
}
