# Variable values must match the variable's type.

variable "count" {
  type    = number
  default = "many" # ERROR: The value for "count" is not a number
}

variable "tags" {
  type    = list(string)
  default = "spam" # ERROR: The value for "tags" is not a list of string
}

variable "limits" {
  type    = map(number)
  default = { daily = 5, weekly = "lots" } # ERROR: Invalid value for variable
}

variable "bad_type" {
  type = strin # ERROR: The keyword "strin" is not a valid type specification.
}

variable "owner" {
  type = object({ name = string, id = number })
  default = { name = "ada" } # ERROR: attribute "id" is required
}

variable "flag" {
  type     = bool
  nullable = false
  default  = null # ERROR: The variable "flag" does not accept null.
}

variable "settings" {
  sensitive = "yes" # ERROR: sensitive must be true or false.
  default   = 1
}

variable "computed" {
  default = var.count # ERROR: A default cannot refer to other variables or locals
}

variable "called" {
  default = upper("x") # ERROR: Function calls not allowed
}

variable "described" {
  description = var.count # ERROR: The description of a variable cannot refer to anything
  default     = 1
}
