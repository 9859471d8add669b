# A local user group's monthly meetups: invitations, RSVPs, a reminder a
# day before each meetup, and points and a badge for coming. It runs on
# hearth's built-in local platform: no account, nothing installed.

hearth {
  required_version = ">= 0.1"
  timezone         = "Europe/Berlin"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Elbe Gophers"
}

community "gophers" {
  title    = "Elbe Gophers"
  platform = platform.local.main
  purpose  = "Go programmers in Dresden meeting once a month"
  audience = "Go programmers and the curious"

  channel "announcements" {
    topic = "Meetups, talks and calls for speakers"
  }
  channel "general" {
    topic = "Everything Go"
  }
}

# The meetup page (the group's RSVP tool) sends these through hearth
# run's events endpoint; events.jsonl has a month of them.
event "meetup.invited" {
  description = "The member was invited to a meetup."
  attributes = {
    meetup    = "string"
    starts_at = "time"
    venue     = "string"
  }
}

event "meetup.rsvp" {
  description = "The member answered a meetup's invitation: yes or no."
  attributes = {
    meetup    = "string"
    answer    = "string"
    starts_at = "time"
    venue     = "string"
  }
}

event "meetup.checked_in" {
  description = "The member was checked in at the door of a meetup."
  activity    = true
  attributes = {
    meetup = "string"
  }
}
