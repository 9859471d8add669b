# Lantern, an open-source project, welcomes new forum members with a short
# email series. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "UTC"
  default_locale   = "en"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# Secrets come from the environment: HEARTH_VAR_smtp_password and
# HEARTH_VAR_unsubscribe_secret. The empty defaults let the example
# validate and simulate without them.
variable "smtp_password" {
  type      = string
  sensitive = true
  default   = ""
}

variable "unsubscribe_secret" {
  type      = string
  sensitive = true
  default   = ""
}

# The forum itself; the local platform stands in for it.
platform "local" "forum" {
  path      = ".hearth/local-platform.json"
  workspace = "Lantern"
}

# Mail goes out through the project's SMTP relay with STARTTLS. Each
# message carries List-Unsubscribe (one click, RFC 8058) and a
# Message-ID derived from the outbox key. The unsubscribe link points at
# `hearth run`'s own endpoint, /v1/inbound/email/news, behind the
# project's HTTPS proxy at hearth.lantern.example. No
# unsubscribe_mailto: hearth does not read a mailbox, and nobody here
# does either. validate warns while HEARTH_VAR_unsubscribe_secret is not
# set: without it only transactional email could go.
platform "email" "news" {
  host               = "smtp.lantern.example"
  port               = 587
  security           = "starttls"
  username           = "news@lantern.example"
  password           = var.smtp_password
  from               = "Lantern <news@lantern.example>"
  reply_to           = "community@lantern.example"
  list_id            = "Lantern welcome <welcome.lantern.example>"
  unsubscribe_url    = "https://hearth.lantern.example/v1/inbound/email/news?member={member}&token={token}"
  unsubscribe_secret = var.unsubscribe_secret
}

community "lantern" {
  title    = "Lantern"
  platform = platform.local.forum
  purpose  = "Users and contributors of the Lantern static site generator"

  channel "announcements" {
    topic = "Releases and news"
  }
  channel "help" {
    topic = "Questions about using Lantern"
  }
}
