# Announcements of later tier changes or badges pass unheard when a
# campaign on them keeps the default reentry ("never"): a warning, unless
# reentry is written (either way) or run_key gives each event its own run.

badge "helper" {}

campaign "levelup" {
  enter_on = "tier.changed" # WARNING: tier.changed enrolls each member once
  step "say" {
    wait = "1h"
  }
}

campaign "badges" {
  enter_on = ["member.joined", "badge.awarded"] # WARNING: for their first badge only
  step "say" {
    wait = "1h"
  }
}

campaign "levelup_once" {
  enter_on = "tier.changed"
  reentry  = "never"
  step "say" {
    wait = "1h"
  }
}

campaign "levelup_every" {
  enter_on = "tier.changed"
  reentry  = "always"
  step "say" {
    wait = "1h"
  }
}

campaign "per_badge" {
  enter_on = "badge.awarded"
  run_key  = "event.badge"
  step "say" {
    wait = "1h"
  }
}
