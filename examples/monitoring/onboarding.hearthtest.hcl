# Rule tests for the onboarding campaign whose figures the dashboard's
# campaign panels show: run `hearth test examples/monitoring`. A member
# block pins the A/B variant, so one member, ada, can go down each arm.

test "a post after the short welcome is the short arm's goal" {
  member "ada" {
    variants = { onboarding = "short" }
  }
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  expect "ada" {
    at = "2h"
    campaign "onboarding" {
      variant = "short"
      step    = "nudge"
      sent    = ["short_welcome"]
    }
  }
  event "message.posted" {
    member = "ada"
    at     = "1d"
    attrs  = { channel = "general", length = 42 }
  }
  expect "ada" {
    campaign "onboarding" {
      status = "done"
      ended  = "goal"
    }
  }
}

test "a silent newcomer on the guided arm is nudged after three days" {
  member "ada" {
    variants = { onboarding = "guided" }
  }
  event "member.joined" {
    member = "ada"
    at     = "1h"
  }
  expect "ada" {
    at = "4d"
    campaign "onboarding" {
      variant = "guided"
      status  = "done"
      ended   = "finished"
      sent    = ["guided_welcome", "nudge"]
    }
  }
}
