# This configuration needs a newer hearth than the one loading it.

hearth {
  required_version = ">= 0.4, < 2.0" # ERROR: This configuration needs hearth >= 0.4, < 2.0; this is hearth 0.3.0.
}
