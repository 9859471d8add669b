# Event rules read the attributes of the event types they listen to.

incentive "referral" {
  on   = "member.joined"
  when = "event.refferer != ''" # ERROR: event has no attribute "refferer" in this rule. Did you mean "referrer"?
  grant {
    to     = "event.referer" # ERROR: Did you mean "referrer"?
    points = 50
  }
}

incentive "attrs" {
  on   = "member.joined"
  when = "event.attrs.referrer != ''" # ERROR: Event attributes are read as event.referrer in rules; attrs is only where events files (JSONL) and test files write them.
  grant {
    points = 1
  }
}

incentive "links" {
  # links exists on message.posted but not on reaction.added.
  on   = ["message.posted", "reaction.added"]
  when = "event.links > 3" # ERROR: Only some of the event types it listens to (message.posted, reaction.added) have links
  grant {
    points = 1
  }
}

incentive "typed" {
  on   = "purchase.made"
  when = "event.amount > 'ten'" # ERROR: mismatched types float64 and string
  grant {
    points = 1
  }
}

community "c" {
  title    = "C"
  platform = platform.local.main
  moderation "links" {
    action = "flag"
    when   = "event.linkz > 3" # ERROR: Did you mean "links"?
  }
}

platform "local" "main" {}
