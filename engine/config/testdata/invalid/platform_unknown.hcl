# Platform types come from the adapters compiled in.

platform "locl" "main" { # ERROR: There is no platform type "locl". Did you mean "local"? Known types: "chat", "discourse" or "local".
}

platform "discord" "guild" { # ERROR: Unknown platform type
  token = "x"
}

# References to a platform whose type is unknown are not reported again.
community "explorers" {
  title    = "Explorers"
  platform = platform.locl.main
}

platform "local" "ok" {
  pth     = "x" # ERROR: Did you mean "path"?
  shards  = 2 # ERROR: An argument named "shards" is not expected here. Valid here: path, workspace.
}

platform "chat" "c" {
  shards  = "two" # ERROR: shards must be a number; got string.
  intents = "all" # ERROR: intents must be a list of string; got string.
}
