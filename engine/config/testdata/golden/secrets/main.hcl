variable "token" {
  type      = string
  sensitive = true
  default   = "xoxb-from-default"
}

variable "port" {
  type    = number
  default = "eighty"
}

variable "region" {
  default = "mars"
  validation {
    condition     = contains(["eu", "us"], var.region)
    error_message = "region must be eu or us."
  }
}

platform "chat" "main" {
  token  = "xoxb-plain-text"
  server = var.token
}

hearth {
  required_version = ">= 9.0"
  state {
    backend = "postgres"
    url     = "postgres://hearth:pw@db/hearth"
  }
}

template "t" {
  text = {
    en = "Your token is ${var.token}"
  }
}

# The snippets below mask the secrets: a sensitive variable's default and
# a credential's literal, whatever is wrong with them.
variable "pin" {
  type      = number
  sensitive = true
  default   = "pin-4417-secret"
}

platform "chat" "other" {
  token  = ["xoxb-in-a-list-9"]
  server = "chat.example"
}
