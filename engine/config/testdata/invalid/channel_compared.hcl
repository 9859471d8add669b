# Events carry a channel's name on the platform, its title: a rule
# comparing event.channel with the block name of a titled channel never
# matches it.

platform "local" "main" {}

community "makers" {
  title    = "创客"
  platform = platform.local.main
  channel "announcements" {
    title = "公告"
  }
  channel "help" {
    title = "Help & Support"
  }
  channel "general" {}
}

incentive "announced" {
  on   = "message.posted"
  when = "event.channel == 'announcements'" # WARNING: channel "announcements" is named "公告" there, so this never matches it. Compare with '公告'.
  grant {
    points = 1
  }
}

incentive "helped" {
  on   = "message.posted"
  when = "event.length > 10 && event.channel in ['general', 'help']" # WARNING: Channel compared by its block name
  grant {
    points = 1
  }
}

# By title, or a channel without one: fine.
incentive "fine" {
  on   = "message.posted"
  when = "event.channel == '公告' || event.channel == 'general' || 'Help & Support' == event.channel"
  grant {
    points = 1
  }
}
