variable "discord_token" {
  type      = string
  sensitive = true
}

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
}
