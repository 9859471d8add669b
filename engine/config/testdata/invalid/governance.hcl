# Ladders, sentiment and alerts.

platform "local" "main" {}

community "calm" {
  title    = "Calm"
  platform = platform.local.main
  channel "ops" {}
  moderation "spam" { # ERROR: No action and no ladder
    keywords = { en = ["spam"] }
  }
  moderation "counts" {
    links    = 0 # ERROR: links must be 1 or more
    mentions = -2 # ERROR: mentions must be 1 or more
    strikes  = -1 # ERROR: strikes must be 0 or more
    action   = "warn"
    duration = "1h" # ERROR: a warn does not use duration
  }
  moderation "flood" {
    rate   = "5/10" # ERROR: write "5/10s" for 10 seconds, or "5/10m" for 10 minutes.
    action = "warn"
  }
}

community "strict" {
  title    = "Strict"
  platform = platform.local.main
  ladder {
    decay = "30d"
    rung { action = "mute" } # ERROR: A mute needs duration
    rung {
      strikes  = 1 # ERROR: strikes must be more than the rung before (1)
      action   = "warn"
      duration = "1h" # ERROR: Only a mute or a ban lasts
    }
  }
  ladder { # ERROR: Duplicate ladder block
    decay = "1d"
    rung { action = "ban" }
  }
}

community "empty" {
  title    = "Empty"
  platform = platform.local.main
  ladder { # ERROR: Add rung blocks
    decay = "30d"
  }
}

sentiment {
  negative = ["bad"] # ERROR: negative must be a map of list of string
}

alert "member_rule" {
  when = "member.points > 3" # ERROR: An alert rule runs for a community, with no member or event
}

alert "no_responders" {
  when     = "community.left_24h > 10"
  campaign = campaign.crisis # ERROR: starts a campaign, which runs for members
}

alert "notify" {
  when = "community.messages_1h < 1"
  notify { # ERROR: needs target = community.NAME.channel.CHANNEL
    channel = "channel"
  }
  notify { # ERROR: needs to, the address
    channel = "email"
  }
  notify {
    channel = "webhook"
    to      = "ops"
    target  = community.calm.channel.ops # ERROR: a webhook notify does not use it
  }
  notify {
    channel  = "channel"
    target   = community.calm.channel.opz # ERROR: There is no channel "opz" in community "calm"
    severity = "high" # ERROR: An argument named "severity" is not expected here
  }
}

alert "typo" {
  when     = "community.negative_1hh > 2" # ERROR: negative_1h
  severity = "urgent" # ERROR: severity
}

campaign "crisis" {
  enter_on = "alert.raised"
  step "tell" {
    send {
      channel = "dm"
      template = template.t
    }
  }
}

template "t" {
  text = { en = "x" }
}
