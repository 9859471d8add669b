# What incentives grant.

badge "helper" {}

incentive "nothing" { # ERROR: incentive "nothing" grants nothing: add a grant block
  on = "message.posted"
}

incentive "empty" {
  on = "message.posted"
  grant { # ERROR: A grant needs at least one of points, badge, role or set.
    reason = "why not"
  }
}

incentive "twice" {
  on = "message.posted"
  grant {
    points = 1
  }
  grant { # ERROR: The incentive "twice" block has at most one grant block
    points = 2
  }
}

incentive "once" {
  on    = "message.posted"
  once  = true
  limit = "5/30d" # WARNING: incentive "once" grants at most once per member, so its limit never applies.
  grant {
    badge = badge.helper
    set   = ["ambassador"] # ERROR: set must be a map of string; got tuple.
  }
}
