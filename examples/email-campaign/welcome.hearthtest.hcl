# Rule tests for the welcome series: run `hearth test
# examples/email-campaign`. Times are offsets from the start.

test "unsubscribing records the choice on the member" {
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
}
