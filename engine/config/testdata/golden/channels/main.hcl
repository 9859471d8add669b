platform "local" "main" {}

community "makers" {
  title    = "深圳创客"
  platform = platform.local.main

  channel "announcements" {
    title = "公告"
  }
  channel "news" {
    title = "公告"
  }
  channel "公告" {}
  channel "padded" {
    title = "Help "
  }
}
