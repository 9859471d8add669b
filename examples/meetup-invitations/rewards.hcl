# Coming to a meetup is what the group is for: points each time, and a
# badge the first time.

badge "first_meetup" {
  title       = "First meetup"
  description = "Came to an Elbe Gophers meetup"
  class       = "bronze"
}

incentive "came_to_meetup" {
  description = "Points for every meetup attended"
  on          = "meetup.checked_in"
  cooldown    = "12h" # one check-in a night counts
  grant {
    points = 20
    reason = "came to a meetup"
  }
}

incentive "first_meetup" {
  on   = "meetup.checked_in"
  once = true
  grant {
    badge = badge.first_meetup
  }
}
