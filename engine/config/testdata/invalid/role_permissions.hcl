# A role's permissions are names its platform knows: another would let
# plan pass and apply fail partway, after the roles before it.

platform "local" "main" {}

variable "perms" {
  default = ["manage_messages", "kick_membrs"]
}

community "c" {
  title    = "C"
  platform = platform.local.main
  role "mod" {
    permissions = ["manage_messages", "fly"] # ERROR: platform.local.main has no permission "fly".
  }
  role "typo" {
    permissions = ["manage_mesages"] # ERROR: Did you mean "manage_messages"?
  }
  role "from_var" {
    permissions = var.perms # ERROR: platform.local.main has no permission "kick_membrs".
  }
  role "fine" {
    permissions = ["kick_members", "ban_members"]
  }
}
