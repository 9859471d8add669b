# Locals that refer to each other in a circle, reported once; locals
# that read them are not reported again.

locals {
  a = "${local.b}!" # ERROR: local.a → local.b → local.a
  b = upper(local.a)
  c = "${local.a} and more"
  d = local.nope # ERROR: There is no local value named "nope".
  e = local.greting # ERROR: There is no local value named "greting". Did you mean "greeting"?
  f = local.f # ERROR: local.f → local.f
}

locals {
  greeting = "hi"
  a        = "again" # ERROR: local.a is already defined at locals_cycle.hcl:5.
}

community "c" {
  title    = local.c
  platform = platform.local.main
}

platform "local" "main" {}
