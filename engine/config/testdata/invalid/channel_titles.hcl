# A channel's title is its name on the platform, in any script; the
# block name stays its address. Titles the platform cannot keep are refused;
# two channels of one community with one name there are warned of.

platform "local" "main" {}

community "makers" {
  title    = "创客"
  platform = platform.local.main
  channel "announcements" {
    title = "公告"
  }
  channel "news" {
    title = "公告" # WARNING: Channels "announcements" and "news" of community "makers" would both be named "公告"
  }
  channel "general" {}
  channel "lobby" {
    title = "General" # WARNING: Duplicate channel name
  }
  channel "padded" {
    title = " Help " # ERROR: starts or ends with spaces, which platforms drop, so every plan would rename it back: write title = "Help".
  }
  channel "two_lines" {
    title = "Help\nSupport" # ERROR: has a control character
  }
  channel "long" {
    title = "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长" # ERROR: platform.local.main: channel names there are at most 100 characters
  }
  channel "fine" {
    title = "📣 Help & Support"
  }
}

community "other" {
  title    = "Other"
  platform = platform.local.main
  # Another community may have a channel of the same name.
  channel "announcements" {
    title = "公告"
  }
}
