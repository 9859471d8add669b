# A community block cannot take the name hearth gives another's
# sub-community: plan would merge the two into one object.

platform "local" "main" {}

community "oss" {
  title    = "Widget OSS"
  platform = platform.local.main
  capacity = 3
}

community "oss-2" { # ERROR: "oss-2" is the name hearth gives its sub-community number 2
  title    = "Another"
  platform = platform.local.main
}

# Only a community that splits has sub-communities.
community "docs" {
  title       = "Docs"
  platform    = platform.local.main
  capacity    = 3
  on_capacity = "warn"
}

community "docs-2" {
  title    = "Docs two"
  platform = platform.local.main
}

community "team" {
  title    = "Team"
  platform = platform.local.main
}

community "team-12" {
  title    = "Team twelve"
  platform = platform.local.main
}

community "crew" {
  title       = "Crew"
  platform    = platform.local.main
  capacity    = 150
  on_capacity = "waitlist" # ERROR: on_capacity = "waitlist" is no longer supported: hearth cannot keep a person who joined
}

community "crew-10" { # ERROR: Community name taken by a sub-community
  title    = "Crew ten"
  platform = platform.local.main
}
