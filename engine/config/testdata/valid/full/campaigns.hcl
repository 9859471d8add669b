campaign "onboarding" {
  description       = "Welcome newcomers and get them to post once"
  community         = community.explorers
  enter_on          = "member.joined"
  enter_when        = "event.invite == ''"
  members           = "current"
  exit_when         = "member.messages > 0"
  stop_when         = "member.attrs.dm == 'off'"
  conversion_window = "7d"
  conversion_from   = "last_send"
  reentry           = "after"
  reentry_after     = "90d"
  frequency_cap     = "2/24h"
  on_cap            = "skip"
  expire_after      = "2d"

  quiet_hours {
    from     = "22:00"
    to       = "08:00"
    timezone = "Asia/Shanghai"
  }

  step "welcome" {
    send {
      channel  = "dm"
      template = template.welcome
    }
  }

  step "announce" {
    when = "member.locale == 'en'"
    send {
      channel  = "channel"
      template = template.welcome
      target   = community.explorers.channel.welcome
      platform = platform.local.main
    }
  }

  step "wait_for_post" {
    wait       = "1d"
    at         = "09:30"
    wait_until = "member.messages > 0"
    timeout    = "3d"
    on_timeout = "nudge"
    goto       = "exit"
  }

  step "nudge" {
    branch {
      when = "member.days_since_active > 30"
      goto = "exit"
    }
    split {
      control = "direct"
      variant "friendly" {
        weight = 75
        goto   = "friendly"
      }
      variant "direct" {
        weight = 25
        goto   = "direct"
      }
    }
  }

  step "friendly" {
    send {
      channel  = "dm"
      template = template.nudge
    }
    goto = "exit"
  }

  step "direct" {
    send {
      channel  = "webhook"
      template = template.nudge
      # true is for email alone (send_test.go covers it): this corpus
      # has no email platform.
      transactional = false
    }
  }
}

campaign "winback" {
  audience      = segment.regulars
  exit_on_leave = false
  reentry       = "always"
  paused        = true

  step "remind" {
    wait = "14d"
    send {
      channel  = "dm"
      template = template.nudge
    }
  }

  # A reminder loop: it waits on every round.
  step "again" {
    goto = "remind"
  }
}

campaign "pulse" {
  audience = segment.regulars

  step "ask" {
    wait = "30d"
    send {
      channel  = "dm"
      template = template.nudge
      survey   = survey.pulse
    }
  }
}

# A broadcast: the regulars get the digest on the last day of each month
# at 10:00 on their own clock, in 2026.
campaign "digest" {
  audience = segment.regulars
  schedule {
    every     = "month"
    day       = -1
    at        = "10:00"
    time_zone = "member"
    starts    = "2026-01-01"
    ends      = "2026-12-31T23:59:59Z"
    late_by   = "12h"
  }

  step "send" {
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

# Rules of a campaign entered on an event read that event all through
# the run: until gives a time from it, a branch reads an attribute. Each
# city is a run of its own (run_key), at most three at once.
campaign "meetup_followup" {
  enter_on = "meetup.attended"
  run_key  = "event.city"
  max_runs = 3
  reentry  = "always"

  step "thanks" {
    until   = "event.at + duration('1d')"
    if_past = "send"
    send {
      channel   = "dm"
      template  = template.nudge
      not_after = "event.at + duration('2d')"
    }
    branch {
      when = "event.guests > 0"
      goto = "exit"
    }
  }
}
