# Win back members who left the forum: a week after they leave, an email
# saying what happened since; three weeks later, a last one. Coming back
# (a member.joined) is the goal and ends the series at once.

campaign "winback" {
  description = "Email members who left the forum, and stop when they come back"
  community   = community.lantern
  # members = "left": the campaign is for members who have left, who get
  # no direct message in the forum any more, so every step sends email
  # (validate refuses a "dm" here). Their address is the "email"
  # identity their events carried.
  members  = "left"
  enter_on = "member.left"
  # Not for someone who asked for no email, and never after they ask:
  # an unsubscribe ends the run as "exited", not at the goal (coming
  # back is the goal). hearth would send them no email either way.
  enter_when = "!member.unsubscribed"
  stop_when  = "member.unsubscribed"
  # Won back and gone again: try once more, but not within half a year.
  reentry       = "after"
  reentry_after = "180d"

  quiet_hours {
    from = "21:00"
    to   = "08:00"
  }

  step "what_happened" {
    wait = "7d"
    at   = "10:00"
    send {
      channel  = "email"
      template = template.what_happened
      platform = platform.email.news
    }
  }

  step "last_call" {
    wait = "21d"
    at   = "10:00"
    # Only for those who took part before leaving: the others got the news
    # once, and that is enough. days_since_left counts from their leaving.
    when = "total('message.posted') > 0 && member.days_since_left >= 28"
    send {
      channel  = "email"
      template = template.last_call
      platform = platform.email.news
    }
  }
}

template "what_happened" {
  description = "A week after leaving: what happened since"
  subject = {
    en = "We miss you at Lantern, ${member.name}"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      you left the Lantern forum ${member.days_since_left} days ago. Since
      then, #announcements had the 2.4 release (incremental builds), and
      #help answered a question a day on themes and deploys.

      Your account is still there: sign in and you are back.
    EOT
  }
}

template "last_call" {
  description = "Four weeks after leaving, for members who had posted"
  subject = {
    en = "Your answers are still helping people, ${member.name}"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      what you wrote in the forum is still read every week. If you ever
      want to come back, sign in: nothing was lost. This is the last
      email about it.
    EOT
  }
}
