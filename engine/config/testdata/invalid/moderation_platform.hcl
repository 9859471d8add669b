# Moderation actions the community's platform cannot take: the local
# platform's mutes, as Discord's timeouts, last at most 28 days.

platform "local" "main" {}

community "calm" {
  title    = "Calm"
  platform = platform.local.main
  ladder {
    decay = "30d"
    rung {
      action   = "mute"
      duration = "29d" # ERROR: local mutes last at most 28 days
    }
    rung {
      action   = "mute"
      duration = "28d"
    }
    rung {
      action   = "ban"
      duration = "365d"
    }
  }
  moderation "flood" {
    rate     = "5/30s"
    action   = "mute"
    duration = "60d" # ERROR: asks platform.local.main to mute for 60d
  }
}
