# VAR: given=from the command line
# A variable without default needs a value; uses of it are not
# reported again.

variable "token" { # ERROR: The variable "token" has no default. Set it with -var token=VALUE, a -var-file, or the environment variable HEARTH_VAR_token.
  type      = string
  sensitive = true
}

variable "given" {}

platform "chat" "main" {
  token  = var.token
  server = var.given
}

community "c" {
  title    = "${var.given} ${var.missing}" # ERROR: There is no variable named "missing".
  platform = platform.chat.main
}
