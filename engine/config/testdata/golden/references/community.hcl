community "explorers" {
  title    = "Explorers"
  platform = "platform.local.main"

  role "core" {
    color = "gold"
  }
}

community "backup" {
  title    = "Backup"
  platform = platform.locl.backup
}
