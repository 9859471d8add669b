# The monthly digest: a broadcast on the 1st of each month at ten in the
# morning, Berlin time, to every forum member who still takes Lantern's
# email, whenever they joined. Not a loop with wait = "30d", which would
# drift to each member's own day.

segment "subscribers" {
  description = "Members of the forum who have not unsubscribed from Lantern's email"
  when        = "!member.unsubscribed"
}

campaign "digest" {
  description = "The monthly digest, on the 1st at 10:00 Berlin time"
  community   = community.lantern
  # Who the digest goes to: the members in segment.subscribers at each
  # occurrence. Entering the segment starts nothing by itself; a member
  # who joins on the 2nd gets the next month's. Leaving it (an
  # unsubscribe) drops the member from the next occurrences.
  audience = segment.subscribers

  # Each occurrence starts one run per member, keyed by its date
  # ("2026-12-01"), once, even if hearth run restarts. A run hearth run
  # missed while it was stopped still goes out if it is less than
  # late_by (a day, here the default) late; beyond that, it is skipped.
  schedule {
    every     = "month"
    day       = 1
    at        = "10:00"
    time_zone = "Europe/Berlin"
  }

  step "digest" {
    send {
      channel  = "email"
      template = template.digest
      platform = platform.email.news
    }
  }
}

template "digest" {
  description = "The monthly digest"
  subject = {
    en = "Lantern this month"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      here is what happened at Lantern this month: the releases, the
      questions answered in #help and the pull requests merged.

      You get this because you are a member of the Lantern forum. One
      click on the unsubscribe link of your mail program stops it.
    EOT
  }
}
