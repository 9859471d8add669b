# A small community to watch: one local community with a segment, a tier
# ladder and an onboarding campaign that tests two welcomes (an A/B split),
# so every panel of grafana-dashboard.json and every alert of
# prometheus-rules.yml has series to show. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

platform "local" "main" {
  path      = ".hearth/local-platform.json"
  workspace = "Watched Garden"
}

community "garden" {
  title           = "Watched Garden"
  platform        = platform.local.main
  purpose         = "A community small enough to read its metrics by eye"
  audience        = "Operators trying hearth's monitoring"
  capacity        = 0
  welcome_message = "Welcome to Watched Garden!"

  channel "general" {
    topic = "Anything"
  }

  role "regular" {
    color = "#3498db"
  }
}

segment "newcomers" {
  community   = community.garden
  description = "Joined in the last two weeks"
  when        = "member.days_since_joined < 14"
}

segment "active" {
  community   = community.garden
  description = "Around on 4 or more of the last 30 days"
  when        = "active_days('30d') >= 4"
}

incentive "posting" {
  description = "A point per message, at most 20 a day"
  on          = "message.posted"
  points_cap  = "20/1d"
  grant {
    points = 1
  }
}

tier "regular" {
  rank = 1
  when = "member.points >= 50"
  keep = "member.points >= 40"
  role = community.garden.role.regular
}

# Which welcome gets newcomers to post: hearth_campaign_goals_total and
# hearth_campaign_sends_total count each arm by its variant label.
campaign "onboarding" {
  description = "Welcome newcomers and get them to post once"
  community   = community.garden
  enter_on    = "member.joined"
  exit_when   = "member.messages > 0"

  step "pick_welcome" {
    split {
      variant "short" {
        weight = 50
        goto   = "short_welcome"
      }
      variant "guided" {
        weight = 50
        goto   = "guided_welcome"
      }
    }
  }

  step "short_welcome" {
    send {
      channel  = "dm"
      template = template.short_welcome
    }
    goto = "nudge"
  }

  step "guided_welcome" {
    send {
      channel  = "dm"
      template = template.guided_welcome
    }
  }

  # A post within three days is the goal and ends the run before this.
  step "nudge" {
    wait = "72h"
    when = "member.messages == 0"
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

template "short_welcome" {
  text = { en = "Welcome, ${member.name}!" }
}

template "guided_welcome" {
  text = { en = "Welcome, ${member.name}! Say what you are working on in #general: the first post earns your first point." }
}

template "nudge" {
  text = { en = "Anything we can help with, ${member.name}? #general is a good place to start." }
}
