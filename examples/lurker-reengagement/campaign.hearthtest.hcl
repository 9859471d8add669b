# Rule tests for the re-engagement campaign: run `hearth test
# examples/lurker-reengagement`. The split gives each member an opener by
# a hash of their id; a member block pins it, so one member, lee, can go
# down each arm.

test "the dm arm opens with a personal DM" {
  member "lee" {
    variants = { lurker_reengagement = "dm" }
  }
  event "member.joined" {
    member = "lee"
    at     = "1h"
  }
  # Three silent weeks make lee a lurker, and the campaign starts; the
  # opener waits for ten in the morning.
  expect "lee" {
    at = "22d"
    campaign "lurker_reengagement" {
      variant = "dm"
      step    = "wait_for_response"
      sent    = ["dm_opener"]
    }
  }
  # lee answers with a post: the goal, which counts for the dm arm.
  event "message.posted" {
    member = "lee"
    at     = "23d"
    attrs  = { channel = "introductions", length = 42 }
  }
  expect "lee" {
    campaign "lurker_reengagement" {
      status = "done"
      ended  = "goal"
    }
  }
}

test "the email arm opens with the digest email" {
  member "lee" {
    variants = { lurker_reengagement = "email" }
  }
  event "member.joined" {
    member = "lee"
    at     = "1h"
  }
  expect "lee" {
    at = "22d"
    campaign "lurker_reengagement" {
      variant = "email"
      step    = "wait_for_response"
      sent    = ["email_opener"]
    }
  }
}
