# Retention of event ids, outcomes and the outbox.

hearth {
  state {
    event_id_retention = "6h" # ERROR: use at least "1d"
    outcome_retention  = "forever" # ERROR: write a number and a unit
    outbox_retention   = "12h" # ERROR: use at least "1d", or "0s" to keep every entry forever
  }
}
