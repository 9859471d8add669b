# A campaign for members who have left (members = "left") reaches them
# by email through an email platform, or through a webhook platform; a
# direct message on a chat platform cannot. Loaded with the email and
# webhook platforms (TestCampaignMembersCorpus).

platform "local" "main" {}

platform "email" "news" {
  host = "smtp.example.org"
  from = "news@example.org"
}

variable "crm_secret" {
  type      = string
  sensitive = true
  default   = "0123456789abcdef0123456789abcdef"
}

platform "webhook" "crm" {
  url    = "https://crm.example.org/hook"
  secret = var.crm_secret
}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  channel "general" {}
}

template "miss_you" {
  subject = { en = "We miss you" }
  text    = { en = "We miss you" }
}

campaign "winback" {
  enter_on = "member.left"
  members  = "left"
  step "email" {
    send {
      channel  = "email"
      template = template.miss_you
      platform = platform.email.news
    }
  }
  step "crm" {
    send {
      channel  = "dm"
      template = template.miss_you
      platform = platform.webhook.crm
    }
  }
  step "dm" {
    send {
      channel  = "dm" # ERROR: Direct message to members who left
      template = template.miss_you
    }
  }
  step "email_locally" {
    send {
      channel  = "email" # ERROR: sends email through platform.local.main, which cannot send it
      template = template.miss_you
    }
  }
  step "note" {
    send {
      channel  = "channel" # WARNING: they cannot read a message in its channels
      template = template.miss_you
      target   = community.explorers.channel.general
    }
  }
}

campaign "split_without_exit_when" {
  # Coming back is a win-back's goal: an A/B split has one to compare on.
  enter_on = "member.left"
  members  = "left"
  step "pick" {
    split {
      variant "a" {
        weight = 1
        goto   = "exit"
      }
      variant "b" {
        weight = 1
        goto   = "exit"
      }
    }
  }
}

campaign "mixed" {
  # For all members, a direct message reaches those still in: it is
  # skipped for the others, and validate lets it be. Email still needs
  # an email platform.
  enter_on = "member.joined"
  members  = "all"
  step "dm" {
    send {
      channel  = "dm"
      template = template.miss_you
    }
  }
  step "email" {
    send {
      channel  = "email" # ERROR: Email through a platform that cannot send it
      template = template.miss_you
    }
  }
}

campaign "goodbye" {
  enter_on = ["member.left", "message.posted"] # WARNING: For a win-back, set members = "left"
  step "a" {
    send {
      channel  = "dm"
      template = template.miss_you
    }
  }
}

campaign "welcome_back" {
  enter_on = "member.joined" # WARNING: member.joined enrolls nobody here
  members  = "left"
  step "a" {
    send {
      channel  = "email"
      template = template.miss_you
      platform = platform.email.news
    }
  }
}

campaign "bad" {
  enter_on = "member.left"
  members  = "former" # ERROR: "former" is not one of "current", "left" or "all"
  step "a" {
    wait = "1d"
  }
}
