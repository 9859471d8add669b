# The least a configuration needs: a platform and a community.

hearth {
  state {
    backend = "sqlite"
    path    = "state/hearth.db"
  }
}

platform "local" "main" {}

community "tiny" {
  title    = "Tiny"
  platform = platform.local.main
}
