platform "local" "main" {
  path = ".hearth/local.json"
}

platform "locl" "backup" {}
