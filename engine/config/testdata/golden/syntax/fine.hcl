segment "fine" {
  when = "true"
}
