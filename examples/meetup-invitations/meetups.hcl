# Invitations and RSVPs. The campaigns are entered on an event, so their
# rules and templates read it all through the run: the RSVP's answer
# picks the campaign, and its starts_at sets the reminder's time.

campaign "invitation" {
  description = "Invite members to each meetup"
  community   = community.gophers
  enter_on    = "meetup.invited"
  reentry     = "always" # a new invitation every month

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "invite" {
    send {
      channel  = "dm"
      template = template.invite
    }
  }
}

campaign "rsvp" {
  description = "Confirm a yes, remind the day before, and get people to the door"
  community   = community.gophers
  enter_on    = "meetup.rsvp"
  enter_when  = "event.answer == 'yes'" # a no goes to regrets
  # One run per meetup: an RSVP for April while March's run goes on
  # starts a run of its own, with its own confirmation and reminder.
  run_key  = "event.meetup"
  max_runs = 3 # meetups a member can have answered for at once
  reentry  = "always"
  # The goal: they came to this run's meetup, checked in on its day. A
  # check-in at March's meetup ends March's run, not April's.
  exit_when = "count('meetup.checked_in', '1d') > 0 && now >= event.starts_at - duration('12h')"
  # A later RSVP for the same meetup becomes the run's event: a yes
  # changed to no ends the run here, with no reminder and no "we missed
  # you" (regrets thanks them for letting us know).
  stop_when     = "event.answer != 'yes'"
  frequency_cap = "3/24h"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "confirm" {
    send {
      channel  = "dm"
      template = template.confirm
    }
  }

  # Worked out when the member gets here: after an RSVP less than a day
  # before the meetup, the reminder is skipped (if_past = "skip", the
  # default) and the run goes on to the next step. add_days: the same
  # time the day before on the member's clock, also across a change of
  # the clocks (24 hours would then be an hour off).
  step "reminder" {
    until = "add_days(event.starts_at, -1)"
    send {
      channel  = "dm"
      template = template.reminder
    }
  }

  # Those who checked in have reached the goal and left the campaign
  # by now; the others hear that they were missed.
  step "missed_you" {
    until = "event.starts_at + duration('2h')"
    send {
      channel  = "dm"
      template = template.missed_you
    }
  }
}

campaign "regrets" {
  description = "Thank a no, first answer or changed"
  community   = community.gophers
  enter_on    = "meetup.rsvp"
  # A no, not anything but yes: the page sends answer = "cancelled" when
  # the organisers call a meetup off, which ends rsvp's runs (stop_when)
  # and must not thank anyone for letting us know.
  enter_when = "event.answer == 'no'"
  run_key    = "event.meetup"
  reentry    = "always"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "thanks" {
    send {
      channel  = "dm"
      template = template.regrets
    }
  }
}

template "invite" {
  text = {
    en = "Hi ${member.name}! ${event.meetup} is on ${formatdate("EEEE D MMMM 'at' hh:mm", event.starts_at)} at ${event.venue}. Will you come? Answer yes or no on the meetup page."
  }
}

template "confirm" {
  text = {
    en = "You're on the list for ${event.meetup}, ${formatdate("EEEE D MMMM 'at' hh:mm", event.starts_at)}. See you at ${event.venue}!"
  }
}

template "reminder" {
  text = {
    en = "Tomorrow at ${formatdate("hh:mm", event.starts_at)}: ${event.meetup} at ${event.venue}. Can't make it after all? Change your answer on the meetup page, so someone on the waiting list gets your seat."
  }
}

template "missed_you" {
  text = {
    en = "We missed you at ${event.meetup} tonight, ${member.name}. The slides are in #announcements; hope to see you next month."
  }
}

template "regrets" {
  text = {
    en = "Thanks for letting us know, ${member.name}. We'll invite you to the next one."
  }
}
