# Retention of event ids and outcomes.

hearth {
  state {
    event_id_retention = "6h" # ERROR: use at least "1d"
    outcome_retention  = "forever" # ERROR: write a number and a unit
  }
}
