# Rule test files are not configuration; this one would not load.
test "whatever" {
  this is not = valid
}
