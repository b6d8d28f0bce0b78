variable "service" {
  description = "Service name; used in descriptions, alias and secret names."
  type        = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "deletion_days" {
  type    = number
  default = 7
}
