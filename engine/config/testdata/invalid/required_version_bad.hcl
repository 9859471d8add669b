# A malformed version constraint.

hearth {
  required_version = ">= zero point one" # ERROR: ">= zero point one" is not a version constraint
}
