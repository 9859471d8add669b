# VAR: given=from the command line
# A variable without default needs a value; uses of it are not
# reported again. A sensitive one is not offered -var, which would leave
# the secret in the shell history.

variable "token" { # ERROR: The variable "token" has no default. It is sensitive: set it with the environment variable HEARTH_VAR_token, or in a file passed with -var-file
  type      = string
  sensitive = true
}

variable "region" { # ERROR: The variable "region" has no default. Set it with -var region=VALUE, a -var-file, or the environment variable HEARTH_VAR_region.
  type = string
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
