# Credentials written in files are a warning: they end up in git.

variable "token" {
  type      = string
  sensitive = true
  default   = "from-the-environment"
}

platform "chat" "main" {
  token = "xoxb-1234" # WARNING: token is a credential. Keep it out of files in git
}

platform "chat" "safe" {
  token = var.token
}

hearth {
  state {
    backend = "postgres"
    url     = "postgres://hearth:s3cret@db.example/hearth" # WARNING: The state URL holds a password.
  }
}
