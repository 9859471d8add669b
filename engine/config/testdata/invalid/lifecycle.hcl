# Lifecycle settings of channels and roles.

platform "local" "main" {}

community "explorers" {
  title           = "Explorers"
  platform        = platform.local.main
  prevent_destroy = "yes" # ERROR: prevent_destroy must be a bool; got string.
  channel "general" {
    ignore_changes = ["topic", "topc", "position"] # ERROR: channel "general" has no attribute "topc". Did you mean "topic"?
  }
  role "core" {
    ignore_changes = ["color", "ignore_changes"] # ERROR: role "core" has no attribute "ignore_changes".
  }
  role "mods" {
    ignore_changes = "color" # ERROR: ignore_changes must be a list of string; got string.
  }
}

community "terraformers" {
  title    = "Terraformers"
  platform = platform.local.main
  lifecycle { # ERROR: hearth has no lifecycle block: prevent_destroy is an attribute of the community block itself, such as prevent_destroy = true.
    prevent_destroy = true
  }
}
