# Settings of the hearth block.

hearth {
  timezone       = "Europe/Paris " # ERROR: "Europe/Paris " is not an IANA time zone name
  default_locale = "en_GB" # ERROR: Did you mean "en-GB"?
  state {       # ERROR: The postgres backend needs url
    backend = "postgres"
  }
  state { # ERROR: The hearth block has at most one state block
    backend = "memory"
  }
}

hearth { # ERROR: Only one hearth block is allowed; the first is at hearth_settings.hcl:3.
}
