# An attribute that is written but wrong is reported for itself, once:
# the checks that depend on it (on_timeout without timeout) keep quiet,
# since it is there. Each error below is the only one on its line.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "welcome" {}
  ladder {
    decay = "30d"
    rung {
      action   = "mute"
      duration = "1h"
    }
    rung {
      action   = "shout" # ERROR: Invalid value for action
      duration = "1h"
    }
  }
  moderation "spam" {
    keywords = { en = ["spam"] }
    action   = "shout" # ERROR: Invalid value for action
    duration = "1h"
  }
}

template "hi" {
  text = { en = "Hi" }
}

campaign "waits" {
  enter_on      = "member.joined"
  run_key       = ["event.thread"] # ERROR: Incorrect attribute value type
  max_runs      = 2
  reentry       = "after"
  reentry_after = "-1d" # ERROR: Invalid duration
  step "a" {
    wait_until = "member.messages > 0"
    timeout    = "-1d" # ERROR: Invalid duration
    on_timeout = "exit"
  }
  step "b" {
    wait_until = ["member.messages > 0"] # ERROR: Incorrect attribute value type
    timeout    = "3d"
  }
  step "c" {
    wait = "1d"
    send {
      channel  = "chanel" # ERROR: Invalid value for channel
      template = template.hi
      target   = community.explorers.channel.welcome
    }
  }
  step "d" {
    wait = "1d"
    send {
      channel       = "emial" # ERROR: Invalid value for channel
      template      = template.hi
      transactional = true
    }
  }
  step "e" {
    wait = "1d"
    send {
      channel  = "email" # ERROR: Email through a platform that cannot send it
      template = template.hii # ERROR: There is no template named "hii"
    }
  }
}

campaign "again" {
  enter_on      = "member.joined"
  reentry       = "afterwards" # ERROR: Invalid value for reentry
  reentry_after = "30d"
  step "s" {
    wait = "1d"
  }
}

alert "notify" {
  when      = "community.messages_1h < 1"
  community = community.explorers
  notify {
    channel = "chanel" # ERROR: Invalid value for channel
    target  = community.explorers.channel.welcome
  }
}

survey "pulse" {
  question "q" {
    text  = { en = "?" }
    score = "yes" # ERROR: Incorrect attribute value type
  }
  question "r" {
    text    = { en = "?" }
    choices = "yes, no" # ERROR: Incorrect attribute value type
  }
}
