# Validation blocks check a variable's value.

variable "capacity" {
  type    = number
  default = 5
  validation {
    condition     = var.capacity >= 10 # ERROR: var.capacity: Communities smaller than 10 split too often.
    error_message = "Communities smaller than 10 split too often."
  }
  validation {
    condition     = var.capacity < 1000
    error_message = "Too large."
  }
}

variable "other" {
  default = 1
  validation {
    condition     = var.other > var.capacity # ERROR: A validation condition may only refer to var.other.
    error_message = "Bigger."
  }
}

variable "mode" {
  default = "fast"
  validation {
    condition     = var.mode # ERROR: The condition must give true or false.
    error_message = "Bad mode."
  }
}

variable "region" {
  default = "mars"
  validation {
    condition     = contains(["eu", "us"], var.region) # ERROR: var.region: region must be eu or us.
    error_message = "region must be eu or us."
  }
}
