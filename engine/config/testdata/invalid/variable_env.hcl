# ENV: HEARTH_VAR_port=eighty
# ENV: HEARTH_VAR_ids=[1, 2
# ENV: HEARTH_VAR_name=anything goes for a string
# VAR: limit=[1, 2]
# Values from the environment and -var are HCL for non-string types.

variable "port" { # ERROR: The value from environment variable HEARTH_VAR_port is not a valid number. Write it as in HCL
  type = number
}

variable "ids" { # ERROR: The value from environment variable HEARTH_VAR_ids is not a valid list of number: Unterminated tuple constructor expression
  type = list(number)
}

variable "name" {
  type = string
}

variable "limit" { # ERROR: The value for "limit" from -var limit is not a number
  type = number
}
